"""Screens that forgive: nothing typed is thrown away in one tap, a lock brings the person back to
their draft, the wipe is two deliberate actions from anywhere, the header says where sync stands
without trying one, and the passphrase changes on the device. French, on a 360 px phone."""

import re
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Request, expect

from webapp.cli import DEMO_PEOPLE

from tests.browser.conftest import LOCALES, PHONE, screenshot
from tests.browser.test_accessibility import serious_violations
from tests.browser.test_app import PASSPHRASE, databases, enrol, set_up_device, unlock
from tests.browser.test_intake import enrol_and_certify
from tests.conftest import LiveServer, running_demo

VOLUNTEER = next((e, p) for e, _n, r, _t, p in DEMO_PEOPLE if r == "volunteer")
NEW_PASSPHRASE = "trois mots neufs pour le carnet"


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[LiveServer]:
    """For the tests that type a wrong passphrase on purpose: the server counts failed logins by
    address, and every test browser shares one, so they would slow the shared server's tests."""
    with running_demo(tmp_path) as live:
        yield live


def record_case(page: Page, alias: str) -> None:
    page.click("#new-intake")
    page.fill("#f-alias", alias)
    page.click("#intake-save")
    expect(page.locator("h1")).to_have_text(alias)


def submit_passphrase_change(page: Page) -> None:
    """Submit the filled form until it is through. The server counts the failed logins of the
    browsers' one address (the test makes one on purpose): when it says to wait a moment (what a
    person would read), the test waits and submits again."""
    for _ in range(10):
        current = page.locator("#passphrase-current").input_value()
        page.click("#passphrase-form button[type=submit]")
        page.wait_for_function("""() => document.querySelector('h1')?.textContent === 'Réglages'
          || /Trop de tentatives/.test(document.querySelector('#passphrase-error')?.textContent || '')""",
                               timeout=30_000)
        if page.locator("h1").inner_text() == "Réglages":
            expect(page.locator("#app-status")).to_contain_text("La phrase secrète est changée")
            return
        page.wait_for_timeout(3000)
        page.fill("#passphrase-current", current)
    raise AssertionError("the server kept asking to wait")


def test_discarding_what_was_typed_asks_first(live_server: LiveServer, page: Page) -> None:
    set_up_device(page, live_server, *VOLUNTEER)
    # Nothing typed: "Abandonner" leaves at once.
    page.click("#new-intake")
    page.click("#intake-discard")
    expect(page.locator("#new-intake")).to_be_visible()
    expect(page.locator("#discard-dialog")).to_have_count(0)

    page.click("#new-intake")
    page.fill("#f-alias", "Fatoumata à garder")
    page.click("#intake-discard")
    dialog = page.locator("#discard-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Abandonner ce que vous avez saisi ?")
    # The safe choice has the focus; Escape is the safe choice too.
    expect(page.locator("#discard-dialog-cancel")).to_be_focused()
    screenshot(page, "app-discard-confirm-fr-360x640")
    assert serious_violations(page) == []
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(page.locator("#f-alias")).to_have_value("Fatoumata à garder")

    page.click("#intake-discard")
    page.click("#discard-dialog-cancel")
    expect(page.locator("#f-alias")).to_have_value("Fatoumata à garder")

    page.click("#intake-discard")
    page.click("#discard-dialog-confirm")
    expect(page.locator("#new-intake")).to_be_visible()
    page.click("#new-intake")
    expect(page.locator("#draft-restored")).to_have_count(0)
    expect(page.locator("#f-alias")).to_have_value("")


def test_after_an_auto_lock_the_intake_comes_back_at_its_step_and_drafts_are_listed(
        live_server: LiveServer, page: Page) -> None:
    page.clock.install()
    set_up_device(page, live_server, *VOLUNTEER)
    alias = f"Moussa {secrets.token_hex(3)}"
    page.click("#new-intake")
    page.fill("#f-alias", alias)
    page.click("#step-next")
    page.fill("#f-place_name", "Maison d’arrêt de Fresnes")
    page.clock.fast_forward("05:30")
    expect(page.locator("h1")).to_have_text("Déverrouiller Carnet")
    unlock(page, VOLUNTEER[1])
    # Back on the intake, at its second step, with what was typed.
    expect(page.locator("h1")).to_have_text("Nouvel entretien")
    expect(page.locator("#intake-progress")).to_have_text("Étape 2 sur 5")
    expect(page.locator("#f-place_name")).to_have_value("Maison d’arrêt de Fresnes")
    expect(page.locator("#f-alias")).to_have_value(alias)

    # A restart lands on the home screen, which lists the draft; it opens where it was left.
    page.reload()
    unlock(page, VOLUNTEER[1])
    draft = page.locator("#drafts li[data-draft=new] button")
    expect(draft).to_contain_text(re.compile(rf"^Brouillon — \u2068?{alias}\u2069? — modifié à \d\d:\d\d$"))
    screenshot(page, "app-home-draft-fr-360x640")
    draft.click()
    expect(page.locator("#draft-restored")).to_be_visible()
    expect(page.locator("#intake-progress")).to_have_text("Étape 2 sur 5")
    page.click("#intake-discard")
    page.click("#discard-dialog-confirm")
    expect(page.locator("#drafts")).to_have_count(0)


def offline_with_the_roster(context: BrowserContext, page: Page) -> None:
    """Offline once the roster the app fetched at unlock is kept: cases recorded from then on stay
    on this device (the shared demo volunteer's cases on the server are not added to)."""
    page.evaluate("async () => (await import('/static/js/app/session.js')).unlocked().rosterRefresh")
    context.set_offline(True)


def test_the_wipe_is_two_deliberate_actions_away_from_a_case(live_server: LiveServer, phone: BrowserContext,
                                                             page: Page) -> None:
    set_up_device(page, live_server, *VOLUNTEER)
    offline_with_the_roster(phone, page)
    record_case(page, "Awa à effacer")
    wipe = page.locator("#app-header #app-wipe")
    expect(wipe).to_be_visible()
    wipe.tap()
    dialog = page.locator("#wipe-dialog")
    expect(dialog).to_be_visible()
    expect(page.locator("#wipe-cancel")).to_be_focused()
    screenshot(page, "app-wipe-confirm-fr-360x640")
    # A stray tap on the wipe button does not wipe.
    page.tap("#wipe-hold")
    page.wait_for_timeout(2500)
    expect(page.locator("#wipe-help")).to_contain_text("Rien n’a été effacé")
    assert "carnet" in databases(page)
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(page.locator("h1")).to_have_text("Awa à effacer")

    # The second deliberate action: the button held two seconds.
    wipe.tap()
    page.locator("#wipe-hold").hover()
    page.mouse.down()
    page.wait_for_timeout(2400)
    page.mouse.up()
    expect(page.locator("h1")).to_have_text("Installer Carnet sur cet appareil")
    assert "carnet" not in databases(page)
    expect(page.locator("#app-wipe")).to_be_hidden()


def test_the_header_says_offline_and_counts_interviews_without_a_sync(
        live_server: LiveServer, browser: Browser, phone: BrowserContext, page: Page) -> None:
    # A volunteer of this test's own: the cases recorded here reach the server at the end.
    enrol_and_certify(live_server, browser, page)
    # The roster that says so, fetched before the network goes.
    page.evaluate("""async () => {
      const state = (await import('/static/js/app/session.js')).unlocked();
      await (await import('/static/js/sync/directory.js')).refreshRoster(state);
    }""")
    expect(page.locator("#sync-status")).to_contain_text("Tout est envoyé.")
    sync_calls: list[str] = []

    def on_request(request: Request) -> None:
        if "/api/v1/sync/" in request.url:
            sync_calls.append(request.url)

    phone.set_offline(True)
    page.on("request", on_request)
    network = page.locator("#app-header #app-network")
    expect(network).to_be_visible()
    expect(network).to_have_text("Hors ligne : vos notes restent sur cet appareil et partiront à la prochaine synchronisation.")
    # Two interviews, one of them edited: two waiting, whatever the number of entries.
    record_case(page, "Hors ligne un")
    page.click("#edit-case")
    page.fill("#f-nationality", "Malienne")
    page.click("#intake-save")
    expect(page.locator("#sync-status")).to_contain_text("1 entretien attend d’être envoyé.")
    page.get_by_role("button", name="Retour").click()
    record_case(page, "Hors ligne deux")
    expect(page.locator("#app-header #sync-status")).to_contain_text("2 entretiens attendent d’être envoyés.")
    screenshot(page, "app-header-offline-fr-360x640")
    assert sync_calls == []
    phone.set_offline(False)
    expect(network).to_be_hidden()
    expect(page.locator("#sync-status")).to_contain_text("Tout est envoyé.", timeout=30_000)


def test_the_passphrase_changes_on_the_device_and_for_new_devices(own_server: LiveServer, browser: Browser,
                                                                 phone: BrowserContext, page: Page) -> None:
    email = enrol(own_server, page, name=f"Nour {secrets.token_hex(3)}")
    unlock(page)
    expect(page.locator("h1")).to_have_text("Mes dossiers")
    page.click("#open-settings")
    page.click("#change-passphrase")
    expect(page.locator("#passphrase-network")).to_contain_text("réseau")
    # Refused before anything leaves: a weak one, two that differ, a wrong current one.
    page.fill("#passphrase-current", PASSPHRASE)
    page.fill("#passphrase-new", "court")
    page.fill("#passphrase-again", "court")
    page.click("#passphrase-form button[type=submit]")
    expect(page.locator("#passphrase-error")).to_contain_text("au moins 12 caractères")
    page.fill("#passphrase-current", "pas la phrase actuelle")
    page.fill("#passphrase-new", NEW_PASSPHRASE)
    page.fill("#passphrase-again", NEW_PASSPHRASE)
    page.click("#passphrase-form button[type=submit]")
    expect(page.locator("#passphrase-error")).to_contain_text("La phrase secrète actuelle est fausse")
    # Offline, nothing changes anywhere.
    phone.set_offline(True)
    page.fill("#passphrase-current", PASSPHRASE)
    page.click("#passphrase-form button[type=submit]")
    expect(page.locator("#passphrase-error")).to_contain_text("Pas de réseau")
    phone.set_offline(False)
    screenshot(page, "app-passphrase-change-fr-360x640")
    assert serious_violations(page) == []
    page.fill("#passphrase-current", PASSPHRASE)
    submit_passphrase_change(page)

    # This device: the old passphrase no longer opens it, the new one does.
    page.click("#settings-form button[type=button]")
    page.click("#lock-now")
    unlock(page, PASSPHRASE)
    expect(page.locator("#unlock-error")).to_contain_text("Phrase secrète incorrecte")
    unlock(page, NEW_PASSPHRASE)
    expect(page.locator("h1")).to_have_text("Mes dossiers")

    # A new device: the new passphrase sets it up, the old one is refused.
    context = browser.new_context(locale="fr-FR", **PHONE)
    try:
        other = context.new_page()
        other.goto(own_server.url + "/app")
        other.fill("#setup-email", email)
        other.fill("#setup-passphrase", PASSPHRASE)
        other.click("#setup-form button[type=submit]")
        expect(other.locator("#setup-error")).to_contain_text("L’adresse e-mail ou la phrase secrète est incorrecte")
        other.fill("#setup-passphrase", NEW_PASSPHRASE)
        other.click("#setup-form button[type=submit]")
        expect(other.locator("h1")).to_have_text("Mes dossiers")
    finally:
        context.close()


@pytest.mark.parametrize("language", ["ar", "en"])
def test_the_header_and_its_questions_are_translated_and_accessible(live_server: LiveServer, browser: Browser,
                                                                   language: str) -> None:
    context = browser.new_context(locale=LOCALES[language], **PHONE)
    try:
        page = context.new_page()
        set_up_device(page, live_server, *VOLUNTEER)
        context.set_offline(True)
        expect(page.locator("#app-network")).to_have_text(OFFLINE[language])
        page.tap("#app-wipe")
        expect(page.locator("#wipe-title")).to_have_text(WIPE_TITLE[language])
        screenshot(page, f"app-wipe-confirm-{language}-360x640")
        assert serious_violations(page) == []
        page.keyboard.press("Escape")
        page.click("#new-intake")
        page.fill("#f-alias", "Nour")
        page.click("#intake-discard")
        expect(page.locator("#discard-dialog-title")).to_have_text(DISCARD_TITLE[language])
        assert serious_violations(page) == []
    finally:
        context.close()


def test_the_front_page_is_accessible_on_a_desktop(live_server: LiveServer, browser: Browser) -> None:
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 800})
    try:
        page = context.new_page()
        page.goto(live_server.url + "/")
        expect(page.locator("#landing-app")).to_be_visible()
        assert serious_violations(page) == []
    finally:
        context.close()


OFFLINE = {"ar": "دون اتصال: تبقى ملاحظاتك على هذا الجهاز وتُرسل مع المزامنة القادمة.",
           "en": "Offline: your notes stay on this device and leave with the next sync."}
WIPE_TITLE = {"ar": "مسح هذا الجهاز؟", "en": "Wipe this device?"}
DISCARD_TITLE = {"ar": "التخلي عمّا كتبته؟", "en": "Discard what you typed?"}


def test_a_passphrase_change_whose_answer_was_lost_is_finished_by_trying_again(
        own_server: LiveServer, page: Page) -> None:
    enrol(own_server, page, name=f"Nour {secrets.token_hex(3)}")
    unlock(page)
    page.click("#open-settings")
    page.click("#change-passphrase")

    def lose_the_answer(route) -> None:
        # The server changes the passphrase; its answer never reaches the phone.
        route.fetch()
        route.abort("internetdisconnected")

    page.route("**/api/v1/me/passphrase", lose_the_answer)
    for selector, value in (("#passphrase-current", PASSPHRASE), ("#passphrase-new", NEW_PASSPHRASE),
                            ("#passphrase-again", NEW_PASSPHRASE)):
        page.fill(selector, value)
    page.click("#passphrase-form button[type=submit]")
    # Two derivations of 600,000 iterations come before the request: on a loaded machine, seconds.
    expect(page.locator("#passphrase-error")).to_contain_text("Pas de réseau", timeout=30_000)
    page.unroute("**/api/v1/me/passphrase")
    # The device still opens with the old passphrase; the same two again finish the change here.
    page.fill("#passphrase-current", PASSPHRASE)
    submit_passphrase_change(page)
    page.click("#settings-form button[type=button]")
    page.click("#lock-now")
    unlock(page, NEW_PASSPHRASE)
    expect(page.locator("h1")).to_have_text("Mes dossiers")


def test_a_second_device_follows_a_passphrase_changed_on_the_first(own_server: LiveServer, browser: Browser,
                                                                  page: Page) -> None:
    email = enrol(own_server, page, name=f"Nour {secrets.token_hex(3)}")
    unlock(page)
    context = browser.new_context(locale="fr-FR", **PHONE)
    try:
        second = context.new_page()
        set_up_device(second, own_server, email, PASSPHRASE)
        second.click("#lock-now")
        # Changed on the first device,
        page.click("#open-settings")
        page.click("#change-passphrase")
        for selector, value in (("#passphrase-current", PASSPHRASE), ("#passphrase-new", NEW_PASSPHRASE),
                                ("#passphrase-again", NEW_PASSPHRASE)):
            page.fill(selector, value)
        submit_passphrase_change(page)
        # the second still opens with the old one; its session ended with the change, and its
        # sync, refused when it logs in again, says what to do (once: it does not retry by itself),
        unlock(second, PASSPHRASE)
        expect(second.locator("#sync-error")).to_contain_text("Le serveur refuse la phrase secrète de cet appareil",
                                                              timeout=30_000)
        second.click("#sync-fix")
        for selector, value in (("#passphrase-current", PASSPHRASE), ("#passphrase-new", NEW_PASSPHRASE),
                                ("#passphrase-again", NEW_PASSPHRASE)):
            second.fill(selector, value)
        submit_passphrase_change(second)
        # and from then on opens with the new one and syncs.
        second.click("#settings-form button[type=button]")
        second.click("#lock-now")
        unlock(second, NEW_PASSPHRASE)
        second.click("#sync-now")
        expect(second.locator("#sync-status")).to_contain_text("Dernière synchronisation", timeout=30_000)
        expect(second.locator("#sync-error")).to_have_text("")
    finally:
        context.close()


def test_the_wipe_can_be_held_from_the_keyboard(live_server: LiveServer, page: Page) -> None:
    enrol(live_server, page, name=f"Nour {secrets.token_hex(3)}")
    unlock(page)
    expect(page.locator("h1")).to_have_text("Mes dossiers")
    page.focus("#app-wipe")
    page.keyboard.press("Enter")
    expect(page.locator("#wipe-cancel")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.locator("#wipe-hold")).to_be_focused()
    # A short press wipes nothing; Enter held two seconds does.
    page.keyboard.press("Enter")
    page.wait_for_timeout(2500)
    assert "carnet" in databases(page)
    page.keyboard.down("Enter")
    page.wait_for_timeout(2400)
    page.keyboard.up("Enter")
    expect(page.locator("h1")).to_have_text("Installer Carnet sur cet appareil")
    assert "carnet" not in databases(page)
