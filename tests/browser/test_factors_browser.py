"""The second factor in Chromium, with its virtual authenticator (CDP): the first admin login
registers a key and shows the recovery codes once; the key logs in; without it the page says so
and offers a recovery code, which works once; an admin's reset from the person's page ends their
sessions and makes them register again; the settings add and remove keys; an enrolment the policy
asks a factor for registers the first one. Each leaves its audit record."""

import datetime
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from crypto.audit import Action
from webapp.cli import DEMO_PEOPLE

from tests.browser.authenticator import VirtualAuthenticator
from tests.browser.conftest import LOCALES, PHONE, screenshot
from tests.browser.test_app import PASSPHRASE, set_up_device
from tests.browser.test_accessibility import serious_violations
from tests.browser.test_admin_forms_browser import audit_count, open_person
from tests.conftest import LiveServer, running_demo

DEMO = {role: (email, passphrase) for email, _name, role, _team, passphrase in DEMO_PEOPLE}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    """A server of its own: these tests register, use and reset the demo people's keys."""
    with running_demo(tmp_path) as live:
        yield live


def bare_context(browser: Browser, language: str = "fr") -> BrowserContext:
    """A phone whose keys the test gives itself (not the demo people's, see authenticator.py)."""
    raw = getattr(browser, "raw", browser)
    return raw.new_context(locale=LOCALES[language], **PHONE)


def keyed_page(context: BrowserContext) -> tuple[Page, VirtualAuthenticator]:
    page = context.new_page()
    return page, VirtualAuthenticator.attach(page)


def submit_passphrase(page: Page, server: LiveServer, role: str) -> None:
    email, passphrase = DEMO[role]
    page.goto(server.url + "/login")
    page.fill("#email", email)
    page.fill("#passphrase", passphrase)
    page.click("#login-submit")


def register_first_key(page: Page, server: LiveServer, role: str) -> list[str]:
    """The first login of a person whose policy requires a key: register it; the codes shown."""
    submit_passphrase(page, server, role)
    expect(page.locator("#factor-title")).to_have_text("Enregistrer une clé de sécurité")
    expect(page.locator("#factor-step")).to_contain_text("exige une clé de sécurité ou une passkey")
    page.fill("#factor-name", "Téléphone de test")
    page.click("#factor-register")
    expect(page.locator("#recovery-codes li")).to_have_count(10)
    codes = page.locator("#recovery-codes li").all_inner_texts()
    return [code.strip() for code in codes]


def test_the_first_admin_login_registers_a_key_and_shows_the_recovery_codes_once(
        server: LiveServer, browser: Browser) -> None:
    context = bare_context(browser)
    try:
        page, key = keyed_page(context)
        codes = register_first_key(page, server, "admin")
        assert len(set(codes)) == 10 and all(re.fullmatch(r"[\w-]{8,}", code) for code in codes)
        expect(page.locator("#codes-copy")).to_have_text("Copier les codes")
        screenshot(page, "login-recovery-codes-fr-360x640")
        assert serious_violations(page) == []
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        page.click("#codes-done")
        page.wait_for_url(re.compile(r".*/home$"))
        assert len(key.credentials()) == 1
        assert audit_count(server, Action.FACTOR_REGISTERED) == 1
    finally:
        context.close()


def test_the_key_logs_in_and_without_it_a_recovery_code_works_once(server: LiveServer, browser: Browser) -> None:
    context = bare_context(browser)
    try:
        page, key = keyed_page(context)
        codes = register_first_key(page, server, "admin")
        page.click("#codes-done")
        page.wait_for_url(re.compile(r".*/home$"))
        credential = key.credentials()[0]
        # Given another phone with the same key, the admin logs in with one touch.
        other = bare_context(browser)
        try:
            second, second_key = keyed_page(other)
            second_key.cdp.send("WebAuthn.addCredential", {"authenticatorId": second_key.id, "credential": credential})
            submit_passphrase(second, server, "admin")
            second.wait_for_url(re.compile(r".*/home$"))
        finally:
            other.close()
        # Without the key, the page says so in words and offers a recovery code.
        keyless = bare_context(browser)
        try:
            third, _none = keyed_page(keyless)
            submit_passphrase(third, server, "admin")
            expect(third.locator("#factor-error")).to_contain_text("n’a pas répondu", timeout=20_000)
            expect(third.locator("#factor-key")).to_have_text("Réessayer")
            screenshot(third, "login-key-missing-fr-360x640")
            assert serious_violations(third) == []
            third.click("#factor-use-code")
            third.fill("#recovery-code", codes[0])
            third.click("#recovery-submit")
            third.wait_for_url(re.compile(r".*/home$"))
            # The same code a second time is refused, in words, and the passphrase comes first again.
            fourth = keyless.new_page()
            VirtualAuthenticator.attach(fourth)
            submit_passphrase(fourth, server, "admin")
            fourth.click("#factor-use-code")
            fourth.fill("#recovery-code", codes[0])
            fourth.click("#recovery-submit")
            expect(fourth.locator("#login-error")).to_contain_text(re.compile("accept"))
            expect(fourth.locator("#login-form")).to_be_visible()
        finally:
            keyless.close()
        assert audit_count(server, Action.FACTOR_USED) == 1
        assert audit_count(server, Action.RECOVERY_CODE_USED) == 1
        assert audit_count(server, Action.FACTOR_FAILED) == 1
    finally:
        context.close()


def test_back_from_the_key_returns_to_the_passphrase(server: LiveServer, browser: Browser) -> None:
    context = bare_context(browser, "en")
    try:
        page, _key = keyed_page(context)
        submit_passphrase(page, server, "auditor")
        expect(page.locator("#factor-title")).to_have_text("Register a security key")
        page.click("#factor-back")
        expect(page.locator("#login-form")).to_be_visible()
        expect(page.locator("#factor-step")).to_be_hidden()
    finally:
        context.close()


def test_an_admins_reset_ends_the_persons_sessions_and_their_next_login_registers_again(
        server: LiveServer, browser: Browser) -> None:
    admin_context = browser.new_context(locale=LOCALES["fr"], **PHONE)
    auditor_context = browser.new_context(locale=LOCALES["fr"], **PHONE)
    fresh = bare_context(browser)
    try:
        admin = admin_context.new_page()
        submit_passphrase(admin, server, "admin")
        admin.wait_for_url(re.compile(r".*/home$"))
        auditor = auditor_context.new_page()
        submit_passphrase(auditor, server, "auditor")
        auditor.wait_for_url(lambda url: "/login" not in url)
        me = "() => fetch('/api/v1/me', {headers: {Accept: 'application/json'}}).then(r => r.status)"
        assert auditor.evaluate(me) == 200
        # When the admin resets the auditor's keys from the person's page,
        open_person(admin, server, DEMO["auditor"][0])
        expect(admin.locator("#factors-reset-consequences")).to_be_visible()
        admin.locator("form[action$='/factors/reset'] button[type=submit]").click()
        expect(admin.locator("main .notice[role=status]").first).to_be_visible()
        assert admin.evaluate("document.documentElement.scrollWidth") <= 360
        # then the auditor's open session has ended, and their next login registers a key again.
        assert auditor.evaluate(me) == 401
        page, _key = keyed_page(fresh)
        submit_passphrase(page, server, "auditor")
        expect(page.locator("#factor-title")).to_have_text("Enregistrer une clé de sécurité")
        assert audit_count(server, Action.FACTORS_RESET) == 1
    finally:
        for context in (admin_context, auditor_context, fresh):
            context.close()


def remove_first_key(page: Page) -> None:
    page.locator("#factor-list button.danger").first.click()
    page.click("#remove-factor-dialog-confirm")


def test_the_settings_add_and_remove_keys_and_renew_the_recovery_codes(server: LiveServer, browser: Browser) -> None:
    context = bare_context(browser)
    try:
        page, key = keyed_page(context)
        set_up_device(page, server, *DEMO["volunteer"])
        page.click("#open-settings")
        expect(page.locator("#factors-title")).to_have_text("Clés de sécurité et passkeys")
        expect(page.locator("#factor-none")).to_be_visible()
        page.fill("#new-factor-name", "Clé USB")
        page.click("#add-factor")
        # The first key comes with recovery codes, shown once.
        expect(page.locator("#recovery-codes li")).to_have_count(10)
        page.click("#codes-done")
        expect(page.locator("#factor-list li")).to_have_count(1)
        expect(page.locator("#factor-list")).to_contain_text("Clé USB")
        # Written in the person's language, this year (the server counts in seconds).
        expect(page.locator("#factor-list")).to_contain_text(str(datetime.date.today().year))
        expect(page.locator("#factors")).not_to_contain_text("null")
        expect(page.locator("#codes-left")).to_have_text("10 codes de secours restants.")
        assert len(key.credentials()) == 1
        page.click("#renew-codes")
        expect(page.locator("#recovery-codes li")).to_have_count(10)
        screenshot(page, "settings-new-recovery-codes-fr-360x640")
        page.click("#codes-done")
        screenshot(page, "settings-security-keys-fr-360x640")
        assert serious_violations(page) == []
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        remove_first_key(page)
        expect(page.locator("#factor-none")).to_be_visible()
        assert audit_count(server, Action.FACTOR_REGISTERED) == 1
        assert audit_count(server, Action.FACTOR_REMOVED) == 1
        assert audit_count(server, Action.RECOVERY_CODES_RENEWED) >= 1
    finally:
        context.close()


def test_the_last_key_a_role_requires_is_not_removed(server: LiveServer, browser: Browser) -> None:
    context = browser.new_context(locale=LOCALES["fr"], **PHONE)
    try:
        page = context.new_page()
        set_up_device(page, server, *DEMO["admin"])
        page.click("#open-settings")
        expect(page.locator("#factor-list li")).to_have_count(1)
        remove_first_key(page)
        expect(page.locator("#factors-error")).to_have_text("C’est votre dernière clé, et votre compte en exige une : "
                                                            "ajoutez-en une autre avant de retirer celle-ci.")
        expect(page.locator("#factor-list li")).to_have_count(1)
        assert audit_count(server, Action.FACTOR_REMOVED) == 0
    finally:
        context.close()


def enrol_with(page: Page, link: str, name: str) -> None:
    page.goto(link)
    page.fill("#display-name", name)
    page.fill("#passphrase", PASSPHRASE)
    page.fill("#passphrase-again", PASSPHRASE)
    page.click("#enrol-submit")


def test_an_enrolment_the_policy_asks_a_key_for_registers_the_first_one(server: LiveServer, browser: Browser) -> None:
    context = bare_context(browser)
    try:
        page, key = keyed_page(context)
        enrol_with(page, server.flask("invite", "nouvel-audit@example.org", "--role", "auditor").strip(), "Noé Audit")
        expect(page.locator("#factor-title")).to_have_text("Enregistrer une clé de sécurité")
        screenshot(page, "enrol-register-key-fr-360x640")
        assert serious_violations(page) == []
        page.click("#factor-register")
        expect(page.locator("#recovery-codes li")).to_have_count(10)
        page.click("#codes-done")
        page.wait_for_url(re.compile(r".*/app$"))
        assert len(key.credentials()) == 1
        assert audit_count(server, Action.FACTOR_REGISTERED) == 1
    finally:
        context.close()
    # A volunteer's enrolment, on a device that can hold a passkey, offers one, with "Later".
    context = bare_context(browser)
    try:
        volunteer, _key = keyed_page(context)
        link = server.flask("invite", "nouveau-benevole@example.org", "--role", "volunteer",
                            "--team", "Prisons").strip()
        enrol_with(volunteer, link, "Nina Bénévole")
        expect(volunteer.locator("#factor-title")).to_have_text("Ajouter une clé de sécurité (recommandé)")
        volunteer.click("#factor-later")
        volunteer.wait_for_url(re.compile(r".*/app$"))
        assert audit_count(server, Action.FACTOR_REGISTERED) == 1
    finally:
        context.close()


def test_a_session_renewed_with_a_key_asks_for_it_in_the_header_with_one_touch(
        server: LiveServer, browser: Browser) -> None:
    context = browser.new_context(locale=LOCALES["fr"], **PHONE)
    try:
        page = context.new_page()
        set_up_device(page, server, *DEMO["admin"])
        used = audit_count(server, Action.FACTOR_USED)
        # Given the admin's session ended on the server while the app is unlocked,
        server.flask("sessions", "end", DEMO["admin"][0])
        # when the app next calls the server, it does not touch the key by itself: the header says so,
        call = ("() => import('/static/js/sync/api.js')"
                ".then(m => m.callApi('GET', '/api/v1/me')).then(() => 'ok', e => e.code)")
        assert page.evaluate(call) == "second-factor"
        expect(page.locator("#sync-error")).to_have_text("Reconnexion nécessaire.")
        expect(page.locator("#sync-fix")).to_have_text("Se reconnecter")
        assert audit_count(server, Action.FACTOR_USED) == used
        screenshot(page, "app-reconnection-needed-fr-360x640")
        assert serious_violations(page) == []
        # and its button asks for the key, once: the app is back in session.
        page.click("#sync-fix")
        expect(page.locator("#sync-error")).to_have_text("")
        expect(page.locator("#sync-fix")).to_be_hidden()
        assert page.evaluate(call) == "ok"
        assert audit_count(server, Action.FACTOR_USED) == used + 1
    finally:
        context.close()


def test_the_auditors_browser_knows_every_audit_action_the_server_writes(live_server: LiveServer, page: Page) -> None:
    """The auditor's "Verify everything" refuses a code it does not know: the second factor's
    records (56 to 63) among them."""
    page.goto(live_server.url + "/app")
    known = page.evaluate("() => import('/static/js/audit/chain.js').then(m => ({...m.ACTIONS}))")
    assert {int(code): name for code, name in known.items()} == {action.value: action.name.lower() for action in Action}


def test_a_team_policy_switched_on_makes_the_volunteers_next_sync_ask_for_a_first_key(
        server: LiveServer, browser: Browser) -> None:
    context = bare_context(browser)
    try:
        page, key = keyed_page(context)
        set_up_device(page, server, *DEMO["volunteer"])
        # Given the team's policy now requires a key, and the volunteer's session ended,
        server.flask("team", "policy", "Prisons", "--second-factor", "on")
        server.flask("sessions", "end", DEMO["volunteer"][0])
        # when the volunteer syncs, the sync does not fail without a way out: the header asks,
        page.click("#sync-now")
        expect(page.locator("#sync-error")).to_have_text("Reconnexion nécessaire.")
        page.click("#sync-fix")
        # and its button leads to the first key's registration, then back home, synced.
        expect(page.locator("#factor-title")).to_have_text("Enregistrer une clé de sécurité")
        page.click("#factor-register")
        expect(page.locator("#recovery-codes li")).to_have_count(10)
        page.click("#codes-done")
        expect(page.locator("#sync-now")).to_be_visible()
        expect(page.locator("#sync-error")).to_have_text("")
        assert len(key.credentials()) == 1
        assert audit_count(server, Action.FACTOR_REGISTERED) == 1
    finally:
        context.close()


def test_the_key_step_reads_right_to_left_in_arabic_and_fits_a_phone(server: LiveServer, browser: Browser) -> None:
    context = bare_context(browser, "ar")
    try:
        page, _key = keyed_page(context)
        submit_passphrase(page, server, "auditor")
        expect(page.locator("#factor-title")).to_have_text("تسجيل مفتاح أمان")
        assert page.evaluate("document.documentElement.dir") == "rtl"
        screenshot(page, "login-register-key-ar-360x640")
        assert serious_violations(page) == []
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
    finally:
        context.close()


def test_a_phone_set_up_under_a_key_policy_registers_its_first_key_then_unlocks_offline(
        server: LiveServer, browser: Browser) -> None:
    """The volunteer's first phone, the team's policy already on: the set-up asks for the key in
    words, registers it, shows the codes once, and the phone then works offline as any other."""
    server.flask("team", "policy", "Prisons", "--second-factor", "on")
    context = bare_context(browser)
    try:
        page, key = keyed_page(context)
        email, passphrase = DEMO["volunteer"]
        page.goto(server.url + "/app")
        page.fill("#setup-email", email)
        page.fill("#setup-passphrase", passphrase)
        page.click("#setup-form button[type=submit]")
        expect(page.locator("#factor-title")).to_have_text("Enregistrer une clé de sécurité")
        page.fill("#factor-name", "Téléphone de Nour")
        page.click("#factor-register")
        expect(page.locator("#recovery-codes li")).to_have_count(10)
        page.click("#codes-done")
        expect(page.locator("#lock-now")).to_be_visible()
        assert len(key.credentials()) == 1
        assert audit_count(server, Action.FACTOR_REGISTERED) == 1
        # The key guards the server's door, not the phone's: offline, the passphrase unlocks.
        context.set_offline(True)
        page.click("#lock-now")
        page.fill("#unlock-passphrase", passphrase)
        page.click("#unlock-form button[type=submit]")
        expect(page.locator("#new-intake")).to_be_visible()
    finally:
        context.close()
