"""Each role's screens offline from the first visit: the worker keeps the core on every device and
a role's screens once the device names its role (webapp/pwa.py's precache groups)."""

import time

from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.test_app import set_up_device, unlock
from tests.browser.test_pwa import DEMO, published_groups, wait_until_kept
from tests.conftest import LiveServer

HELD = """async () => {
    const names = (await caches.keys()).filter((name) => name.startsWith("carnet-shell-"));
    return (await (await caches.open(names[0])).keys()).map((r) => new URL(r.url).pathname).sort();
}"""
KEPT = """async () => (await caches.match("/carnet-kept-groups.json", { cacheName: "carnet-kept-groups" })).json()"""
FETCHED = """async (path) => fetch(path).then((response) => response.ok, () => false)"""


def offline_and_unlocked(phone: BrowserContext, page: Page, passphrase: str) -> None:
    phone.set_offline(True)
    response = page.reload()
    assert response is not None and response.from_service_worker
    expect(page.locator("h1")).to_have_text("Déverrouiller Carnet")
    unlock(page, passphrase)


def test_a_volunteer_set_up_online_uses_their_screens_offline(live_server: LiveServer, phone: BrowserContext,
                                                               page: Page) -> None:
    email, passphrase = DEMO["volunteer"]
    # Given a device set up online by a volunteer, once the worker keeps the volunteer's screens,
    set_up_device(page, live_server, email, passphrase)
    groups = wait_until_kept(page, live_server, "core", "role:volunteer", "language:fr")
    # (what the device keeps in clear about it: its role and language, nothing of the person)
    assert page.evaluate(KEPT) == {"role": "volunteer", "languages": ["fr"]}
    # when the network is cut and the app reloads from the worker,
    offline_and_unlocked(phone, page, passphrase)
    expect(page.locator("h1")).to_have_text("Mes dossiers")
    # then an intake is written, saved and shown,
    page.click("#new-intake")
    page.fill("#f-alias", "Hors ligne dès la première visite")
    page.click("#intake-save")
    expect(page.locator("#edit-case")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Hors ligne dès la première visite")
    page.get_by_role("button", name="Retour").click()
    expect(page.locator("#case-list")).to_contain_text("Hors ligne dès la première visite")
    # the person's fingerprint is drawn as a QR code, and the team screen opens,
    page.click("#open-fingerprint")
    expect(page.locator("svg.fingerprint-qr")).to_be_visible()
    page.get_by_role("button", name="Retour").first.click()
    page.click("#open-team")
    expect(page.locator("h1")).to_have_text("Mon équipe")
    # the QR code reader loads when a scan starts, from the device,
    assert page.evaluate("import('/static/vendor/jsqr.js').then((module) => typeof module.default)") == "function"
    # and a coordinator's screen was never kept on this volunteer's device.
    assert "/static/js/app/review.js" in groups["role:coordinator"]
    assert "/static/js/app/review.js" not in groups["role:volunteer"]
    assert page.evaluate(FETCHED, "/static/js/app/review.js") is False


def test_a_coordinator_set_up_online_uses_their_screens_offline(live_server: LiveServer, phone: BrowserContext,
                                                                 page: Page) -> None:
    email, passphrase = DEMO["coordinator"]
    set_up_device(page, live_server, email, passphrase)
    wait_until_kept(page, live_server, "core", "role:coordinator", "language:fr")
    offline_and_unlocked(phone, page, passphrase)
    expect(page.locator("h1")).to_have_text("Dossiers de l’équipe")
    page.click("#open-figures")
    expect(page.locator("h1")).to_have_text("Chiffres d’activité")
    page.get_by_role("button", name="Retour").first.click()
    page.click("#open-measures")
    expect(page.locator("h1")).to_have_text("Délais de recours par mesure")
    page.get_by_role("button", name="Retour").first.click()
    page.click("#open-team")
    expect(page.locator("h1")).to_have_text("Mon équipe")


def test_offline_a_language_the_device_does_not_keep_is_refused_in_words(live_server: LiveServer,
                                                                          phone: BrowserContext, page: Page) -> None:
    email, passphrase = DEMO["volunteer"]
    set_up_device(page, live_server, email, passphrase)
    wait_until_kept(page, live_server, "core", "role:volunteer", "language:fr")
    offline_and_unlocked(phone, page, passphrase)
    page.click("#new-intake")
    page.fill("#f-alias", "Rien ne se perd")
    # Given an intake being typed offline, when the person picks English, which this device
    # never kept, then the app says so, stays in French, and the intake is as it was.
    page.select_option("#app-language", "en")
    expect(page.locator("#app-status")).to_have_text(
        "Cette langue n’est pas encore sur cet appareil. Choisissez-la de nouveau avec un réseau.")
    expect(page.locator("#app-language")).to_have_value("fr")
    assert page.evaluate("document.documentElement.lang") == "fr"
    expect(page.locator("#f-alias")).to_have_value("Rien ne se perd")
    # With the network back, English is chosen, and kept for the next time offline.
    phone.set_offline(False)
    page.select_option("#app-language", "en")
    expect(page.locator("h1")).to_have_text("My cases")
    wait_until_kept(page, live_server, "language:en")
    phone.set_offline(True)
    page.select_option("#app-language", "fr")
    expect(page.locator("h1")).to_have_text("Mes dossiers")
    page.select_option("#app-language", "en")
    expect(page.locator("h1")).to_have_text("My cases")


def test_a_wipe_leaves_the_core_alone_and_no_list_of_groups(live_server: LiveServer, page: Page) -> None:
    email, passphrase = DEMO["volunteer"]
    set_up_device(page, live_server, email, passphrase)
    groups = wait_until_kept(page, live_server, "core", "role:volunteer", "language:fr")
    # Given a volunteer's device, when it is wiped from the header,
    page.tap("#app-wipe")
    page.locator("#wipe-hold").hover()
    page.mouse.down()
    page.wait_for_timeout(2400)
    page.mouse.up()
    expect(page.locator("h1")).to_have_text("Installer Carnet sur cet appareil")
    # then the worker keeps the core alone: nothing left says which role used the device.
    deadline = time.monotonic() + 30
    while True:
        held = page.evaluate(HELD)
        if held == sorted(groups["core"]) or time.monotonic() > deadline:
            break
        page.wait_for_timeout(200)
    assert held == sorted(groups["core"])
    assert page.evaluate("caches.has('carnet-kept-groups')") is False
