"""Activity figures, counted in the coordinator's browser, match a hand-counted set of cases.

The fixture is eleven cases in two places over three years, written as the case view sees them
(fields and the history of every field, docs/PROTOCOL.md 6.9). Every expected number below was
counted by hand from the table in CASES, under the rules of docs/PROTOCOL.md 6.10. The module
static/js/app/figures.js runs in Chromium, imported by a page of the live server.
"""

import csv
import datetime
import io
import secrets
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from webapp.cli import DEMO_PEOPLE

from tests.browser.conftest import LOCALES, PHONE, screenshot
from tests.browser.test_app import set_up_device
from tests.conftest import LiveServer

COORDINATOR = next((e, p) for e, _n, r, _t, p in DEMO_PEOPLE if r == "coordinator")
FRESNES = "Prison de Fresnes"
LYON = "CRA de Lyon"

# name, place, measure, gender, days with an entry (the first is the intake; later ones are edits).
# A: two entries on one day are one interview. H: the same place typed differently. I: moved from
# Fresnes to Lyon by its 2025 edit (it counts under its current place). J: opened in 2023.
CASES = [
    ("A", FRESNES, "OQTF", "male", ["2024-02-10", "2024-02-10", "2024-05-03", "2025-01-15"]),
    ("B", FRESNES, "OQTF", "female", ["2024-11-20", "2025-03-02", "2025-03-30"]),
    ("C", FRESNES, "IRTF", "male", ["2025-02-14"]),
    ("D", FRESNES, "", "male", ["2025-07-01", "2025-08-19", "2025-08-20"]),
    ("E", LYON, "OQTF", "male", ["2024-12-30", "2025-01-02"]),
    ("F", LYON, "house_arrest", "other", ["2025-04-10", "2025-04-25"]),
    ("G", LYON, "OQTF", "female", ["2025-10-05"]),
    ("H", " cra de  lyon ", "expulsion", "male", ["2025-11-11", "2025-12-31"]),
    ("I", FRESNES, "OQTF", "female", ["2024-06-01", "2025-06-06"]),
    ("J", FRESNES, "IRTF", "", ["2023-09-09", "2024-01-08"]),
    ("K", "", "OQTF", "male", ["2025-09-09"]),
]
MOVED_ON = {"I": ("2025-06-06", LYON)}


def millis(day: str, hour: int) -> int:
    moment = datetime.datetime.fromisoformat(f"{day}T{hour:02d}:00:00+01:00")
    return int(moment.timestamp() * 1000)


def opened_case(name: str, place: str, measure: str, gender: str, days: list[str]) -> dict[str, Any]:
    """A case as openCase returns it: current fields, and every version of each field."""
    intake = {"alias": name, "place_name": place, "measure": measure, "gender": gender}
    intake = {field: value for field, value in intake.items() if value}
    history: dict[str, list[dict[str, Any]]] = {}
    device = "ZGV2aWNl"

    def write(field: str, value: str, lamport: int, day: str) -> None:
        history.setdefault(field, []).append({"value": value, "time": millis(day, 10 + lamport),
                                              "author": "dXNlcg", "id": f"{lamport}:{device}"})

    for field, value in intake.items():
        write(field, value, 1, days[0])
    fields = dict(intake)
    for lamport, day in enumerate(days[1:], start=2):
        write("notes", f"entretien {lamport}", lamport, day)
        fields["notes"] = f"entretien {lamport}"
        if MOVED_ON.get(name, ("",))[0] == day:
            write("place_name", MOVED_ON[name][1], lamport, day)
            fields["place_name"] = MOVED_ON[name][1]
    return {"fields": fields, "history": history, "conflicts": [], "deadlines": [], "attachments": [],
            "entries": len(days)}


FIXTURE = [opened_case(*case) for case in CASES]

Counts = tuple[int, int, int, int]  # people accompanied, interviews, new, continuing


def counts(row: dict[str, Any]) -> Counts:
    return (row["people"], row["interviews"], row["new"], row["continuing"])


def table(period: dict[str, Any]) -> dict[str, Any]:
    return {"total": counts(period["total"]),
            **{kind: [(row["value"], *counts(row)) for row in period[kind]] for kind in ("place", "measure", "gender")}}


EXPECTED_2025 = {
    "total": (10, 15, 6, 4),
    "place": [(LYON, 5, 7, 3, 2), (FRESNES, 4, 7, 2, 2), ("", 1, 1, 1, 0)],
    "measure": [("OQTF", 6, 7, 2, 4), ("expulsion", 1, 2, 1, 0), ("house_arrest", 1, 2, 1, 0), ("IRTF", 1, 1, 1, 0),
                ("", 1, 3, 1, 0)],
    "gender": [("male", 6, 9, 4, 2), ("female", 3, 4, 1, 2), ("other", 1, 2, 1, 0)],
}
EXPECTED_2024 = {
    "total": (5, 6, 4, 1),
    "place": [(FRESNES, 3, 4, 2, 1), (LYON, 2, 2, 2, 0)],
    "measure": [("OQTF", 4, 5, 4, 0), ("IRTF", 1, 1, 0, 1)],
    "gender": [("female", 2, 2, 2, 0), ("male", 2, 3, 2, 0), ("", 1, 1, 0, 1)],
}
# Totals of some shorter periods of 2025.
EXPECTED_TOTALS_2025 = {
    "2025-Q1": (4, 5, 1, 3), "2025-Q2": (2, 3, 1, 1), "2025-Q3": (2, 4, 2, 0), "2025-Q4": (2, 3, 2, 0),
    "2025-02": (1, 1, 1, 0), "2025-08": (1, 2, 0, 1), "2025-12": (1, 1, 0, 1), "2025-05": (0, 0, 0, 0),
}


@pytest.fixture(scope="module")
def figures_page(browser: Browser, live_server: LiveServer) -> Iterator[Page]:
    """A page of the live server, in the association's time zone, with the module imported."""
    context = browser.new_context(timezone_id="Europe/Paris")
    page = context.new_page()
    page.goto(live_server.url + "/login")
    page.evaluate("async () => { window.figures = await import('/static/js/app/figures.js'); }")
    yield page
    context.close()


def compute(page: Page, year: int) -> dict[str, dict[str, Any]]:
    result = page.evaluate("([cases, year]) => window.figures.computeFigures(cases, year)", [FIXTURE, year])
    assert result["year"] == year
    return {period["key"]: period for period in result["periods"]}


def test_the_figures_of_a_year_match_the_hand_count(figures_page: Page) -> None:
    periods = compute(figures_page, 2025)
    assert table(periods["2025"]) == EXPECTED_2025
    assert table(compute(figures_page, 2024)["2024"]) == EXPECTED_2024


def test_quarters_and_months_match_the_hand_count(figures_page: Page) -> None:
    periods = compute(figures_page, 2025)
    assert len(periods) == 1 + 4 + 12
    assert {key: counts(periods[key]["total"]) for key in EXPECTED_TOTALS_2025} == EXPECTED_TOTALS_2025
    # Every person accompanied in a period is either new or continuing in it.
    for period in periods.values():
        people, _interviews, new, continuing = counts(period["total"])
        assert people == new + continuing, period["key"]


def test_the_years_offered_are_those_with_an_interview(figures_page: Page) -> None:
    years = figures_page.evaluate("cases => window.figures.yearsOf(cases.map(window.figures.activityOf))", FIXTURE)
    assert years == [2025, 2024, 2023]


CSV_LABELS = """({
  year: "Year", period: "Period", breakdown: "Breakdown", value: "Value", people: "People accompanied",
  interviews: "Interviews", new: "New cases", continuing: "Continuing cases",
  periodName: (p) => p.kind === "year" ? "Whole year" : p.key, breakdownName: (kind) => kind,
  valueName: (kind, value) => value || "Not given",
})"""


def csv_of(page: Page, cases: list[dict[str, Any]], year: int) -> bytes:
    text = page.evaluate(f"""([cases, year]) => window.figures.figuresCsv(
        window.figures.computeFigures(cases, year), {CSV_LABELS})""", [cases, year])
    return text.encode("utf-8")


def csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf"), "a spreadsheet needs the byte order mark to read UTF-8"
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))


def test_the_csv_holds_the_same_numbers(figures_page: Page) -> None:
    rows = csv_rows(csv_of(figures_page, FIXTURE, 2025))
    assert rows[0] == ["Year", "Period", "Breakdown", "Value", "People accompanied", "Interviews", "New cases",
                       "Continuing cases"]
    assert all(len(row) == 8 for row in rows)
    whole = [row for row in rows[1:] if row[1] == "Whole year"]
    assert whole[0][:4] == ["2025", "Whole year", "total", ""]
    read = {"total": tuple(int(cell) for cell in whole[0][4:])}
    for kind in ("place", "measure", "gender"):
        read[kind] = [("" if row[3] == "Not given" else row[3], *(int(cell) for cell in row[4:]))
                      for row in whole if row[2] == kind]
    assert read == EXPECTED_2025
    by_period = {row[1]: tuple(int(cell) for cell in row[4:]) for row in rows[1:] if row[2] == "total"}
    assert {key: by_period[key] for key in EXPECTED_TOTALS_2025} == EXPECTED_TOTALS_2025


def test_the_csv_quotes_text_and_never_starts_a_cell_with_a_formula(figures_page: Page) -> None:
    hostile = opened_case("Z", '=HYPERLINK("http://example.org";"x")', "OQTF", "male", ["2025-03-03"])
    rows = csv_rows(csv_of(figures_page, [hostile, opened_case("Y", 'Maison "Arc-en-ciel"; Lyon', "", "", ["2025-03-04"])], 2025))
    places = {row[3] for row in rows if row[2] == "place"}
    assert places == {"'=HYPERLINK(\"http://example.org\";\"x\")", 'Maison "Arc-en-ciel"; Lyon'}
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row if not cell.isdigit())


def fill_short_intake(page: Page, alias: str, place: str) -> None:
    page.click("#new-intake")
    page.fill("#f-alias", alias)
    page.select_option("#f-gender", "female")
    page.click("#step-next")
    page.fill("#f-place_name", place)
    page.click("#step-next")
    page.select_option("#f-measure", "OQTF")
    page.click("#intake-save")
    expect(page.locator("h1")).to_have_text(alias)
    page.locator(".actions button").last.click()  # Back, in any language
    expect(page.locator("#new-intake")).to_be_visible()


def test_a_coordinator_sees_the_figures_of_the_cases_and_downloads_the_same_csv(
        live_server: LiveServer, browser: Browser) -> None:
    """Cases of other tests may be on this device too: the checks read this test's own place."""
    place = f"Maison d'arrêt {secrets.token_hex(3)}"
    context = browser.new_context(locale=LOCALES["fr"], accept_downloads=True, **PHONE)
    try:
        page = context.new_page()
        set_up_device(page, live_server, *COORDINATOR)
        fill_short_intake(page, "Figure Une", place)
        fill_short_intake(page, "Figure Deux", place)
        page.click("#open-figures")
        expect(page.locator("h1")).to_have_text("Chiffres d’activité")
        year = str(datetime.date.today().year)
        expect(page.locator("#figures-year")).to_have_value(year)
        row = page.locator("table[data-breakdown=place] tbody tr", has=page.locator("th", has_text=place))
        expect(row.locator("td")).to_have_text(["2", "2", "2", "0"])
        expect(page.locator(".bar-chart li", has_text=place).locator(".bar-value")).to_have_text("2")
        shown = [int(text) for text in page.locator("#figures-summary dd").all_inner_texts()]
        screenshot(page, "app-figures-fr-360x640")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360

        with page.expect_download() as download:
            page.click("#figures-csv")
        assert download.value.suggested_filename == f"carnet-{year}.csv"
        rows = csv_rows(download.value.path().read_bytes())
        assert rows[0][:4] == ["Année", "Période", "Répartition", "Valeur"]
        whole = [r for r in rows[1:] if r[1] == "Année entière"]
        assert [int(cell) for cell in whole[0][4:]] == shown
        assert [[int(cell) for cell in r[4:]] for r in whole if r[3] == place] == [[2, 2, 2, 0]]

        page.set_viewport_size({"width": 1280, "height": 800})
        screenshot(page, "app-figures-fr-1280x800")
        # Another quarter of the year holds no interview of this test's cases, made today.
        other = (datetime.date.today().month - 1) // 3 + 1 + 1
        other = 1 if other == 5 else other
        page.select_option("#figures-period", f"{year}-Q{other}")
        expect(page.locator("#figures-results h2")).to_contain_text(f"Trimestre {other}")
        expect(page.locator("table[data-breakdown=place] th", has_text=place)).to_have_count(0)
    finally:
        context.close()
