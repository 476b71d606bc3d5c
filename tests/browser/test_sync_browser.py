"""Two devices: a volunteer's phone records intakes offline and syncs; the coordinator's app
pulls and opens them; the server keeps none of their words."""

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from webapp.cli import DEMO_PEOPLE

from tests.browser.conftest import PHONE
from tests.browser.test_app import set_up_device
from tests.conftest import LiveServer, running_demo

DEMO = {role: (email, passphrase) for email, _n, role, _t, passphrase in DEMO_PEOPLE}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    with running_demo(tmp_path) as live:
        yield live


def test_intakes_recorded_offline_reach_the_coordinator_and_only_as_ciphertext(server: LiveServer,
                                                                               browser: Browser) -> None:
    canaries = [f"CANARY-{secrets.token_hex(6)}" for _ in range(3)]
    phone = browser.new_context(locale="fr-FR", **PHONE)
    desk = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 800})
    try:
        volunteer = phone.new_page()
        set_up_device(volunteer, server, *DEMO["volunteer"])
        volunteer.evaluate("async () => (await import('/static/js/app/session.js')).unlocked().rosterRefresh")
        phone.set_offline(True)
        for index, canary in enumerate(canaries):
            volunteer.click("#new-intake")
            volunteer.fill("#f-alias", f"Personne {index}")
            for _ in range(4):
                volunteer.click("#step-next")
            volunteer.fill("#f-notes", canary)
            volunteer.click("#intake-save")
            expect(volunteer.locator("#edit-case")).to_be_visible()
            volunteer.get_by_role("button", name="Retour").click()
        expect(volunteer.locator("#sync-status")).to_contain_text("3 entretiens attendent d’être envoyés.")
        volunteer.click("#sync-now")
        expect(volunteer.locator("#sync-error")).to_contain_text("Pas de réseau")
        expect(volunteer.locator("#sync-status")).to_contain_text("3 entretiens attendent d’être envoyés.")
        phone.set_offline(False)
        volunteer.click("#sync-now")
        expect(volunteer.locator("#sync-status")).to_contain_text("Tout est envoyé.")

        coordinator = desk.new_page()
        set_up_device(coordinator, server, *DEMO["coordinator"])
        expect(coordinator.locator("#case-list li")).to_have_count(3)
        coordinator.locator("#case-list button", has_text="Personne 1").click()
        expect(coordinator.locator("dl").first).to_contain_text(canaries[1])
    finally:
        phone.close()
        desk.close()
    for path in [*server.instance.iterdir(), server.log_path]:
        if path.is_file():
            data = path.read_bytes()
            assert not any(c.encode() in data for c in canaries), path.name


def test_two_devices_editing_one_field_offline_both_keep_their_work(server: LiveServer, browser: Browser) -> None:
    phone = browser.new_context(locale="fr-FR", **PHONE)
    desk = browser.new_context(locale="fr-FR", **PHONE)
    try:
        volunteer, coordinator = phone.new_page(), desk.new_page()
        set_up_device(volunteer, server, *DEMO["volunteer"])
        volunteer.evaluate("async () => (await import('/static/js/app/session.js')).unlocked().rosterRefresh")
        volunteer.click("#new-intake")
        volunteer.fill("#f-alias", "Dossier partagé")
        volunteer.click("#intake-save")
        volunteer.get_by_role("button", name="Retour").click()
        volunteer.click("#sync-now")
        expect(volunteer.locator("#sync-status")).to_contain_text("Tout est envoyé.")
        set_up_device(coordinator, server, *DEMO["coordinator"])
        expect(coordinator.locator("#case-list li")).to_have_count(1)

        for page, context, value in ((volunteer, phone, "Audience mardi"), (coordinator, desk, "Audience jeudi")):
            context.set_offline(True)
            page.locator("#case-list button").first.click()
            page.click("#edit-case")
            for _ in range(4):
                page.click("#step-next")
            page.fill("#f-next_actions", value)
            page.click("#intake-save")
            page.get_by_role("button", name="Retour").click()
        for page, context in ((volunteer, phone), (coordinator, desk), (volunteer, phone)):
            context.set_offline(False)
            page.click("#sync-now")
            # The status may already read "sent" from the sync the network's return started:
            # wait for the one tapped here to end.
            expect(page.locator("#sync-progress")).to_be_hidden()
            expect(page.locator("#sync-now")).to_be_enabled()
            expect(page.locator("#sync-status")).to_contain_text("Tout est envoyé.")

        shown = set()
        for page in (volunteer, coordinator):
            page.locator("#case-list button").first.click()
            field = page.locator('dd[data-field="next_actions"]')
            expect(field.locator(".conflict")).to_be_visible()
            expect(field.locator("details li")).to_have_count(2)
            shown.add(field.evaluate("el => el.firstChild.textContent"))
            page.get_by_role("button", name="Retour").click()
        assert len(shown) == 1 and shown <= {"Audience mardi", "Audience jeudi"}

        # Settling it: an edit made from the merged view clears the flag.
        volunteer.locator("#case-list button").first.click()
        volunteer.click("#edit-case")
        for _ in range(4):
            volunteer.click("#step-next")
        volunteer.fill("#f-next_actions", "Audience mardi, confirmée")
        volunteer.click("#intake-save")
        expect(volunteer.locator('dd[data-field="next_actions"] .conflict')).to_have_count(0)
    finally:
        phone.close()
        desk.close()


def test_a_session_ended_while_offline_is_renewed_without_the_passphrase(server: LiveServer, browser: Browser) -> None:
    phone = browser.new_context(locale="fr-FR", **PHONE)
    try:
        volunteer = phone.new_page()
        set_up_device(volunteer, server, *DEMO["volunteer"])
        volunteer.evaluate("async () => (await import('/static/js/app/session.js')).unlocked().rosterRefresh")
        volunteer.click("#new-intake")
        volunteer.fill("#f-alias", "Après la fin de session")
        volunteer.click("#intake-save")
        volunteer.get_by_role("button", name="Retour").click()
        # The server forgets every session of the volunteer, as after a long day offline.
        assert "Ended" in server.flask("sessions", "end", DEMO["volunteer"][0])
        volunteer.click("#sync-now")
        expect(volunteer.locator("#sync-status")).to_contain_text("Tout est envoyé.")
        expect(volunteer.locator("#sync-error")).to_be_empty()
    finally:
        phone.close()


# Every record of the device store, decrypted with the unlocked store key, as JSON text with its id.
DEVICE_RECORDS = """async () => {
  const state = (await import('/static/js/app/session.js')).unlocked();
  const db = await new Promise((ok, ko) => { const r = indexedDB.open('carnet'); r.onsuccess = () => ok(r.result); r.onerror = ko; });
  const raw = await new Promise((ok) => { const r = db.transaction('records').objectStore('records').getAll(); r.onsuccess = () => ok(r.result); });
  db.close();
  const out = [];
  for (const record of raw) out.push(record.id + ' ' + JSON.stringify(await state.vault.openRecord(record)));
  return out;
}"""


def record_cases(page, count: int, prefix: str) -> None:
    # The sync the app starts by itself after set-up is over first: entries written while it runs
    # could leave with it, and the counts below are of interviews (cases) waiting.
    expect(page.locator("#sync-status")).to_contain_text("Dernière synchronisation", timeout=30_000)
    page.evaluate("""async ([count, prefix]) => {
      const cases = await import('/static/js/store/cases.js');
      const state = (await import('/static/js/app/session.js')).unlocked();
      for (let i = 0; i < count; i += 1) await cases.createCase(state, { alias: prefix + ' ' + i, notes: prefix }, []);
    }""", [count, prefix])
    # Through the settings and back: the home screen is drawn again, with the new pending count.
    page.click("#open-settings")
    page.get_by_role("button", name="Annuler").click()
    waiting = "1 entretien attend d’être envoyé." if count == 1 else f"{count} entretiens attendent d’être envoyés."
    expect(page.locator("#sync-status")).to_contain_text(waiting)


def test_with_retention_none_synced_cases_leave_the_phone_and_come_back_when_opened(server: LiveServer,
                                                                                    browser: Browser) -> None:
    server.flask("team", "policy", "Prisons", "--retention", "none")
    canary = f"CANARY-{secrets.token_hex(6)}"
    phone = browser.new_context(locale="fr-FR", **PHONE)
    try:
        volunteer = phone.new_page()
        set_up_device(volunteer, server, *DEMO["volunteer"])
        volunteer.evaluate("async () => (await import('/static/js/app/session.js')).unlocked().rosterRefresh")
        record_cases(volunteer, 1, canary)
        expect(volunteer.locator("#case-list li")).to_have_count(1)
        case_id = volunteer.evaluate("async () => (await (await import('/static/js/store/cases.js')).listCases("
                                     "(await import('/static/js/app/session.js')).unlocked()))[0].id")
        volunteer.click("#sync-now")
        expect(volunteer.locator("#sync-status")).to_contain_text("Tout est envoyé.")
        expect(volunteer.locator("#case-list")).to_have_count(0)
        records = volunteer.evaluate(DEVICE_RECORDS)
        assert records and not any(case_id in r or canary in r for r in records), records

        # Online, the server's list brings it back: fetched, verified, opened.
        volunteer.locator(f'#server-cases li[data-case="{case_id}"] button.case-link').click()
        expect(volunteer.locator("dl").first).to_contain_text(canary)
        volunteer.get_by_role("button", name="Retour").click()
        expect(volunteer.locator("#case-list li")).to_have_count(1)
        volunteer.click("#sync-now")
        expect(volunteer.locator("#case-list")).to_have_count(0)
        assert not any(case_id in r for r in volunteer.evaluate(DEVICE_RECORDS))
    finally:
        phone.close()


def test_a_network_drop_mid_sync_keeps_the_unsent_entries_and_stores_nothing_twice(server: LiveServer,
                                                                                  browser: Browser) -> None:
    phone = browser.new_context(locale="fr-FR", **PHONE)
    try:
        volunteer = phone.new_page()
        set_up_device(volunteer, server, *DEMO["volunteer"])
        volunteer.evaluate("async () => (await import('/static/js/app/session.js')).unlocked().rosterRefresh")
        record_cases(volunteer, 30, "Coupure")  # 60 entries: two batches

        pushes = []

        def drop_the_second_answer(route) -> None:
            pushes.append(route.request.headers.get("content-encoding"))
            if len(pushes) < 2:
                route.continue_()
                return
            # The second batch reaches the server and is stored; its answer is lost on the way back.
            route.fetch()
            phone.set_offline(True)
            route.abort("internetdisconnected")

        volunteer.route("**/api/v1/sync/push", drop_the_second_answer)
        volunteer.click("#sync-now")
        expect(volunteer.locator("#sync-error")).to_contain_text("Pas de réseau")
        # The second batch's 10 entries, of the last 5 cases, wait again.
        expect(volunteer.locator("#sync-status")).to_contain_text("5 entretiens attendent d’être envoyés.")
        volunteer.unroute("**/api/v1/sync/push")
        phone.set_offline(False)
        volunteer.click("#sync-now")
        expect(volunteer.locator("#sync-status")).to_contain_text("Tout est envoyé.")
        listed = volunteer.evaluate("async () => (await (await import('/static/js/sync/api.js')).callApi('GET', '/api/v1/sync/cases')).cases")
        assert len(listed) == 30 and sum(c["entry_count"] for c in listed) == 60
        assert pushes == ["gzip", "gzip"]  # envelopes travel compressed
    finally:
        phone.close()
