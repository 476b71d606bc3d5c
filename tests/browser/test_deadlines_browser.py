"""Deadlines under a fixed clock: an overdue one reads as overdue everywhere (the phone, the case, the
print view, the coordinator's list and filters, the CSV), one 30 hours away is "48 h" with its time,
and the intake warns (without refusing) about a future birth date, a notification after now and a
deadline already past."""

import datetime
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.conftest import LOCALES, PHONE, screenshot
from tests.browser.test_accessibility import serious_violations
from tests.browser.test_app import set_up_device
from tests.browser.test_cases_browser import DEMO, app
from tests.browser.test_figures import csv_rows
from tests.conftest import LiveServer, running_demo

PARIS = ZoneInfo("Europe/Paris")
MONTHS = ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    with running_demo(tmp_path) as live:
        yield live


def fixed_now() -> datetime.datetime:
    """The clock every page is held at: now (the server checks entry times), to the minute, in Paris."""
    return datetime.datetime.now(datetime.UTC).replace(second=0, microsecond=0).astimezone(PARIS)


def phone_at(browser: Browser, now: datetime.datetime, **extra) -> tuple[BrowserContext, Page]:
    context = browser.new_context(locale=LOCALES["fr"], timezone_id="Europe/Paris", **PHONE, **extra)
    page = context.new_page()
    page.clock.set_fixed_time(now)
    return context, page


def french_when(due: datetime.datetime, now: datetime.datetime) -> str:
    year = "" if due.year == now.year else f" {due.year}"
    return f"le {due.day} {MONTHS[due.month - 1]}{year} à {due:%H:%M}"


def intake(page: Page, alias: str, due: datetime.datetime, kind: str, label: str) -> None:
    page.click("#new-intake")
    page.fill("#f-alias", alias)
    page.click("#step-next")
    page.click("#step-next")
    page.fill("#f-deadline-date-0", f"{due:%Y-%m-%d}")
    page.fill("#f-deadline-time-0", f"{due:%H:%M}")
    page.select_option("#f-deadline-kind-0", kind)
    page.fill("#f-deadline-label-0", label)
    page.click("#intake-save")
    expect(page.locator("h1")).to_have_text(alias)


def back_home(page: Page) -> None:
    page.locator(".actions button").last.click()
    expect(page.locator("#case-list")).to_be_visible()


def badge(scope, state: str):
    return scope.locator(f".deadline-badge[data-state='{state}']")


def test_the_intake_warns_about_implausible_dates_and_still_saves(live_server: LiveServer, browser: Browser) -> None:
    now = fixed_now()
    context, page = phone_at(browser, now)
    try:
        set_up_device(page, live_server, *DEMO["volunteer"])
        page.click("#new-intake")
        page.fill("#f-alias", "Avertissements Test")
        tomorrow = now + datetime.timedelta(days=1)
        warning = page.locator("#f-birth_date-warning")
        expect(warning).to_be_empty()
        page.fill("#f-birth_date", f"{tomorrow:%Y-%m-%d}")
        expect(warning).to_have_text("Cette date de naissance est dans le futur : vérifiez-la.")
        expect(warning).to_have_attribute("role", "status")
        page.fill("#f-birth_date", "1994-03-12")
        expect(warning).to_be_empty()
        page.fill("#f-birth_date", f"{tomorrow:%Y-%m-%d}")
        page.click("#step-next")
        page.click("#step-next")

        # A notification today, two hours from now: later than now.
        later = now + datetime.timedelta(hours=2)
        notified = page.locator("#f-measure_notified-warning")
        page.fill("#f-measure_notified", f"{now:%Y-%m-%d}")
        expect(notified).to_be_empty()
        time = f"{later:%H:%M}" if later.date() == now.date() else "23:59"
        page.fill("#f-measure_notified-time", time)
        expect(notified).to_contain_text("postérieure à maintenant")
        past = now - datetime.timedelta(days=3)
        page.fill("#f-deadline-date-0", f"{past:%Y-%m-%d}")
        expect(page.locator("#f-deadline-warning-0")).to_contain_text("déjà dépassée")
        screenshot(page, "app-intake-warnings-fr-360x640")
        assert serious_violations(page) == []
        page.click("#intake-save")

        # Saved all the same; the deadline entered past, without a time, is overdue since the end of its day.
        expect(page.locator("h1")).to_have_text("Avertissements Test")
        end_of_day = past.replace(hour=23, minute=59)
        expect(badge(page.locator("#case-deadlines"), "overdue")).to_have_text(
            f"Dépassée depuis 2 jours, échéance {french_when(end_of_day, now)}")
        # The notification kept its date and time: the edit shows them again.
        page.click("#edit-case")
        page.click("#step-next")
        page.click("#step-next")
        expect(page.locator("#f-measure_notified")).to_have_value(f"{now:%Y-%m-%d}")
        expect(page.locator("#f-measure_notified-time")).to_have_value(time)
    finally:
        context.close()


def test_an_overdue_deadline_is_overdue_everywhere_and_a_near_one_shows_its_time(server: LiveServer,
                                                                                 browser: Browser) -> None:
    now = fixed_now()
    overdue = now - datetime.timedelta(days=3, hours=2)
    soon = now + datetime.timedelta(hours=30)
    week = now + datetime.timedelta(days=5)
    phone, page = phone_at(browser, now)
    desk, coordinator = phone_at(browser, now, accept_downloads=True)
    try:
        set_up_device(page, server, *DEMO["volunteer"])
        intake(page, "Semaine Trois", week, "release", "Sortie prévue")
        back_home(page)
        intake(page, "Bientôt Deux", soon, "hearing", "Audience JLD")
        near = badge(page.locator("#case-deadlines"), "48h")
        expect(near).to_have_text(f"Dans 30 heures, {french_when(soon, now)}")
        expect(near.locator("svg.deadline-icon")).to_have_count(1)
        back_home(page)
        intake(page, "Retard Un", overdue, "appeal", "Recours OQTF")
        late = badge(page.locator("#case-deadlines"), "overdue")
        expect(late).to_have_text(f"Dépassée depuis 3 jours, échéance {french_when(overdue, now)}")
        expect(late).to_have_class("deadline-badge deadline-overdue")
        expect(late.locator("svg.deadline-icon")).to_have_count(1)
        expect(page.locator("#case-deadlines li").first).to_contain_text("Recours contre une mesure — Recours OQTF")
        page.click("[data-close-deadline]")
        assert serious_violations(page) == []
        page.click("[data-close-deadline]")

        # On paper: the same words, and the deadline in the history.
        page.emulate_media(media="print")
        expect(late).to_be_visible()
        expect(page.locator("#print-deadline-history")).to_contain_text("Recours OQTF")
        expect(page.locator("[data-close-deadline]")).to_be_hidden()
        page.emulate_media(media="screen")

        # The phone's list: overdue first, then the nearest, each saying so.
        back_home(page)
        rows = page.locator("#case-list li")
        expect(rows).to_have_count(3)
        expect(rows.nth(0)).to_contain_text("Retard Un")
        expect(badge(rows.nth(0), "overdue")).to_contain_text("Dépassée depuis 3 jours")
        expect(badge(rows.nth(1), "48h")).to_contain_text("Dans 30 heures")
        expect(badge(rows.nth(2), "7d")).to_contain_text("Dans 5 jours")
        screenshot(page, "app-home-deadlines-fr-360x640")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        assert app(page, "sync/engine:(await m.syncNow(s)).refused") == 0

        # The coordinator's list: overdue first; the filters are disjoint.
        set_up_device(coordinator, server, *DEMO["coordinator"])
        app(coordinator, "sync/engine:(await m.syncNow(s)).refused")
        coordinator.click("#open-settings")
        coordinator.get_by_role("button", name="Annuler").click()
        listed = coordinator.locator("#case-list li")
        expect(listed).to_have_count(3)
        expect(listed.nth(0)).to_contain_text("Retard Un")
        expect(badge(listed.nth(0), "overdue")).to_contain_text("Dépassée depuis 3 jours")
        expect(listed.nth(1)).to_contain_text("Bientôt Deux")
        coordinator.click(".filter-box summary")
        for choice, alias in (("overdue", "Retard Un"), ("48h", "Bientôt Deux"), ("7d", "Semaine Trois")):
            coordinator.select_option("#filter-deadline", choice)
            expect(coordinator.locator("#case-list li:visible")).to_have_count(1)
            expect(coordinator.locator("#case-list li:visible")).to_contain_text(alias)
        expect(coordinator.locator("#filter-deadline option")).to_have_text(
            ["Toutes", "En retard", "Dans les 48 heures", "Dans 2 à 7 jours"])
        screenshot(coordinator, "app-review-overdue-fr-360x640")
        assert serious_violations(coordinator) == []
        coordinator.select_option("#filter-deadline", "")

        # The figures count them, and the CSV says overdue.
        coordinator.click("#open-figures")
        expect(coordinator.locator("[data-deadline-count=overdue]")).to_have_text("1")
        expect(coordinator.locator("[data-deadline-count='48h']")).to_have_text("1")
        expect(coordinator.locator("[data-deadline-count='7d']")).to_have_text("1")
        with coordinator.expect_download() as download:
            coordinator.click("#deadlines-csv")
        assert download.value.suggested_filename == "carnet-deadlines.csv"
        lines = csv_rows(download.value.path().read_bytes())
        assert lines[0] == ["Dossier", "Lieu", "Échéance", "Nature de l’échéance", "Objet de l’échéance", "État",
                            "En toutes lettres"]
        assert [line[0] for line in lines[1:]] == ["Retard Un", "Bientôt Deux", "Semaine Trois"]
        assert lines[1][2:6] == [f"{overdue:%Y-%m-%d %H:%M}", "Recours contre une mesure", "Recours OQTF", "En retard"]
        assert lines[1][6].startswith("Dépassée depuis 3\u00a0jours")  # Intl puts a no-break space
        assert lines[2][5] == "Dans les 48 heures"
        coordinator.get_by_role("button", name="Retour").click()

        # Closing it (met) leaves a trace in the history and takes it out of the lists.
        listed.nth(0).locator("button").click()
        expect(coordinator.locator("h1")).to_have_text("Retard Un")
        coordinator.click("[data-close-deadline]")
        coordinator.locator(".deadline-close select").select_option("met")
        coordinator.click("[data-confirm-close]")
        closed = coordinator.locator(".closed-deadlines li")
        expect(closed).to_contain_text("Recours OQTF")
        expect(closed).to_contain_text("respectée")
        expect(badge(coordinator.locator("#case-deadlines"), "overdue")).to_have_count(0)
        coordinator.emulate_media(media="print")
        expect(coordinator.locator("#print-deadline-history")).to_contain_text("respectée")
        coordinator.emulate_media(media="screen")
        coordinator.get_by_role("button", name="Retour").click()
        coordinator.click(".filter-box summary")
        coordinator.select_option("#filter-deadline", "overdue")
        expect(coordinator.locator("#case-list li:visible")).to_have_count(0)
    finally:
        phone.close()
        desk.close()


def test_a_closed_cases_deadlines_leave_the_lists_and_the_figures(server: LiveServer, browser: Browser) -> None:
    now = fixed_now()
    desk, coordinator = phone_at(browser, now)
    try:
        set_up_device(coordinator, server, *DEMO["coordinator"])
        intake(coordinator, "Clos Retard", now - datetime.timedelta(days=2), "appeal", "Recours")
        expect(coordinator.locator("#deadlines-not-followed")).to_have_count(0)
        coordinator.click("#case-status")
        expect(coordinator.locator("#case-closed")).to_be_visible()
        # On its own screen the deadline is still there, and can still be closed; it says why it is not followed.
        expect(badge(coordinator.locator("#case-deadlines"), "overdue")).to_have_count(1)
        expect(coordinator.locator("#deadlines-not-followed")).to_have_text(
            "Le dossier est clos : ses échéances ouvertes ne figurent plus dans les listes ni dans les chiffres.")
        coordinator.get_by_role("button", name="Retour").click()
        row = coordinator.locator("#case-list li", has_text="Clos Retard")
        expect(row).to_contain_text("Clos")
        expect(row.locator(".deadline-badge")).to_have_count(0)
        coordinator.click(".filter-box summary")
        coordinator.select_option("#filter-deadline", "overdue")
        expect(coordinator.locator("#case-list li:visible", has_text="Clos Retard")).to_have_count(0)
        coordinator.select_option("#filter-deadline", "")
        coordinator.click("#open-figures")
        expect(coordinator.locator("[data-deadline-count=overdue]")).to_have_text("0")
    finally:
        desk.close()


def test_a_suggestion_fills_the_entry_until_the_person_changes_it(live_server: LiveServer, page: Page) -> None:
    """The contract of `entry.fill` that the suggestion from measures relies on (static/js/app/suggest.js)."""
    page.goto(live_server.url + "/app")
    result = page.evaluate("""async () => {
        // The catalog is loaded here: the app's own load may not have finished yet.
        await (await import('/static/js/i18n.js')).loadCatalog('fr');
        const { deadlineEntry } = await import('/static/js/app/deadline-entry.js');
        const entry = deadlineEntry([]);
        document.body.append(entry.element);
        const rows = () => [...entry.element.querySelectorAll('[data-deadline-row]')];
        const suggestion = { due: '2027-01-06T14:00', kind: 'appeal', label: 'Recours OQTF', source: 'suggested',
          basis: '48 h from the notification on 4 Jan at 14:00' };
        entry.fill(suggestion);
        entry.fill({ ...suggestion, due: '2027-01-07T09:30' });
        const first = { rows: rows().length, basis: rows()[0].querySelector('.deadline-basis').textContent,
          date: rows()[0].querySelector('input[type=date]').value, time: rows()[0].querySelector('input[type=time]').value };
        const date = rows()[0].querySelector('input[type=date]');
        date.value = '2027-01-08';
        date.dispatchEvent(new Event('input', { bubbles: true }));
        entry.fill(suggestion);
        return { first, rows: rows().length, deadlines: entry.deadlines().map(({ id, ...rest }) => rest) };
    }""")
    assert result["first"] == {"rows": 1, "basis": "Proposée : 48 h from the notification on 4 Jan at 14:00",
                               "date": "2027-01-07", "time": "09:30"}
    # The person's own date wins: the next suggestion goes to a row of its own.
    assert result["rows"] == 2
    assert result["deadlines"] == [
        {"due": "2027-01-08T09:30", "kind": "appeal", "label": "Recours OQTF", "source": "entered"},
        {"due": "2027-01-06T14:00", "kind": "appeal", "label": "Recours OQTF", "source": "suggested",
         "basis": "48 h from the notification on 4 Jan at 14:00"},
    ]
