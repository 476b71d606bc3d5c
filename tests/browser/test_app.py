"""The volunteer's app at /app: enrolment sets up the device, unlock offline, lock, wipes."""

import re
import secrets

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from playwright.sync_api import Browser, BrowserContext, Page, expect

from crypto import roster
from crypto.encoding import b64url_decode, b64url_encode
from webapp.cli import DEMO_PEOPLE

from tests.browser.conftest import LOCALES, PHONE, screenshot
from tests.browser.test_accessibility import serious_violations
from tests.conftest import LiveServer
from tests.http import HttpSession
from tests.sync_client import log_in as sync_log_in

PASSPHRASE = "une phrase secrète pour le téléphone"


def enrol(server: LiveServer, page: Page, email: str | None = None, name: str = "Nour Bénévole") -> str:
    email = email or f"vol-{secrets.token_hex(4)}@example.org"
    link = server.flask("invite", email, "--role", "volunteer", "--team", "Prisons").strip()
    page.goto(link)
    page.fill("#display-name", name)
    page.fill("#passphrase", PASSPHRASE)
    page.fill("#passphrase-again", PASSPHRASE)
    page.click("#enrol-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/app$"))
    expect(page.locator("#unlock-form")).to_be_visible()
    return email


def unlock(page: Page, passphrase: str = PASSPHRASE) -> None:
    page.fill("#unlock-passphrase", passphrase)
    page.click("#unlock-form button[type=submit]")


def wait_for_service_worker(page: Page) -> None:
    page.wait_for_function("() => navigator.serviceWorker.getRegistration().then(r => !!r?.active)")
    if not page.evaluate("() => !!navigator.serviceWorker.controller"):
        page.reload()
    page.wait_for_function("() => !!navigator.serviceWorker.controller")


def databases(page: Page) -> list[str]:
    return page.evaluate("async () => (await indexedDB.databases()).map(d => d.name)")


def test_enrolment_sets_up_the_device_and_the_app_unlocks_offline(
        live_server: LiveServer, phone: BrowserContext, page: Page) -> None:
    enrol(live_server, page)
    wait_for_service_worker(page)
    phone.set_offline(True)
    page.reload()
    expect(page.locator("h1")).to_have_text("Déverrouiller Carnet")
    unlock(page)
    expect(page.locator("h1")).to_have_text("Mes dossiers")
    screenshot(page, "app-home-fr-360x640")


def test_a_second_device_is_set_up_from_the_escrow(live_server: LiveServer, browser: Browser) -> None:
    first = browser.new_context(locale="fr-FR", **PHONE)
    second = browser.new_context(locale="fr-FR", **PHONE)
    try:
        email = enrol(live_server, first.new_page())
        page = second.new_page()
        page.goto(live_server.url + "/app")
        expect(page.locator("h1")).to_have_text("Installer Carnet sur cet appareil")
        screenshot(page, "app-setup-fr-360x640")
        page.fill("#setup-email", email)
        page.fill("#setup-passphrase", PASSPHRASE)
        page.click("#setup-form button[type=submit]")
        expect(page.locator("h1")).to_have_text("Mes dossiers")
        page.click("#lock-now")
        expect(page.locator("h1")).to_have_text("Déverrouiller Carnet")
        unlock(page)
        expect(page.locator("h1")).to_have_text("Mes dossiers")
    finally:
        first.close()
        second.close()


def test_wrong_passphrases_count_down_and_then_wipe_the_device(live_server: LiveServer, page: Page) -> None:
    enrol(live_server, page)
    unlock(page, "pas la bonne phrase")
    expect(page.locator("#unlock-error")).to_contain_text("Encore 9 essais")
    for _ in range(9):
        page.fill("#unlock-passphrase", "pas la bonne phrase")
        page.click("#unlock-form button[type=submit]")
        page.wait_for_function("() => !document.querySelector('#unlock-form button')?.disabled")
    expect(page.locator("h1")).to_have_text("Installer Carnet sur cet appareil")
    expect(page.locator("#app-status")).to_have_text(
        "Trop de tentatives échouées : les données de cet appareil ont été effacées.")
    assert "carnet" not in databases(page)


def test_the_wipe_takes_a_tap_then_a_held_button(live_server: LiveServer, page: Page) -> None:
    enrol(live_server, page)
    unlock(page)
    expect(page.locator("h1")).to_have_text("Mes dossiers")
    expect(page.locator("#wipe-hold")).to_have_count(0)
    page.tap("#app-wipe")
    expect(page.locator("#wipe-hold")).to_be_visible()
    assert "carnet" in databases(page)
    page.locator("#wipe-hold").hover()
    page.mouse.down()
    page.wait_for_timeout(2400)
    page.mouse.up()
    expect(page.locator("h1")).to_have_text("Installer Carnet sur cet appareil")
    assert "carnet" not in databases(page)


def test_the_app_locks_itself_after_inactivity(live_server: LiveServer, page: Page) -> None:
    page.clock.install()
    enrol(live_server, page)
    unlock(page)
    expect(page.locator("h1")).to_have_text("Mes dossiers")
    page.clock.fast_forward("04:00")
    expect(page.locator("h1")).to_have_text("Mes dossiers")
    page.clock.fast_forward("01:30")
    expect(page.locator("h1")).to_have_text("Déverrouiller Carnet")
    expect(page.locator(".notice")).to_have_text("Carnet s’est verrouillé pour protéger vos notes.")


def test_the_lock_delay_is_settable(live_server: LiveServer, page: Page) -> None:
    page.clock.install()
    enrol(live_server, page)
    unlock(page)
    page.click("#open-settings")
    page.select_option("#lock-minutes", "15")
    page.click("#settings-form button[type=submit]")
    expect(page.locator("h1")).to_have_text("Mes dossiers")
    page.clock.fast_forward("10:00")
    expect(page.locator("h1")).to_have_text("Mes dossiers")
    page.clock.fast_forward("06:00")
    expect(page.locator("h1")).to_have_text("Déverrouiller Carnet")


@pytest.mark.parametrize("language", ["fr", "ar"])
def test_app_screens_are_accessible_and_translated(live_server: LiveServer, browser: Browser, language: str) -> None:
    context = browser.new_context(locale=LOCALES[language], **PHONE)
    try:
        page = context.new_page()
        page.goto(live_server.url + "/app")
        expect(page.locator("#setup-form")).to_be_visible()
        expect(page.locator("html")).to_have_attribute("dir", "rtl" if language == "ar" else "ltr")
        found = {"setup": serious_violations(page)}
        screenshot(page, f"app-setup-{language}-360x640")
        enrol(live_server, page)
        found["unlock"] = serious_violations(page)
        screenshot(page, f"app-unlock-{language}-360x640")
        unlock(page)
        expect(page.locator("#lock-now")).to_be_visible()
        found["home"] = serious_violations(page)
        screenshot(page, f"app-home-{language}-360x640")
        page.click("#open-settings")
        found["settings"] = serious_violations(page)
        assert {name: v for name, v in found.items() if v} == {}
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
    finally:
        context.close()


def test_the_shell_needs_no_session_and_gets_a_csrf_token_when_it_must(live_server: LiveServer) -> None:
    client = HttpSession(live_server.url)
    shell = client.request("GET", "/app").body.decode()
    assert "csrf" not in shell.lower()
    token = client.request("GET", "/api/v1/auth/csrf").json()["csrf_token"]
    client.csrf_token = token
    assert client.post("/api/v1/auth/params", {"email": "x@example.org"}).status == 200


def set_up_device(page: Page, server: LiveServer, email: str, passphrase: str) -> None:
    page.goto(server.url + "/app")
    page.fill("#setup-email", email)
    page.fill("#setup-passphrase", passphrase)
    page.click("#setup-form button[type=submit]")
    expect(page.locator("#lock-now")).to_be_visible()


def test_admin_compares_fingerprints_and_certifies_a_new_member(live_server: LiveServer, browser: Browser) -> None:
    volunteer_context = browser.new_context(locale="fr-FR", **PHONE)
    admin_context = browser.new_context(locale="fr-FR", **PHONE)
    try:
        volunteer = volunteer_context.new_page()
        # A name of its own: the shared server holds many "Nour Bénévole" enrolled by other tests.
        email = enrol(live_server, volunteer, name="Inès Nouvelle")
        unlock(volunteer)
        volunteer.click("#open-fingerprint")
        spoken = volunteer.locator("#my-fingerprint").inner_text()
        assert re.fullmatch(r"\d{5}( \d{5}){5}", spoken)

        admin = admin_context.new_page()
        admin_email, admin_passphrase = next((e, p) for e, _n, r, _t, p in DEMO_PEOPLE if r == "admin")
        set_up_device(admin, live_server, admin_email, admin_passphrase)
        admin.click("#open-people")
        row = admin.locator("li", has=admin.locator("strong", has_text="Inès Nouvelle"))
        expect(row).to_have_attribute("data-standing", "uncertified")
        screenshot(admin, "app-people-fr-360x640")
        row.locator("button").click()
        expect(admin.locator("#compare-fingerprint")).to_have_text(spoken)
        admin.click("#certify")
        expect(admin.locator("#app-status")).to_contain_text("certifié")
        user_id = row.get_attribute("data-person")
        expect(admin.locator(f'li[data-person="{user_id}"]')).to_have_attribute("data-standing", "certified")
    finally:
        volunteer_context.close()
        admin_context.close()
    # The entry the admin's browser signed verifies with the Python reference.
    # (The demo admin's login gives the second factor: tests/sync_client.py.)
    client, _admin_id, _kek = sync_log_in(live_server.url, "admin")
    association = b64url_decode(client.request("GET", "/api/v1/association").json()["public_key"])
    people = {p["user_id"]: p for p in client.request("GET", "/api/v1/directory").json()["people"]}
    entry = roster.verify_roster_entry(b64url_decode(people[user_id]["roster"]),
                                       Ed25519PublicKey.from_public_bytes(association))
    assert b64url_encode(entry.user_id) == user_id and entry.role == roster.Role.VOLUNTEER
    assert email.startswith("vol-")


@pytest.mark.parametrize("language", ["fr", "ar"])
def test_fingerprint_and_people_screens_are_accessible(live_server: LiveServer, browser: Browser,
                                                       language: str) -> None:
    context = browser.new_context(locale=LOCALES[language], **PHONE)
    try:
        page = context.new_page()
        admin_email, admin_passphrase = next((e, p) for e, _n, r, _t, p in DEMO_PEOPLE if r == "admin")
        set_up_device(page, live_server, admin_email, admin_passphrase)
        page.click("#open-fingerprint")
        expect(page.locator("#my-fingerprint")).to_be_visible()
        found = {"fingerprint": serious_violations(page)}
        screenshot(page, f"app-fingerprint-{language}-360x640")
        page.locator("button").last.click()
        page.click("#open-people")
        expect(page.locator(".people-list")).to_be_visible()
        found["people"] = serious_violations(page)
        screenshot(page, f"app-people-{language}-360x640")
        assert {name: v for name, v in found.items() if v} == {}
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
    finally:
        context.close()


def set_visibility(page: Page, state: str) -> None:
    page.evaluate("""(state) => {
        Object.defineProperty(document, 'visibilityState', { value: state, configurable: true });
        document.dispatchEvent(new Event('visibilitychange'));
    }""", state)


def test_the_app_locks_when_hidden_for_more_than_a_minute(live_server: LiveServer, page: Page) -> None:
    page.clock.install()
    enrol(live_server, page)
    unlock(page)
    expect(page.locator("h1")).to_have_text("Mes dossiers")
    set_visibility(page, "hidden")
    page.clock.fast_forward("00:30")
    set_visibility(page, "visible")
    expect(page.locator("h1")).to_have_text("Mes dossiers")
    set_visibility(page, "hidden")
    page.clock.fast_forward("01:05")
    set_visibility(page, "visible")
    expect(page.locator("h1")).to_have_text("Déverrouiller Carnet")


@pytest.mark.parametrize("language", ["fr", "ar"])
def test_the_compare_screen_is_accessible(live_server: LiveServer, browser: Browser, language: str) -> None:
    newcomer = browser.new_context(locale="fr-FR", **PHONE)
    context = browser.new_context(locale=LOCALES[language], **PHONE)
    try:
        enrol(live_server, newcomer.new_page())
        page = context.new_page()
        admin_email, admin_passphrase = next((e, p) for e, _n, r, _t, p in DEMO_PEOPLE if r == "admin")
        set_up_device(page, live_server, admin_email, admin_passphrase)
        page.click("#open-people")
        page.locator("li[data-standing=uncertified] button").first.click()
        expect(page.locator("#compare-fingerprint")).to_be_visible()
        page.click("#mismatch")
        expect(page.locator("#compare-error")).not_to_be_empty()
        screenshot(page, f"app-compare-{language}-360x640")
        assert serious_violations(page) == []
    finally:
        newcomer.close()
        context.close()
