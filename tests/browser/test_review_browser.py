"""The coordinator's review at the scale of a busy association: 2,000 cases and 20,000 entries
written by a volunteer, synced to the coordinator's browser, listed, sorted and filtered there."""

import datetime
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from crypto.writer import create_case_as_member, seal_entry_as_author

from tests.browser.test_app import set_up_device
from tests.browser.test_cases_browser import DEMO
from tests.conftest import LiveServer, running_demo
from tests.sync_client import DemoWriter, demo_writer

PLACES = ("CRA de Lyon", "Maison d'arrêt de Fresnes", "CRA du Mesnil-Amelot", "Permanence Lyon 7e")
MEASURES = ("OQTF", "IRTF", "ITF", "expulsion", "house_arrest")
EDITS_PER_CASE = 8  # with the genesis and the intake: ten entries a case


def deadline(index: int, today: datetime.date) -> list[dict]:
    days = {0: 1, 1: 5, 2: 30}.get(index % 10)
    return [] if days is None else [{"due": (today + datetime.timedelta(days=days)).isoformat(), "label": "Audience"}]


def followed(count: int, days: int) -> int:
    """How many cases list a deadline due in this many days: a closed case's deadlines are not followed."""
    return sum(1 for index in range(count) if {0: 1, 1: 5, 2: 30}.get(index % 10) == days and index % 7 != 0)


def case_entries(writer: DemoWriter, index: int, today: datetime.date) -> list[bytes]:
    case = create_case_as_member(writer.keys, association_key=writer.association, team_id=writer.members[0].team_id,
                                 device_id=writer.device, members=writer.members)
    def seal(body: dict) -> bytes:
        return seal_entry_as_author(case.log, writer.keys, device_id=writer.device, case_key=case.case_key,
                                    body_json=json.dumps(body).encode())
    fields = {"alias": f"Personne {index:04d}", "place_name": PLACES[index % 4], "measure": MEASURES[index % 5]}
    envelopes = [case.envelope, seal({"type": "intake", "fields": fields, "deadlines": deadline(index, today)})]
    for visit in range(EDITS_PER_CASE):
        changes = {"status": "closed"} if index % 7 == 0 and visit == EDITS_PER_CASE - 1 else {"notes": f"visite {visit}"}
        envelopes.append(seal({"type": "edit", "fields": changes, "deadlines": []}))
    return envelopes


def push_cases(server: LiveServer, count: int) -> None:
    writer = demo_writer(server.url)
    today = datetime.date.today()
    batch: list[bytes] = []
    for index in range(count):
        batch += case_entries(writer, index, today)
        if len(batch) >= 200 or index == count - 1:
            assert {r["status"] for r in writer.push(batch, timeout=300)} == {"stored"}
            batch = []


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    with running_demo(tmp_path, CARNET_SYNC_REQUESTS_PER_MINUTE="100000") as live:
        yield live


def fr_number(n: int) -> str:
    """A count as the app writes it in French: thousands apart by a narrow no-break space."""
    return f"{n:,}".replace(",", "\u202f")


@pytest.mark.slow
def test_two_thousand_cases_are_listed_sorted_by_deadline_and_filtered(server: LiveServer, browser: Browser) -> None:
    count = int(__import__("os").environ.get("REVIEW_CASES", "2000"))
    push_cases(server, count)
    desk = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 800})
    try:
        page = desk.new_page()
        set_up_device(page, server, *DEMO["coordinator"])
        page.evaluate("async () => { const s = (await import('/static/js/app/session.js')).unlocked();"
                      " await s.rosterRefresh; await (await import('/static/js/sync/engine.js')).syncNow(s); }")
        page.click("#open-settings")
        page.get_by_role("button", name="Annuler").click()
        counter = page.locator("#case-count")
        expect(counter).to_have_text(f"{fr_number(count)} sur {fr_number(count)} dossiers", timeout=60_000)

        # Nearest deadline first, then the cases without one; a hundred rows drawn at a time.
        rows = page.locator("#case-list li")
        expect(rows).to_have_count(100)
        page.click("#show-more")
        expect(rows).to_have_count(200)
        shown = rows.evaluate_all("items => items.map(li => li.querySelector('.deadline-badge')?.dataset.due ?? null)")
        dated = [due for due in shown if due]
        tomorrow = (datetime.date.today() + datetime.timedelta(days=1)).isoformat() + "T23:59"
        soon = followed(count, 1)
        assert dated == sorted(dated) and dated[:soon] == [tomorrow] * soon and tomorrow not in dated[soon:]
        listed = soon + followed(count, 5) + followed(count, 30)
        assert len(dated) == min(200, listed) and all(shown[:len(dated)])

        expected = {
            ("#filter-place", PLACES[1]): count // 4,
            ("#filter-measure", "OQTF"): count // 5,
            # Disjoint: within 48 hours, then within 7 days beyond 48 hours.
            ("#filter-deadline", "48h"): followed(count, 1),
            ("#filter-deadline", "7d"): followed(count, 5),
            ("#filter-status", "closed"): len(range(0, count, 7)),
        }
        for (control, value), number in expected.items():
            page.select_option(control, value)
            expect(counter).to_have_text(f"{fr_number(number)} sur {fr_number(count)} dossiers")
            page.select_option(control, "")
        page.fill("#case-search", "Personne 0042")
        expect(counter).to_have_text(f"1 sur {fr_number(count)} dossiers")
        expect(rows).to_have_count(1)
    finally:
        desk.close()
