"""Every honest device converges (docs/PROTOCOL.md 8.12): a member removed and added again syncs
on, what the server refused is kept and sent again, a removal is told with its date, and a case
whose log does not verify on a device is set aside and repaired while the others keep syncing."""

import contextlib
import json
import re
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from crypto.encoding import b64url_encode
from crypto.entry import Kind
from sync import db

from tests.browser.conftest import PHONE, screenshot
from tests.browser.test_accessibility import serious_violations
from tests.browser.test_app import set_up_device, unlock
from tests.browser.test_cases_browser import DEMO, app, compare_in_person, new_case, open_case, server_log
from tests.conftest import LiveServer, running_demo

# A day as the app writes it in French: "4 décembre 2026".
DATE = re.compile(r"\d{1,2} [a-zéû]+ \d{4}")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    with running_demo(tmp_path) as live:
        yield live


def phone(browser: Browser) -> Page:
    return browser.new_context(locale="fr-FR", **PHONE).new_page()


def tap_sync(page: Page) -> None:
    """The person taps "Synchroniser" on the home screen and waits for it to finish."""
    back_home(page)
    page.click("#sync-now")
    expect(page.locator("#sync-now")).to_be_enabled()
    expect(page.locator("#sync-progress")).to_be_hidden()


def back_home(page: Page) -> None:
    """Tap "Retour" until the home screen is drawn (a screen may sit under another, and one
    tapped just before may still be drawing the home screen)."""
    for _ in range(6):
        try:
            page.locator("#sync-now").wait_for(timeout=1500)
            return
        except PlaywrightTimeout:
            pass
        try:
            page.get_by_role("button", name="Retour").last.click(timeout=2000)
        except PlaywrightTimeout:
            continue
    expect(page.locator("#sync-now")).to_be_visible()


def edit_notes(page: Page, case_id: str, text: str) -> None:
    """Open the case from the list, edit its free notes and save, as the person would."""
    back_home(page)
    open_case(page, case_id)
    page.click("#edit-case")
    for _ in range(4):
        page.click("#step-next")
    page.fill("#f-notes", text)
    page.click("#intake-save")
    expect(page.locator("#edit-case")).to_be_visible()


def spoken_fingerprint(page: Page) -> str:
    back_home(page)
    page.click("#open-fingerprint")
    spoken = page.locator("#my-fingerprint").inner_text()
    page.get_by_role("button", name="Retour").click()
    return spoken


def remove_member(desk: Page, case_id: str, user_id: str) -> None:
    back_home(desk)
    open_case(desk, case_id)
    desk.locator(f'#case-members li[data-member="{user_id}"] button').click()
    expect(desk.locator(f'#case-members li[data-member="{user_id}"]')).to_have_count(0)


def add_member(desk: Page, case_id: str, user_id: str) -> None:
    back_home(desk)
    open_case(desk, case_id)
    desk.select_option("#add-member-choice", user_id)
    desk.click("#add-member")
    expect(desk.locator(f'#case-members li[data-member="{user_id}"]')).to_be_visible()


def case_taken_away(server: LiveServer, volunteer: Page, desk: Page, alias: str, notes: str) -> tuple[str, str]:
    """The volunteer records a case and syncs; the coordinator compares the volunteer's
    fingerprint in person, removes them from the case and syncs. Returns (volunteer id, case id)."""
    set_up_device(volunteer, server, *DEMO["volunteer"])
    volunteer_id = app(volunteer, "app/session:s.vault.userId")
    case_id = new_case(volunteer, alias, notes)
    tap_sync(volunteer)
    expect(volunteer.locator("#sync-status")).to_contain_text("Tout est envoyé.")
    set_up_device(desk, server, *DEMO["coordinator"])
    tap_sync(desk)
    compare_in_person(desk, volunteer_id, spoken_fingerprint(volunteer))
    remove_member(desk, case_id, volunteer_id)
    tap_sync(desk)
    return volunteer_id, case_id


def test_a_member_removed_then_added_again_syncs_on_and_sends_the_refused_edit(server: LiveServer,
                                                                              browser: Browser) -> None:
    first, refused_edit, from_desk = (f"CANARY-{secrets.token_hex(6)}" for _ in range(3))
    volunteer, desk, second_phone = phone(browser), phone(browser), phone(browser)
    try:
        volunteer_id, case_id = case_taken_away(server, volunteer, desk, "Dossier retiré", first)

        # Unaware, the volunteer edits the case and syncs: refused, kept, and told why.
        edit_notes(volunteer, case_id, refused_edit)
        tap_sync(volunteer)
        expect(volunteer.locator("#sync-error")).to_contain_text("Le serveur a refusé 1 entrée :")
        expect(volunteer.locator(f'#case-list li[data-case="{case_id}"]')).to_contain_text("1 entrée refusée")
        open_case_read_only(volunteer, case_id)
        expect(volunteer.locator("#refused-entries")).to_contain_text(refused_edit)
        expect(volunteer.locator("#refused-entries")).to_contain_text("retiré·e de ce dossier le")

        # The coordinator gives the case back and writes more.
        add_member(desk, case_id, volunteer_id)
        tap_sync(desk)
        edit_notes(desk, case_id, from_desk)
        tap_sync(desk)

        # The volunteer's phone syncs without error and gets the coordinator's later edit...
        tap_sync(volunteer)
        expect(volunteer.locator("#sync-error")).not_to_contain_text("échoué")
        expect(volunteer.locator("#sync-status")).to_contain_text("Tout est envoyé.")
        open_case(volunteer, case_id)
        expect(volunteer.locator("dl").first).to_contain_text(from_desk)
        expect(volunteer.locator("#case-removed")).to_have_count(0)
        # ... and sends the refused edit again once the volunteer confirms it: no wipe.
        volunteer.locator("#refused-entries [data-resend='0']").click()
        expect(volunteer.locator("#refused-entries")).to_have_count(0)
        expect(volunteer.locator("dl").first).to_contain_text(refused_edit)
        tap_sync(volunteer)
        expect(volunteer.locator("#sync-error")).to_have_text("")
        expect(volunteer.locator("#sync-status")).to_contain_text("Tout est envoyé.")

        # A second phone of the same volunteer, set up now, reads all of it.
        set_up_device(second_phone, server, *DEMO["volunteer"])
        tap_sync(second_phone)
        open_case(second_phone, case_id)
        for canary in (first, refused_edit, from_desk):
            expect(second_phone.locator("dl").first).to_contain_text(canary)
        tap_sync(desk)
        open_case(desk, case_id)
        expect(desk.locator("dl").first).to_contain_text(refused_edit)
    finally:
        for page in (volunteer, desk, second_phone):
            page.context.close()
    # The server holds each text once: the refused entry never reached it, the one sent again did.
    log = server_log(server, case_id)
    assert sum(v.entry.header.kind == Kind.CONTENT for v in log.entries) == 3


def open_case_read_only(page: Page, case_id: str) -> None:
    back_home(page)
    page.locator(f'#case-list li[data-case="{case_id}"] button').click()
    expect(page.locator("#case-removed")).to_be_visible()
    expect(page.locator("#edit-case")).to_have_count(0)


def test_a_removed_volunteer_is_told_the_date_and_keeps_unsent_work_until_sent_or_discarded(
        server: LiveServer, browser: Browser) -> None:
    kept, discarded = (f"CANARY-{secrets.token_hex(6)}" for _ in range(2))
    volunteer, desk = phone(browser), phone(browser)
    try:
        _volunteer_id, case_id = case_taken_away(server, volunteer, desk, "Dossier quitté", "début")

        # Two edits written with no network, then the next sync.
        volunteer.context.set_offline(True)
        edit_notes(volunteer, case_id, kept)
        edit_notes(volunteer, case_id, discarded)
        volunteer.context.set_offline(False)
        tap_sync(volunteer)
        expect(volunteer.locator("#sync-error")).to_contain_text("Le serveur a refusé 2 entrées")
        open_case_read_only(volunteer, case_id)
        notice = volunteer.locator("#case-removed").inner_text()
        assert "Vous avez été retiré·e de ce dossier le" in notice and DATE.search(notice), notice
        expect(volunteer.locator("#refused-entries li[data-refused]")).to_have_count(2)
        # Nothing can be sent while removed: only shown, printed, or discarded by the person.
        expect(volunteer.locator("#refused-entries [data-resend]")).to_have_count(0)
        screenshot(volunteer, "refused-entries-fr-360x640")
        assert volunteer.evaluate("document.documentElement.scrollWidth") <= 360
        assert serious_violations(volunteer) == []

        # Kept across a lock and an unlock, and across further syncs.
        back_home(volunteer)
        volunteer.click("#lock-now")
        unlock(volunteer, DEMO["volunteer"][1])
        tap_sync(volunteer)
        open_case_read_only(volunteer, case_id)
        expect(volunteer.locator("#refused-entries li[data-refused]")).to_have_count(2)

        # Discarding takes two taps; then the team's retention applies to what is left.
        index = 0 if discarded in volunteer.locator("#refused-entries li[data-refused='0']").inner_text() else 1
        button = volunteer.locator(f"#refused-entries [data-discard='{index}']")
        button.click()
        expect(volunteer.locator("#refused-entries li[data-refused]")).to_have_count(2)
        button.click()
        expect(volunteer.locator("#refused-entries li[data-refused]")).to_have_count(1)
        expect(volunteer.locator("#refused-entries")).to_contain_text(kept)
        server.flask("team", "policy", "Prisons", "--retention", "none")
        tap_sync(volunteer)
        expect(volunteer.locator(f'#case-list li[data-case="{case_id}"]')).to_have_count(1)
        open_case_read_only(volunteer, case_id)
        volunteer.locator("#refused-entries [data-discard='0']").click()
        volunteer.locator("#refused-entries [data-discard='0']").click()
        tap_sync(volunteer)
        expect(volunteer.locator(f'#case-list li[data-case="{case_id}"]')).to_have_count(0)
    finally:
        volunteer.context.close()
        desk.context.close()


@contextlib.contextmanager
def server_database(server: LiveServer) -> Iterator[db.Connection]:
    """The server's SQLCipher database, opened with its key, as someone with the disk would."""
    key = bytes.fromhex(json.loads((server.instance / "secrets.json").read_text())["database_key"])
    conn = db.connect(server.instance / "carnet.db", key)
    try:
        with db.transaction(conn):
            yield conn
    finally:
        conn.close()


def inject_bad_entry(server: LiveServer, case_id: str) -> int:
    """Store, behind the acceptance rule's back, a copy of the case's last entry with a flipped
    signature byte: a log no device can apply. Returns the row's seq."""
    with server_database(server) as conn:
        last = conn.execute("SELECT * FROM entries WHERE case_id = ? ORDER BY seq DESC LIMIT 1", (case_id,)).fetchone()
        envelope = bytearray(last["envelope"])
        envelope[-1] ^= 1
        return conn.execute(
            "INSERT INTO entries (case_id, entry_id, entry_hash, kind, epoch, author, device_id, device_seq,"
            " envelope, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (case_id, b64url_encode(secrets.token_bytes(16)), secrets.token_bytes(32), last["kind"], last["epoch"],
             last["author"], last["device_id"], last["device_seq"], bytes(envelope), last["received_at"])).lastrowid


def delete_entry(server: LiveServer, seq: int) -> None:
    with server_database(server) as conn:
        conn.execute("DELETE FROM entries WHERE seq = ?", (seq,))


def test_a_case_that_does_not_verify_is_set_aside_the_others_sync_and_the_repair_brings_it_back(
        server: LiveServer, browser: Browser) -> None:
    offline_note, other_news, after_repair = (f"CANARY-{secrets.token_hex(6)}" for _ in range(3))
    volunteer, desk = phone(browser), phone(browser)
    try:
        set_up_device(volunteer, server, *DEMO["volunteer"])
        broken = new_case(volunteer, "Dossier abîmé", "un")
        healthy = new_case(volunteer, "Dossier sain", "deux")
        tap_sync(volunteer)
        set_up_device(desk, server, *DEMO["coordinator"])
        tap_sync(desk)

        seq = inject_bad_entry(server, broken)
        edit_notes(desk, healthy, other_news)
        tap_sync(desk)
        edit_notes(volunteer, broken, offline_note)
        tap_sync(volunteer)
        expect(volunteer.locator("#sync-error")).to_contain_text("1 dossier est mis de côté")
        expect(volunteer.locator(f'#case-list li[data-case="{broken}"]')).to_contain_text("mis de côté")
        # The other case kept syncing.
        open_case(volunteer, healthy)
        expect(volunteer.locator("dl").first).to_contain_text(other_news)

        back_home(volunteer)
        volunteer.locator(f'#case-list li[data-case="{broken}"] button').click()
        expect(volunteer.locator("#case-set-aside")).to_contain_text("mis de côté")
        expect(volunteer.locator("dl").first).to_contain_text(offline_note)
        # While the server still serves the bad entry, the repair says so and loses nothing.
        volunteer.click("#repair-case")
        expect(volunteer.locator("#repair-error")).to_contain_text("n’a pas abouti")
        expect(volunteer.locator("dl").first).to_contain_text(offline_note)

        delete_entry(server, seq)
        volunteer.click("#repair-case")
        expect(volunteer.locator("#case-set-aside")).to_have_count(0)
        expect(volunteer.locator("dl").first).to_contain_text(offline_note)
        tap_sync(volunteer)
        expect(volunteer.locator("#sync-error")).to_have_text("")
        expect(volunteer.locator("#sync-status")).to_contain_text("Tout est envoyé.")

        # The coordinator's device met the bad entry too: repaired the same way, it writes again.
        back_home(desk)
        desk.locator(f'#case-list li[data-case="{broken}"] button').click()
        desk.click("#repair-case")
        expect(desk.locator("#case-set-aside")).to_have_count(0)
        edit_notes(desk, broken, after_repair)
        tap_sync(desk)
        tap_sync(volunteer)
        open_case(volunteer, broken)
        expect(volunteer.locator("dl").first).to_contain_text(after_repair)
        # The note typed while the case was set aside is on the server, in the history.
        expect(volunteer.locator("dl").first).to_contain_text(offline_note)
        expect(volunteer.locator("dl details summary")).to_have_text("3 versions")
    finally:
        volunteer.context.close()
        desk.context.close()
