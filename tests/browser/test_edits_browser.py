"""Edits never undo or hide anyone's work. An edit's draft holds what the person changed, with
the version it was based on: restored after someone else's edits, it re-applies only those
fields, and a field changed meanwhile shows both values for the person to choose. Every conflict
shows (an empty winner too) and "Keep this one" settles it. Retention never takes a case from
under the person editing it."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Playwright, expect

from tests.browser.conftest import PHONE, open_phone_profile
from tests.browser.test_accessibility import serious_violations
from tests.browser.test_app import set_up_device, unlock
from tests.browser.test_app import PASSPHRASE
from tests.browser.test_cases_browser import DEMO, app, grant, home
from tests.browser.test_intake import enrol_and_certify
from tests.browser.test_disabled_phone_browser import records, set_account_status
from tests.browser.test_pwa import UPDATE_BANNER_SHOWN, find_update, publish_release, shell_version
from tests.conftest import LiveServer, running_demo

TITLE = "Brouillon Intentions"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    with running_demo(tmp_path) as live:
        yield live


def open_case(page: Page) -> None:
    page.locator("#case-list button", has_text=TITLE).click()
    expect(page.locator("h1")).to_have_text(TITLE)


def to_last_step(page: Page) -> None:
    while not page.locator("#f-notes").is_visible():
        page.click("#step-next")


def edit(page: Page, **fields: str) -> None:
    open_case(page)
    page.click("#edit-case")
    to_last_step(page)
    for name, value in fields.items():
        page.fill(f"#f-{name}", value)


def sync(page: Page, timeout: float = 5000) -> None:
    page.click("#sync-now")
    expect(page.locator("#sync-progress")).to_be_hidden(timeout=timeout)
    expect(page.locator("#sync-now")).to_be_enabled(timeout=timeout)
    expect(page.locator("#sync-status")).to_contain_text("Tout est envoyé.", timeout=timeout)


class Devices:
    """Phones whose storage is kept on disk: closing one and opening it again is a browser
    restart, as when a phone's browser is killed, and its store survives it."""

    def __init__(self, playwright: Playwright, folder: Path, server: LiveServer) -> None:
        self.playwright, self.folder, self.server = playwright, folder, server
        self.contexts = {}

    def open(self, name: str) -> Page:
        context, page = open_phone_profile(self.playwright, self.folder / name)
        self.contexts[name] = context
        return page

    def restart(self, name: str, passphrase: str) -> Page:
        """The browser closed and opened again on the app, unlocked."""
        self.contexts.pop(name).close()
        page = self.open(name)
        page.goto(self.server.url + "/app")
        unlock(page, passphrase)
        expect(page.locator("#lock-now")).to_be_visible()
        return page

    def close(self) -> None:
        for context in self.contexts.values():
            context.close()


@pytest.fixture
def devices(playwright: Playwright, tmp_path: Path, server: LiveServer) -> Iterator[Devices]:
    phones = Devices(playwright, tmp_path / "devices", server)
    yield phones
    phones.close()


def back(page: Page) -> None:
    page.get_by_role("button", name="Retour").click()


def shared_case(devices: Devices, server: LiveServer, **fields: str) -> tuple[Page, Page]:
    """The demo volunteer records a case on one phone and syncs; the coordinator sets up another
    device. Returns (volunteer, coordinator)."""
    volunteer, coordinator = devices.open("volunteer"), devices.open("coordinator")
    set_up_device(volunteer, server, *DEMO["volunteer"])
    volunteer.click("#new-intake")
    volunteer.fill("#f-alias", TITLE)
    to_last_step(volunteer)
    for name, value in fields.items():
        volunteer.fill(f"#f-{name}", value)
    save_and_back(volunteer)
    back(volunteer)
    sync(volunteer)
    set_up_device(coordinator, server, *DEMO["coordinator"])
    sync(coordinator)
    return volunteer, coordinator


def leave_a_draft(devices: Devices, name: str, passphrase: str, **fields: str) -> Page:
    """Type in an edit on a device, then restart its browser: the draft stays, sealed."""
    page = devices.contexts[name].pages[0]
    edit(page, **fields)
    app(page, "app/intake:await m.saveOpenDraft()")
    page = devices.restart(name, passphrase)
    expect(page.locator("#sync-now")).to_be_visible()
    return page


def save_edit(page: Page, **fields: str) -> None:
    """Edit, save, back home, and sync."""
    edit(page, **fields)
    save_and_back(page)
    back(page)
    sync(page)


def restore_and_save(page: Page) -> None:
    """Open the case's edit again: the draft comes back without a field to choose; saved."""
    open_case(page)
    page.click("#edit-case")
    expect(page.locator("#draft-restored")).to_be_visible()
    expect(page.locator("#draft-moved")).to_have_count(0)
    save_and_back(page)


def save_and_back(page: Page) -> None:
    page.click("#intake-save")
    expect(page.locator("h1")).to_have_text(TITLE)


def field(page: Page, name: str):
    """The value a case shows for a field (its versions, if any, are listed after it)."""
    return page.locator(f'dd[data-field="{name}"] > bdi').first


def test_a_restored_draft_keeps_other_peoples_newer_edits_and_asks_where_they_meet(
        server: LiveServer, devices: Devices) -> None:
    volunteer, coordinator = shared_case(devices, server, next_actions="Rappeler la famille", notes="Première note")

    # Finding 1: the volunteer's draft changes one field; the coordinator changes two others.
    volunteer = leave_a_draft(devices, "volunteer", DEMO["volunteer"][1], referrals="Maître Diallo")
    save_edit(coordinator, next_actions="Audience fixée", notes="Note de la coordination")
    sync(volunteer)
    open_case(volunteer)
    expect(field(volunteer, "notes")).to_have_text("Note de la coordination")
    back(volunteer)
    restore_and_save(volunteer)
    expect(field(volunteer, "next_actions")).to_have_text("Audience fixée")
    expect(field(volunteer, "notes")).to_have_text("Note de la coordination")
    expect(field(volunteer, "referrals")).to_have_text("Maître Diallo")
    expect(volunteer.locator(".conflict")).to_have_count(0)
    back(volunteer)
    sync(volunteer)

    # Where they meet: the draft's field was changed by the coordinator meanwhile.
    volunteer = leave_a_draft(devices, "volunteer", DEMO["volunteer"][1], notes="Note du bénévole")
    save_edit(coordinator, notes="Note corrigée par la coordination")
    sync(volunteer)
    open_case(volunteer)
    volunteer.click("#edit-case")
    expect(volunteer.locator("#draft-moved")).to_contain_text("1 champ de votre brouillon")
    to_last_step(volunteer)
    choice = volunteer.locator('[data-moved="notes"]')
    expect(volunteer.locator("#f-notes")).to_have_value("Note corrigée par la coordination")
    expect(choice).to_contain_text("Note corrigée par la coordination")
    expect(choice).to_contain_text("Note du bénévole")
    assert serious_violations(volunteer) == []
    choice.get_by_role("button", name="Reprendre la valeur de mon brouillon").click()
    expect(volunteer.locator("#f-notes")).to_have_value("Note du bénévole")
    expect(volunteer.locator("[data-moved]")).to_have_count(0)
    save_and_back(volunteer)
    # Chosen with the coordinator's value in view: a settled edit, not a conflict.
    expect(field(volunteer, "notes")).to_have_text("Note du bénévole")
    expect(volunteer.locator(".conflict")).to_have_count(0)
    back(volunteer)
    sync(volunteer)
    sync(coordinator)
    open_case(coordinator)
    expect(field(coordinator, "notes")).to_have_text("Note du bénévole")
    expect(field(coordinator, "next_actions")).to_have_text("Audience fixée")
    expect(field(coordinator, "referrals")).to_have_text("Maître Diallo")


def test_between_two_volunteers_a_restored_draft_keeps_the_others_newer_edits(
        server: LiveServer, devices: Devices, browser: Browser) -> None:
    volunteer, coordinator = shared_case(devices, server, next_actions="Rappeler la famille", notes="Première note")
    # A second volunteer, on a phone of their own, is given the case by the coordinator.
    other = devices.open("other")
    spoken = enrol_and_certify(server, browser, other)
    app(other, "sync/directory:m.refreshRoster(s)")
    other_id = app(other, "app/session:s.vault.userId")
    sync(coordinator)  # the roster with the new volunteer in it
    case_id = coordinator.locator("#case-list li", has_text=TITLE).get_attribute("data-case")
    grant(coordinator, case_id, other_id, spoken)
    sync(other)

    # Finding 1, between volunteers: one's draft changes one field, the other changes two.
    volunteer = leave_a_draft(devices, "volunteer", DEMO["volunteer"][1], referrals="Maître Diallo")
    save_edit(other, next_actions="Audience fixée", notes="Note de l’autre bénévole")
    sync(volunteer)
    restore_and_save(volunteer)
    expect(field(volunteer, "next_actions")).to_have_text("Audience fixée")
    expect(field(volunteer, "notes")).to_have_text("Note de l’autre bénévole")
    expect(field(volunteer, "referrals")).to_have_text("Maître Diallo")
    expect(volunteer.locator(".conflict")).to_have_count(0)
    back(volunteer)
    sync(volunteer)

    # The other volunteer, whose browser restarts too, sees both people's work.
    other = devices.restart("other", PASSPHRASE)
    sync(other)
    open_case(other)
    expect(field(other, "next_actions")).to_have_text("Audience fixée")
    expect(field(other, "notes")).to_have_text("Note de l’autre bénévole")
    expect(field(other, "referrals")).to_have_text("Maître Diallo")
    expect(other.locator(".conflict")).to_have_count(0)


def test_every_conflict_shows_even_an_empty_winner_and_keeping_one_settles_it(
        server: LiveServer, devices: Devices) -> None:
    volunteer, coordinator = shared_case(devices, server, notes="Texte initial")

    # Offline, both write the same next step (not a conflict); the volunteer rewrites the note
    # while the coordinator, two edits later, clears it: the empty value wins the merge.
    for page in (volunteer, coordinator):
        page.context.set_offline(True)
    edit(volunteer, next_actions="Audience mardi", notes="Texte du bénévole")
    save_and_back(volunteer)
    edit(coordinator, next_actions="Audience mardi", referrals="Maître Diallo")
    save_and_back(coordinator)
    coordinator.click("#edit-case")
    to_last_step(coordinator)
    coordinator.fill("#f-notes", "")
    save_and_back(coordinator)
    for page in (volunteer, coordinator):
        back(page)
        page.context.set_offline(False)
    for page in (volunteer, coordinator, volunteer):
        sync(page)

    # The conflict shows on both devices, in the lists too; the coordinator can filter it.
    for page in (volunteer, coordinator):
        expect(page.locator("#case-list li", has_text=TITLE)).to_contain_text("1 conflit à régler")
    coordinator.click(".filter-box summary")
    coordinator.select_option("#filter-conflict", "yes")
    expect(coordinator.locator("#case-list li:visible")).to_have_count(1)
    open_case(volunteer)
    notes = volunteer.locator('dd[data-field="notes"]')
    expect(notes.locator(".conflict")).to_be_visible()
    expect(notes.locator("> em")).to_have_text("(vide)")
    versions = notes.locator("ol.versions > li")
    expect(versions).to_have_count(3)
    expect(versions.nth(0)).to_contain_text("Texte initial")
    expect(versions.nth(0)).to_contain_text("\u2068Bastien Bénévole\u2069, cet appareil")
    expect(versions.filter(has_text="Texte du bénévole")).to_contain_text("\u2068Bastien Bénévole\u2069, cet appareil")
    expect(versions.nth(2)).to_contain_text("\u2068Camille Coordination\u2069, appareil ")
    expect(volunteer.locator('dd[data-field="next_actions"] .conflict')).to_have_count(0)

    # Keeping the volunteer's text settles it, with that text and no other change.
    versions.filter(has_text="Texte du bénévole").get_by_role("button", name="Garder celle-ci").click()
    expect(field(volunteer, "notes")).to_have_text("Texte du bénévole")
    expect(volunteer.locator(".conflict")).to_have_count(0)
    back(volunteer)
    expect(volunteer.locator("#case-list li", has_text=TITLE)).not_to_contain_text("conflit")
    sync(volunteer)
    sync(coordinator)
    open_case(coordinator)
    expect(field(coordinator, "notes")).to_have_text("Texte du bénévole")
    expect(coordinator.locator(".conflict")).to_have_count(0)


def test_on_three_devices_conflicts_show_everywhere_name_the_device_and_one_keep_settles_them_all(
        server: LiveServer, devices: Devices) -> None:
    volunteer, coordinator = shared_case(devices, server, notes="Texte initial")
    # The same volunteer's second phone.
    spare = devices.open("spare")
    set_up_device(spare, server, *DEMO["volunteer"])
    sync(spare)

    # All three offline: the two phones write the same next step (not a conflict), the first
    # rewrites the note, the second adds a referral; the coordinator, two edits later, clears the
    # note: the empty value wins the merge and the phone's text stays as a version.
    for page in (volunteer, spare, coordinator):
        page.context.set_offline(True)
    edit(volunteer, next_actions="Audience mardi", notes="Texte du premier téléphone")
    save_and_back(volunteer)
    edit(spare, next_actions="Audience mardi", referrals="Maître Diallo")
    save_and_back(spare)
    edit(coordinator, next_actions="Audience mardi")
    save_and_back(coordinator)
    coordinator.click("#edit-case")
    to_last_step(coordinator)
    coordinator.fill("#f-notes", "")
    save_and_back(coordinator)
    for page in (volunteer, spare, coordinator):
        back(page)
    # The second phone's browser is closed offline and opened again with a network: its edit waits.
    spare = devices.restart("spare", DEMO["volunteer"][1])
    for page in (volunteer, coordinator):
        page.context.set_offline(False)
    for page in (volunteer, spare, coordinator, volunteer, spare):
        sync(page)

    # Every device marks the case and shows the note's three versions, each with its author and
    # device: the two phones of one volunteer are told apart.
    for page in (volunteer, spare, coordinator):
        expect(page.locator("#case-list li", has_text=TITLE)).to_contain_text("1 conflit à régler")
    open_case(spare)
    notes = spare.locator('dd[data-field="notes"]')
    expect(notes.locator("> em")).to_have_text("(vide)")
    versions = notes.locator("ol.versions > li")
    expect(versions).to_have_count(3)
    expect(versions.filter(has_text="Texte du premier téléphone")).to_contain_text("\u2068Bastien Bénévole\u2069, appareil ")
    expect(versions.nth(2)).to_contain_text("\u2068Camille Coordination\u2069, appareil ")
    expect(field(spare, "referrals")).to_have_text("Maître Diallo")
    expect(spare.locator('dd[data-field="next_actions"] .conflict')).to_have_count(0)
    expect(spare.locator('dd[data-field="referrals"] .conflict')).to_have_count(0)

    # Kept on the second phone: settled there, and on the other two after their sync.
    versions.filter(has_text="Texte du premier téléphone").get_by_role("button", name="Garder celle-ci").click()
    expect(field(spare, "notes")).to_have_text("Texte du premier téléphone")
    expect(spare.locator(".conflict")).to_have_count(0)
    back(spare)
    sync(spare)
    for page in (volunteer, coordinator):
        sync(page)
        expect(page.locator("#case-list li", has_text=TITLE)).not_to_contain_text("conflit")
        open_case(page)
        expect(field(page, "notes")).to_have_text("Texte du premier téléphone")
        expect(page.locator(".conflict")).to_have_count(0)


def test_under_retention_none_an_edit_open_through_a_sync_saves(server: LiveServer, page: Page) -> None:
    server.flask("team", "policy", "Prisons", "--retention", "none")
    set_up_device(page, server, *DEMO["volunteer"])
    page.click("#new-intake")
    page.fill("#f-alias", TITLE)
    save_and_back(page)
    page.get_by_role("button", name="Retour").click()
    sync(page)
    expect(page.locator("#case-list")).to_have_count(0)

    # Brought back from the server and edited: the background sync leaves it alone.
    page.locator("#server-cases li button.case-link").first.click()
    expect(page.locator("h1")).to_have_text(TITLE)
    expect(page.locator("#case-retention")).to_contain_text("ce dossier quitte cet appareil à la première synchronisation")
    page.click("#edit-case")
    to_last_step(page)
    page.fill("#f-notes", "Écrit pendant une synchronisation")
    app(page, "sync/engine:(await m.syncNow(s)).refused")
    save_and_back(page)
    expect(field(page, "notes")).to_have_text("Écrit pendant une synchronisation")

    # Left, sent: then it goes, as the team asks.
    page.get_by_role("button", name="Retour").click()
    sync(page)
    expect(page.locator("#case-list")).to_have_count(0)
    # The server's list renews a session that ended, as every other call does.
    assert "Ended" in server.flask("sessions", "end", DEMO["volunteer"][0])
    page.click("#open-settings")
    page.get_by_role("button", name="Annuler").click()
    expect(page.locator("#server-cases li")).to_have_count(1)
    page.locator("#server-cases li button.case-link").first.click()
    expect(field(page, "notes")).to_have_text("Écrit pendant une synchronisation")


def reload_locked(page: Page) -> None:
    page.reload()
    expect(page.locator("#unlock-passphrase")).to_be_visible()


def test_an_update_applies_at_the_next_reload_once_nothing_would_be_interrupted(browser: Browser,
                                                                                 tmp_path: Path) -> None:
    context = browser.new_context(locale="fr-FR", **PHONE)
    with running_demo(tmp_path) as live:
        try:
            page = context.new_page()
            set_up_device(page, live, *DEMO["volunteer"])
            page.wait_for_function("() => navigator.serviceWorker.getRegistration().then((r) => !!r?.active)")
            old_version = shell_version(page)
            page.click("#new-intake")
            page.fill("#f-alias", "Pendant la mise à jour")
            app(page, "app/intake:await m.saveOpenDraft()")
            new_version, _precache = publish_release(live)
            find_update(page)

            # A draft is open: the reload keeps the version that runs, and says one is waiting;
            # the wipe stays within reach of the locked screen too.
            reload_locked(page)
            page.wait_for_function(UPDATE_BANNER_SHOWN)
            assert shell_version(page) == old_version
            page.click("#app-wipe", trial=True, timeout=3000)
            unlock(page, DEMO["volunteer"][1])
            page.locator("#drafts li button").click()
            expect(page.locator("#f-alias")).to_have_value("Pendant la mise à jour")

            # Saved offline, the intake waits to be sent: the update waits too.
            context.set_offline(True)
            page.click("#intake-save")
            expect(page.locator("#edit-case")).to_be_visible()
            reload_locked(page)
            page.wait_for_function(UPDATE_BANNER_SHOWN)
            assert shell_version(page) == old_version

            # Sent, with no draft left: the next reload runs the new version, and nothing is lost.
            context.set_offline(False)
            unlock(page, DEMO["volunteer"][1])
            page.wait_for_selector("#sync-now, #edit-case")
            if page.locator("#edit-case").count():
                page.get_by_role("button", name="Retour").click()
            sync(page)
            reload_locked(page)
            page.wait_for_function("() => navigator.serviceWorker.controller !== null")
            assert shell_version(page) == new_version
            expect(page.locator("#app-update")).to_be_hidden()
            unlock(page, DEMO["volunteer"][1])
            expect(page.locator("#case-list li", has_text="Pendant la mise à jour")).to_be_visible()
        finally:
            context.close()


# Every text the header's error line shows, however briefly.
SHOWN_ERRORS = """() => {
    const line = document.getElementById("sync-error");
    window.shownErrors = [];
    new MutationObserver(() => { if (line.textContent) window.shownErrors.push(line.textContent); })
        .observe(line, { childList: true, characterData: true, subtree: true });
}"""


def test_a_session_ending_mid_sync_is_renewed_and_no_network_is_no_alarm(server: LiveServer, page: Page) -> None:
    set_up_device(page, server, *DEMO["volunteer"])
    page.click("#new-intake")
    page.fill("#f-alias", TITLE)
    save_and_back(page)
    page.get_by_role("button", name="Retour").click()

    # The session ends between the sync's first call and its pull: renewed, the sync goes through.
    ended = []

    def end_the_session(route) -> None:
        if not ended:
            ended.append(server.flask("sessions", "end", DEMO["volunteer"][0]))
        route.continue_()

    page.route("**/api/v1/sync/pull*", end_the_session)
    page.evaluate(SHOWN_ERRORS)
    sync(page, timeout=30_000)  # a login in the middle: given time on a loaded machine
    assert ended and "Ended" in ended[0]
    assert page.evaluate("window.shownErrors") == []
    page.unroute("**/api/v1/sync/pull*")

    # No network: said plainly, as a state the sync gets over by itself, with a way to try again.
    page.context.set_offline(True)
    page.click("#sync-now")
    error = page.locator("#sync-error")
    expect(error).to_contain_text("Pas de réseau")
    expect(error).not_to_have_attribute("role", "alert")
    expect(error).to_have_class("header-note")
    expect(page.locator("#sync-fix")).to_have_text("Réessayer")
    # Back online, the sync goes by itself and the note goes with it.
    page.context.set_offline(False)
    expect(error).to_be_empty()
    expect(page.locator("#sync-fix")).to_be_hidden()


def test_an_edit_draft_stays_with_its_case_when_the_account_is_disabled_and_goes_with_it_when_it_leaves(
        server: LiveServer, page: Page) -> None:
    email, passphrase = DEMO["volunteer"]
    set_up_device(page, server, email, passphrase)
    page.click("#new-intake")
    page.fill("#f-alias", TITLE)
    save_and_back(page)
    page.get_by_role("button", name="Retour").click()
    sync(page)
    case_id = page.locator("#case-list li", has_text=TITLE).get_attribute("data-case")
    edit(page, notes="Tapé avant la désactivation")
    app(page, "app/intake:await m.saveOpenDraft()")
    page.reload()
    unlock(page, passphrase)

    # Disabled: the cases the server holds leave the phone, but not one with an edit being typed.
    expect(page.locator("#sync-now")).to_be_enabled()
    set_account_status(server, email, "disabled")
    page.click("#sync-now")
    expect(page.locator("#lock-disabled")).to_contain_text("désactivé")
    unlock(page, passphrase)
    expect(page.locator("#disabled-edit-drafts")).to_contain_text("1 dossier")
    assert records(page, "case") == 1 and records(page, "draft") == 1

    # Enabled again: the draft opens in its case, as typed.
    set_account_status(server, email, "active")
    page.click("#disabled-retry")
    expect(page.locator("h1")).to_have_text("Mes dossiers", timeout=20_000)
    open_case(page)
    page.click("#edit-case")
    expect(page.locator("#draft-restored")).to_be_visible()
    to_last_step(page)
    expect(page.locator("#f-notes")).to_have_value("Tapé avant la désactivation")

    # A case that leaves the device takes its draft with it, in the same write.
    app(page, "store/records:m.caseRecords.delete(s.vault, args[0])", case_id)
    assert records(page, "case") == 0 and records(page, "draft") == 0


# A sync started without waiting for it; `window.backgroundSync` says when it is done.
SYNC_IN_BACKGROUND = """() => {
    window.backgroundSync = "running";
    Promise.all([import("/static/js/sync/engine.js"), import("/static/js/app/session.js")])
        .then(([engine, session]) => engine.syncNow(session.unlocked()))
        .then(() => { window.backgroundSync = "done"; }, (error) => { window.backgroundSync = String(error); });
}"""


def test_under_retention_none_a_case_saved_during_a_sync_stays_until_it_is_sent(server: LiveServer, page: Page) -> None:
    server.flask("team", "policy", "Prisons", "--retention", "none")
    set_up_device(page, server, *DEMO["volunteer"])
    sync(page)

    # A sync is under way (its pull held back) while an intake is recorded and saved.
    held = []
    page.route("**/api/v1/sync/pull*", lambda route: held.append(route))
    page.evaluate(SYNC_IN_BACKGROUND)
    while not held:
        page.wait_for_timeout(100)
    page.click("#new-intake")
    page.fill("#f-alias", TITLE)
    save_and_back(page)
    back(page)
    held[0].continue_()
    page.unroute("**/api/v1/sync/pull*")
    page.wait_for_function("() => window.backgroundSync === 'done'")
    home(page)

    # That sync pushed before the save: the case waits on the phone, listed, until it is sent.
    expect(page.locator("#sync-status")).to_contain_text("1 entretien attend d’être envoyé.")
    assert records(page, "case") == 1
    open_case(page)
    page.get_by_role("button", name="Retour").click()
    sync(page)
    expect(page.locator("#case-list")).to_have_count(0)
    assert records(page, "case") == 0
    expect(page.locator("#server-cases li")).to_have_count(1)


def test_cases_kept_on_the_server_tell_their_number_and_place_on_demand_and_stay_there(
        server: LiveServer, page: Page) -> None:
    server.flask("team", "policy", "Prisons", "--retention", "none")
    set_up_device(page, server, *DEMO["volunteer"])
    sync(page)
    app(page, "app/session:s.rosterRefresh")
    for number, place in (("A-1024", "CRA de Lyon"), ("B-2048", "Maison d’arrêt de Nîmes")):
        app(page, "store/cases:m.createCase(s, {alias: args[0], prison_number: args[0], place_name: args[1]}, [])",
            number, place)
    sync(page)
    expect(page.locator("#case-list")).to_have_count(0)
    rows = page.locator("#server-cases li")
    expect(rows).to_have_count(2)
    # Dates alone do not tell two cases of one day apart; their number and place do, on demand,
    # with a session renewed if it ended meanwhile.
    assert "Ended" in server.flask("sessions", "end", DEMO["volunteer"][0])
    for index in range(2):
        rows.nth(index).locator("[data-peek]").click()
    expect(rows.locator("[data-peeked]")).to_have_count(2)
    shown = sorted(rows.locator("[data-peeked]").all_inner_texts())
    assert shown == ["Numéro : A-1024 · Lieu : CRA de Lyon", "Numéro : B-2048 · Lieu : Maison d’arrêt de Nîmes"]
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert serious_violations(page) == []
    # Read in memory only: nothing of them was stored.
    assert records(page, "case") == 0 and records(page, "entries") == 0
