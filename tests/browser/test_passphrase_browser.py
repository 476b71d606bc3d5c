"""The passphrase strength rule (static/js/passphrase.js) in Chromium: the module on a table of
cases, and the enrolment page refusing an obvious passphrase with the French reason."""

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import LiveServer

# (passphrase, email, the rule it breaks or None): the common-password list is loaded.
CASES = [
    ("123456789012", "", "digits-only"),
    ("1234 5678 9012", "", "digits-only"),
    ("٠١٢٣٤٥٦٧٨٩٠١", "", "digits-only"),
    ("abcabcabcabc", "", "repeated"),
    ("aaaaaaaaaaaa", "", "repeated"),
    ("Mon chat, mon chat", "", "repeated"),
    ("abcdefghijklmn", "", "sequence"),
    ("azertyuiopqsd", "", "sequence"),
    ("ZYXWVUTSRQPO", "", "sequence"),
    ("lucie.martin 2024", "lucie.martin@example.org", "email"),
    ("Password2024!", "", "common"),
    ("iloveyou1234", "", "common"),
    ("short", "", "too-short"),
    ("une phrase secrète assez longue", "lucie@example.org", None),
    ("correct horse battery staple", "", None),
    ("demo benevole carnet cerf-volant", "benevole@demo.carnet.test", "email"),
    ("la mer est calme ce matin", "benevole@demo.carnet.test", None),
]


def test_the_module_refuses_the_obvious_and_accepts_real_passphrases(live_server: LiveServer, page: Page) -> None:
    page.goto(live_server.url + "/login")
    found = page.evaluate("""async (cases) => {
        const m = await import('/static/js/passphrase.js');
        const common = await m.loadCommonPasswords();
        return { size: common.size, codes: cases.map(([p, email]) => m.passphraseProblem(p, { email, common })) };
    }""", [[p, e] for p, e, _code in CASES])
    assert found["size"] == 10_000
    assert dict(zip([p for p, _e, _c in CASES], found["codes"])) == {p: code for p, _e, code in CASES}


def test_the_common_list_is_fetched_only_when_a_passphrase_is_checked(live_server: LiveServer, page: Page) -> None:
    fetched: list[str] = []
    page.on("request", lambda request: fetched.append(request.url))
    link = live_server.flask("invite", "lazy@example.org", "--role", "volunteer", "--team", "CRA").strip()
    page.goto(link)
    expect(page.locator("#enrol-form")).to_be_visible()
    assert not [url for url in fetched if "common-passwords" in url]


@pytest.mark.parametrize("passphrase, reason", [
    ("123456789012", "Une phrase secrète faite uniquement de chiffres se devine vite. Utilisez des mots."),
    ("chiffre.prudent chiffre.prudent", "Cette phrase secrète répète les mêmes caractères ou le même motif. "
                                        "Utilisez plusieurs mots différents."),
])
def test_the_enrolment_page_refuses_a_weak_passphrase_in_french(live_server: LiveServer, page: Page,
                                                                passphrase: str, reason: str) -> None:
    email = f"weak-{len(passphrase)}@example.org"
    link = live_server.flask("invite", email, "--role", "volunteer", "--team", "CRA").strip()
    page.goto(link)
    page.fill("#display-name", "Nour")
    page.fill("#passphrase", passphrase)
    page.fill("#passphrase-again", passphrase)
    page.click("#enrol-form button[type=submit]")
    expect(page.locator("#enrol-error")).to_have_text(reason)
    # Nothing was sent: the link still works, and a good passphrase goes through.
    page.fill("#passphrase", "une phrase secrète assez longue")
    page.fill("#passphrase-again", "une phrase secrète assez longue")
    page.click("#enrol-form button[type=submit]")
    page.wait_for_url("**/app")
