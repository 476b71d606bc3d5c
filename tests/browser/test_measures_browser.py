"""The team's table of measures end to end, in French at 360 px: a volunteer's phone suggests an
appeal deadline from the shipped examples, the coordinator changes the table on their device, the
phone syncs and suggests from the new delay; the person's own deadline always wins."""

import datetime
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from sync import db

from tests.browser.conftest import LOCALES, PHONE, screenshot
from tests.browser.test_accessibility import serious_violations
from tests.browser.test_app import set_up_device
from tests.browser.test_cases_browser import DEMO, app
from tests.conftest import LiveServer, running_demo

# A test page for the suggestion: the intake's two fields, and a deadline entry whose `fill`
# writes its value and records the call, as the intake's deadline entry does.
MOUNT = """async () => {
  const { deadlineSuggestion } = await import('/static/js/app/suggest.js');
  const s = (await import('/static/js/app/session.js')).unlocked();
  const form = document.createElement('form');
  form.id = 'test-intake';
  form.innerHTML = '<select name="measure" aria-label="Mesure"><option value=""></option><option value="OQTF">OQTF</option>'
    + '<option value="ITF">ITF</option></select><input name="measure_notified" aria-label="Notification" type="datetime-local">'
    + '<label>Échéance<input id="test-due" name="deadline_due" type="datetime-local"></label>';
  window.filled = [];
  const entry = { fill: (deadline) => { window.filled.push(deadline); form.querySelector('#test-due').value = deadline.due; } };
  form.append(deadlineSuggestion(s, form, entry));
  document.getElementById('app').replaceChildren(form);
}"""
EXAMPLE_MARK = "exemple à faire vérifier par les juristes de l’association"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    with running_demo(tmp_path) as live:
        yield live


def suggestion(page: Page, label: str):
    return page.locator("#deadline-suggestion li", has_text=label)


def test_the_team_table_changed_on_the_coordinators_device_suggests_the_new_delay_on_a_phone(
        server: LiveServer, browser: Browser) -> None:
    year = datetime.date.today().year
    phone = browser.new_context(locale="fr-FR", **PHONE)
    desk = browser.new_context(locale="fr-FR", **PHONE)
    try:
        volunteer = phone.new_page()
        set_up_device(volunteer, server, *DEMO["volunteer"])
        app(volunteer, "sync/engine:(await m.syncNow(s)).refused")
        volunteer.evaluate(MOUNT)
        volunteer.select_option("#test-intake [name=measure]", "OQTF")
        expect(volunteer.locator("#deadline-suggestion")).to_contain_text("Saisissez la date")
        volunteer.fill("#test-intake [name=measure_notified]", f"{year}-03-03T14:00")
        # The team has no table: the examples, marked as such.
        example = suggestion(volunteer, "OQTF sans délai de départ volontaire")
        expect(example).to_contain_text("Notification 3 mars 14:00 + 48 heures = 5 mars 14:00")
        expect(example).to_contain_text(EXAMPLE_MARK)
        expect(example).to_contain_text("l’équipe n’a pas encore de tableau")

        coordinator = desk.new_page()
        set_up_device(coordinator, server, *DEMO["coordinator"])
        coordinator.click("#open-measures")
        expect(coordinator.locator("#measures-examples")).to_contain_text("à faire vérifier par les juristes")
        expect(coordinator.locator("li.measure-row .example-mark").first).to_have_text(EXAMPLE_MARK)
        rows = coordinator.locator("li.measure-row")
        index = [rows.nth(i).locator("[name=label]").input_value() for i in range(rows.count())].index(
            "OQTF sans délai de départ volontaire")
        row = rows.nth(index)
        row.locator("[name=amount]").fill("96")
        row.locator("[name=checked]").check()
        # A row the coordinator adds, and one taken away.
        coordinator.click("#add-measure")
        added = rows.last
        added.locator("[name=code]").select_option("ITF")
        added.locator("[name=label]").fill("Appel d’une ITF, délai de l’équipe")
        added.locator("[name=amount]").fill("12")
        added.locator("[name=unit]").select_option(label="jours")
        removed = [rows.nth(i).locator("[name=label]").input_value() for i in range(rows.count())].index(
            "ITF prononcée par un tribunal (appel)")
        rows.nth(removed).locator("[data-remove]").click()
        coordinator.click("#save-measures")
        expect(coordinator.locator("#measures-version")).to_have_text("Version 1 du tableau de l’équipe.")
        expect(coordinator.locator("#measures-standing")).to_have_count(0)
        screenshot(coordinator, "app-measures-fr-360")
        assert serious_violations(coordinator) == []

        # The phone syncs: the team's table replaces the examples in the suggestion.
        app(volunteer, "sync/engine:(await m.syncNow(s)).refused")
        volunteer.evaluate(MOUNT)
        volunteer.select_option("#test-intake [name=measure]", "OQTF")
        volunteer.fill("#test-intake [name=measure_notified]", f"{year}-03-03T14:00")
        team = suggestion(volunteer, "OQTF sans délai de départ volontaire")
        expect(team).to_contain_text("Notification 3 mars 14:00 + 96 heures = 7 mars 14:00")
        expect(team).not_to_contain_text(EXAMPLE_MARK)
        expect(suggestion(volunteer, "OQTF avec délai de départ volontaire")).to_contain_text(EXAMPLE_MARK)
        expect(volunteer.locator("#deadline-suggestion")).not_to_contain_text("l’équipe n’a pas encore de tableau")
        screenshot(volunteer, "app-suggestion-fr-360")
        assert serious_violations(volunteer) == []

        # The person takes the suggestion, then changes it: their value stays, whatever follows.
        team.get_by_role("button", name="Utiliser cette échéance").click()
        filled = volunteer.evaluate("window.filled")
        assert filled == [{"due": f"{year}-03-07T14:00", "kind": "appeal", "label": "OQTF sans délai de départ volontaire",
                           "source": "suggested",
                           "basis": "Notification 3\u00a0mars\u00a014:00 + 96\u00a0heures = 7\u00a0mars\u00a014:00"}]
        volunteer.fill("#test-due", f"{year}-03-06T18:00")
        # A notification date without its time (the field as a date alone).
        volunteer.evaluate("document.querySelector('#test-intake [name=measure_notified]').type = 'date'")
        volunteer.fill("#test-intake [name=measure_notified]", f"{year}-03-04")
        expect(team).to_contain_text(
            "Notification 4 mars 00:00 + 96 heures = 8 mars 00:00 (heure non saisie : comptée depuis 00:00)")
        assert volunteer.input_value("#test-due") == f"{year}-03-06T18:00"
        assert len(volunteer.evaluate("window.filled")) == 1
        # The row the coordinator added, in days; the one removed is gone.
        volunteer.select_option("#test-intake [name=measure]", "ITF")
        expect(suggestion(volunteer, "Appel d’une ITF, délai de l’équipe")).to_contain_text(
            "+ 12 jours = 16 mars 00:00")
        expect(volunteer.locator("#deadline-suggestion li")).to_have_count(1)
    finally:
        phone.close()
        desk.close()


def test_a_table_rolled_back_by_the_server_is_refused_and_the_verified_one_kept(server: LiveServer,
                                                                               browser: Browser) -> None:
    desk = browser.new_context(locale="fr-FR", **PHONE)
    try:
        coordinator = desk.new_page()
        set_up_device(coordinator, server, *DEMO["coordinator"])
        for version, amount in ((1, "72"), (2, "96")):
            coordinator.click("#open-measures")
            coordinator.locator("li.measure-row [name=amount]").first.fill(amount)
            coordinator.click("#save-measures")
            expect(coordinator.locator("#measures-version")).to_have_text(f"Version {version} du tableau de l’équipe.")
            expect(coordinator.locator("#measures-standing")).to_have_count(0)
            coordinator.get_by_role("button", name="Retour").click()
        # The server serves version 1 again, as a rolled-back database would.
        key = bytes.fromhex(json.loads((server.instance / "secrets.json").read_text())["database_key"])
        conn = db.connect(server.instance / "carnet.db", key)
        try:
            with db.transaction(conn):
                conn.execute("DELETE FROM team_measures WHERE version = 2")
        finally:
            conn.close()
        app(coordinator, "sync/engine:(await m.syncNow(s)).refused")
        coordinator.click("#open-measures")
        expect(coordinator.locator("#measures-version")).to_have_text("Version 2 du tableau de l’équipe.")
        expect(coordinator.locator("#measures-standing")).to_contain_text("(TableRollback)")
        expect(coordinator.locator("li.measure-row [name=amount]").first).to_have_value("96")
    finally:
        desk.close()


def test_a_change_made_on_an_outdated_table_is_refused_said_and_made_again_on_the_current_one(
        server: LiveServer, browser: Browser) -> None:
    desk = browser.new_context(locale="fr-FR", **PHONE)
    try:
        coordinator = desk.new_page()
        set_up_device(coordinator, server, *DEMO["coordinator"])
        coordinator.click("#open-measures")
        coordinator.click("#save-measures")
        expect(coordinator.locator("#measures-version")).to_have_text("Version 1 du tableau de l’équipe.")
        coordinator.get_by_role("button", name="Retour").click()
        # As a device that never saw version 1 (another coordinator's): its change is version 1 too.
        app(coordinator, "store/records:m.teamMeasures.put(s.vault, {confirmed: null, pending: null, refused: null})")
        coordinator.click("#open-measures")
        coordinator.locator("li.measure-row [name=amount]").first.fill("5")
        coordinator.click("#save-measures")
        expect(coordinator.locator("#measures-standing")).to_contain_text("Le serveur a refusé votre dernière modification (measures-stale)")
        # The refused change is gone and the server's table came with the same sync: the change is
        # made again on it.
        expect(coordinator.locator("#measures-version")).to_have_text("Version 1 du tableau de l’équipe.")
        expect(coordinator.locator("li.measure-row [name=amount]").first).not_to_have_value("5")
        coordinator.locator("li.measure-row [name=amount]").first.fill("5")
        coordinator.click("#save-measures")
        expect(coordinator.locator("#measures-version")).to_have_text("Version 2 du tableau de l’équipe.")
        expect(coordinator.locator("#measures-standing")).to_have_count(0)
        expect(coordinator.locator("li.measure-row [name=amount]").first).to_have_value("5")
    finally:
        desk.close()

def test_hours_are_elapsed_time_days_are_calendar_days_and_a_date_alone_counts_from_midnight(
        live_server: LiveServer, browser: Browser) -> None:
    # Paris moves its clocks forward on 29 March 2026: 48 hours after noon on the 28th is 13:00
    # on the 30th, two calendar days is noon.
    context = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris", **PHONE)
    try:
        page = context.new_page()
        page.goto(live_server.url + "/login")
        found = page.evaluate("""async () => {
          const { localValue, suggestedDue } = await import('/static/js/app/suggest.js');
          const due = (notified, amount, unit) => {
            const computed = suggestedDue(notified, amount, unit);
            return computed && [localValue(computed.due), computed.timeGiven];
          };
          return [due('2026-03-28T12:00', 48, 1), due('2026-03-28T12:00', 2, 2), due('2026-02-27', 2, 2),
                  due('2026-12-31T23:30', 1, 1), due('2026-02-30', 1, 2), due('2026-03-28T24:00', 1, 1),
                  due('', 1, 1), due('28/03/2026', 1, 1)];
        }""")
        assert found == [["2026-03-30T13:00", True], ["2026-03-30T12:00", True], ["2026-03-01T00:00", False],
                         ["2027-01-01T00:30", True], None, None, None, None]
    finally:
        context.close()


@pytest.mark.parametrize(("language", "width"), [("ar", 360), ("en", 360), ("fr", 1280)])
def test_the_measures_screen_is_translated_accessible_and_fits(live_server: LiveServer, browser: Browser,
                                                               language: str, width: int) -> None:
    # Opened only: nothing is saved on the shared server.
    size = PHONE if width == 360 else {"viewport": {"width": width, "height": 800}}
    context = browser.new_context(locale=LOCALES[language], **size)
    try:
        page = context.new_page()
        set_up_device(page, live_server, *DEMO["coordinator"])
        page.click("#open-measures")
        expect(page.locator("li.measure-row").first).to_be_visible()
        heading = {"ar": "آجال الطعن حسب الإجراء", "en": "Appeal delays by measure", "fr": "Délais de recours par mesure"}
        expect(page.locator("h1")).to_have_text(heading[language])
        assert serious_violations(page) == []
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        screenshot(page, f"app-measures-{language}-{width}")
    finally:
        context.close()


def test_the_intake_suggests_from_the_measure_and_the_persons_change_wins(server: LiveServer, page: Page) -> None:
    """The real intake: the measure and the notification's date and time give the suggestion,
    "Utiliser cette échéance" fills the deadline entry, and the time the person changes is saved."""
    year = datetime.date.today().year + 1
    set_up_device(page, server, *DEMO["volunteer"])
    page.click("#new-intake")
    page.fill("#f-alias", "Suggestion Réelle")
    page.click("#step-next")
    page.click("#step-next")
    page.select_option("#f-measure", "OQTF")
    page.fill("#f-measure_notified", f"{year}-03-03")
    page.fill("#f-measure_notified-time", "14:00")
    example = suggestion(page, "OQTF sans délai de départ volontaire")
    expect(example).to_contain_text(f"Notification 3 mars {year} 14:00 + 48 heures = 5 mars {year} 14:00")
    expect(example).to_contain_text(EXAMPLE_MARK)
    example.get_by_role("button", name="Utiliser cette échéance").click()
    assert page.input_value("#f-deadline-date-0") == f"{year}-03-05"
    assert page.input_value("#f-deadline-time-0") == "14:00"
    assert page.input_value("#f-deadline-kind-0") == "appeal"
    expect(page.locator("[data-deadline-row] .deadline-basis").first).to_contain_text("Proposée")
    page.fill("#f-deadline-time-0", "10:00")
    expect(page.locator("[data-deadline-row] .deadline-basis").first).to_be_empty()
    page.click("#intake-save")
    expect(page.locator("h1")).to_have_text("Suggestion Réelle")
    saved = page.locator("#case-deadlines .deadlines li")
    expect(saved).to_have_count(1)
    expect(saved).to_contain_text(f"5 mars {year} à 10:00")
    expect(saved).to_contain_text("OQTF sans délai de départ volontaire")
    expect(saved.locator(".deadline-basis")).to_have_count(0)
