"""A first run as a new person would try it, in French on a 360 px phone: the front page says who
goes where, the admin's app says what an admin does there, the certification screen shows the
digits and the QR code to compare, and a very long note folds."""

import re
import secrets

from playwright.sync_api import Browser, BrowserContext, Page, Response, expect

from webapp.cli import DEMO_PEOPLE

from tests.browser.conftest import PHONE, screenshot
from tests.browser.test_accessibility import serious_violations
from tests.browser.test_app import enrol, set_up_device, unlock
from tests.browser.test_fingerprint_qr import decode
from tests.conftest import LiveServer

DEMO = {role: (email, passphrase) for email, _name, role, _team, passphrase in DEMO_PEOPLE}


def test_the_front_page_sends_each_person_to_the_right_door(live_server: LiveServer, page: Page) -> None:
    page.goto(live_server.url + "/")
    expect(page.locator("h1")).to_have_text("Carnet")
    expect(page.locator("#landing")).to_contain_text("Bénévoles, coordinations et audit")
    expect(page.locator("#landing-app")).to_have_attribute("href", "/app")
    expect(page.locator("#landing-admin")).to_have_attribute("href", "/login")
    screenshot(page, "landing-fr-360x640")
    assert serious_violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.click("#landing-app")
    expect(page.locator("h1")).to_have_text("Installer Carnet sur cet appareil")
    page.goto(live_server.url + "/")
    page.click("#landing-admin")
    expect(page).to_have_url(re.compile(r".*/login$"))
    expect(page.locator("h1")).to_have_text("Se connecter")


def test_the_admins_app_says_what_an_admin_does_and_syncs_no_case(live_server: LiveServer, browser: Browser) -> None:
    context = browser.new_context(locale="fr-FR", **PHONE)
    refused: list[str] = []
    synced: list[str] = []

    def on_response(response: Response) -> None:
        if response.status in (401, 403):
            refused.append(response.url)
        if "/api/v1/sync/" in response.url:
            synced.append(response.url)

    context.on("response", on_response)
    try:
        page = context.new_page()
        set_up_device(page, live_server, *DEMO["admin"])
        expect(page.locator("h1")).to_have_text("Administration")
        expect(page.locator("main")).to_contain_text("Certifiez les clés")
        expect(page.locator("#app-header #app-wipe")).to_be_visible()
        # The header counts no interview for an admin: there is none to send.
        expect(page.locator("#sync-status")).to_be_hidden()
        page.wait_for_timeout(1500)
        expect(page.locator("body")).not_to_contain_text("Vous n’avez pas le droit de faire cela.")
        assert refused == [] and synced == []
    finally:
        context.close()


def test_the_certification_screen_shows_the_digits_and_the_qr_code(live_server: LiveServer, browser: Browser,
                                                                    page: Page) -> None:
    enrol(live_server, page, name=f"Samira {secrets.token_hex(3)}")
    unlock(page)
    page.click("#open-fingerprint")
    spoken = page.locator("#my-fingerprint").inner_text()
    context = browser.new_context(locale="fr-FR", **PHONE)
    try:
        admin = context.new_page()
        set_up_device(admin, live_server, *DEMO["admin"])
        admin.click("#open-people")
        row = admin.locator("li[data-standing=uncertified]", has=admin.locator(f"[data-fingerprint]:text-is('{spoken}')"))
        expect(row).to_have_count(1)
        row.get_by_role("button", name="Comparer et certifier").click()
        expect(admin.locator("#compare-fingerprint")).to_have_text(spoken)
        qr = admin.locator("svg.fingerprint-qr")
        expect(qr).to_be_visible()
        found = decode(qr.get_attribute("viewBox"), qr.locator("path").get_attribute("d"))
        assert [code.text for code in found] == [spoken]
        screenshot(admin, "app-compare-qr-fr-360x640")
    finally:
        context.close()


def test_a_very_long_note_folds_behind_see_all(live_server: LiveServer, phone: BrowserContext, page: Page) -> None:
    set_up_device(page, live_server, *DEMO["volunteer"])
    # Recorded offline: the shared demo volunteer's cases on the server are not added to.
    page.evaluate("async () => (await import('/static/js/app/session.js')).unlocked().rosterRefresh")
    phone.set_offline(True)
    page.click("#new-intake")
    page.fill("#f-alias", "Note très longue")
    for _ in range(4):
        page.click("#step-next")
    note = "Début de la note. " + "Une ligne du récit, mot pour mot.\n" * 6000 + "Fin de la note."
    assert len(note.encode()) > 200_000
    # Pasted at once, as a long text copied from elsewhere would be.
    page.eval_on_selector("#f-notes", "(area, text) => { area.value = text; area.dispatchEvent(new Event('input', { bubbles: true })); }", note)
    page.click("#intake-save")
    expect(page.locator("h1")).to_have_text("Note très longue")
    notes = page.locator("dd[data-field=notes]")
    toggle = notes.locator("button.fold-toggle")
    expect(toggle).to_have_text("Voir tout")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(notes).to_contain_text("Début de la note.")
    expect(notes).not_to_contain_text("Fin de la note.")
    assert page.evaluate("document.documentElement.scrollHeight") < 4000
    screenshot(page, "app-case-long-note-fr-360x640")
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(toggle).to_have_text("Voir moins")
    expect(notes).to_contain_text("Fin de la note.")
