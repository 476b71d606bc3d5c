"""People come and go in a new team (docs/PROTOCOL.md 8.10.1 items 4-7; issue 22): a case recorded
before the team had a certified coordinator reaches the coordinator at the volunteer's next sync;
a person disabled on the admin's page has their phone locked at its next contact (no intake), is
removed from every case by the coordinator's device, is no longer offered,
and a grant to them is refused by the server and said on the case; a person whose keys were
reset is removed, then granted again once the coordinator compared the new keys."""

import json
import secrets
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from crypto import roster
from crypto.encoding import b64url_decode, b64url_encode
from crypto.keys import generate_account_keys, spoken_fingerprint as spoken_fingerprint_of, unwrap_association_key_with_kek
from sync import db

from tests.browser.test_admin_forms_browser import admin_page, open_person
from tests.browser.test_app import PASSPHRASE, set_up_device, unlock
from tests.browser.test_cases_browser import DEMO, app, compare_in_person, open_case
from tests.browser.test_convergence_browser import (
    add_member, back_home, phone, remove_member, spoken_fingerprint, tap_sync,
)
from tests.browser.test_intake import certify_as_demo_admin, fill_intake
from tests.conftest import ROOT, LiveServer, running_demo
from tests.sync_client import log_in

TEAM = "Rétention Lyon"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    with running_demo(tmp_path) as live:
        live.flask("team", "add", TEAM)
        yield live


def on_server(server: LiveServer, code: str) -> str:
    """Run `code` on the server's database (`conn`, `accounts`), as an administrator with shell access."""
    script = ("from sync import accounts\nfrom webapp import create_app\nfrom webapp.database import get_db\n"
              "with create_app().app_context():\n    conn = get_db()\n" + textwrap.indent(code, "    "))
    return subprocess.run([sys.executable, "-c", script], env=server.env(), cwd=ROOT, capture_output=True,
                          text=True, check=True).stdout


def set_status(server: LiveServer, user_id: str, status: str) -> None:
    on_server(server, f"accounts.set_status(conn, {user_id!r}, {status!r}, 1, actor=None)")


def enrol_certified(server: LiveServer, browser: Browser, page: Page, role: str, name: str,
                    email: str | None = None) -> str:
    """Invited to the new team, enrolled in the page, certified by the admin after comparing
    fingerprints, then synced so the device learns of it; returns the user id."""
    email = email or f"{role}-{secrets.token_hex(4)}@example.org"
    link = server.flask("invite", email, "--role", role, "--team", TEAM)
    page.goto(link.strip())
    page.fill("#display-name", name)
    page.fill("#passphrase", PASSPHRASE)
    page.fill("#passphrase-again", PASSPHRASE)
    page.click("#enrol-form button[type=submit]")
    unlock(page)
    expect(page.locator("#sync-now")).to_be_visible()
    certify_as_demo_admin(server, browser, spoken_fingerprint(page))
    tap_sync(page)
    return app(page, "app/session:s.vault.userId")


def record_case(page: Page, alias: str, notes: str) -> str:
    back_home(page)
    fill_intake(page, alias, notes, "2027-03-01")
    expect(page.locator("#edit-case")).to_be_visible()
    # The case's id, to find it in the lists of both phones.
    return app(page, "store/cases:(await m.listCases(s)).find((c) => c.title === args[0]).id", alias)


@pytest.mark.slow
def test_a_case_recorded_before_the_team_had_a_coordinator_reaches_the_coordinator(server: LiveServer,
                                                                                   browser: Browser) -> None:
    volunteer, desk = phone(browser), phone(browser)
    notes = f"CANARY-{secrets.token_hex(6)} vu au CRA"
    try:
        enrol_certified(server, browser, volunteer, "volunteer", "Awa Bénévole")
        case_id = record_case(volunteer, "Premier dossier", notes)
        expect(volunteer.locator("#case-readers")).to_contain_text("Vous seul·e pouvez lire ce dossier pour l’instant")
        tap_sync(volunteer)

        coordinator_id = enrol_certified(server, browser, desk, "coordinator", "Camille Coord")
        # Nobody touches the case: the volunteer's phone syncs, then the coordinator's.
        tap_sync(volunteer)
        # The volunteer's "My team" lists the coordinator, taken on the association's certification.
        volunteer.click("#open-team")
        expect(volunteer.locator(f'#team-people li[data-person="{coordinator_id}"]')).to_have_attribute(
            "data-standing", "verified")
        expect(volunteer.locator("#team-people li")).to_have_count(1)
        back_home(volunteer)
        open_case(volunteer, case_id)
        readers = volunteer.locator("#case-readers").inner_text()
        assert "Lisible par : vous et Camille Coord (coordination)" in readers.replace("\u2068", "").replace("\u2069", "")
        tap_sync(desk)
        open_case(desk, case_id)
        expect(desk.locator(".case-view")).to_contain_text(notes)

        # A second coordinator gets the case the same way; taken off it by the first, they stay off.
        second = phone(browser)
        second_id = enrol_certified(server, browser, second, "coordinator", "Bruno Coord")
        second.context.close()
        tap_sync(volunteer)
        assert members_now(server, second_id) == 1
        tap_sync(desk)
        remove_member(desk, case_id, second_id)
        tap_sync(desk)
        # The first sync brings the removal to the volunteer's phone, the second would act on it.
        tap_sync(volunteer)
        tap_sync(volunteer)
        assert members_now(server, second_id) == 0
    finally:
        volunteer.context.close()
        desk.context.close()


AWA = "awa@example.org"


def disable_in_the_admin_page(browser: Browser, server: LiveServer, email: str) -> None:
    with admin_page(browser, server, "fr") as page:
        open_person(page, server, email)
        page.get_by_role("button", name="Désactiver ce compte").click()
        expect(page.locator("#person-status")).to_have_text("Désactivé")


def members_now(server: LiveServer, user_id: str) -> int:
    return int(on_server(server, "print(conn.execute('SELECT count(*) FROM case_members WHERE user_id = ?"
                                 f" AND left_seq IS NULL', ({user_id!r},)).fetchone()[0])"))


def removals(server: LiveServer) -> int:
    return int(on_server(server, "print(conn.execute('SELECT count(*) FROM entries WHERE kind = 3').fetchone()[0])"))


@pytest.mark.slow
def test_a_disabled_person_is_removed_from_every_case_and_cannot_be_given_one_again(server: LiveServer,
                                                                                    browser: Browser) -> None:
    volunteer, desk = phone(browser), phone(browser)
    try:
        enrol_certified(server, browser, desk, "coordinator", "Camille Coord")
        volunteer_id = enrol_certified(server, browser, volunteer, "volunteer", "Awa Bénévole", AWA)
        cases = [record_case(volunteer, alias, f"notes {alias}") for alias in ("Dossier A", "Dossier B")]
        tap_sync(volunteer)
        assert members_now(server, volunteer_id) == 2
        tap_sync(desk)
        compare = spoken_fingerprint(volunteer)
        desk.click("#open-team")
        desk.locator(f'#team-people li[data-person="{volunteer_id}"] button').click()
        assert desk.locator("#compare-fingerprint").inner_text() == compare
        desk.click("#mark-verified")

        disable_in_the_admin_page(browser, server, AWA)
        # The person's phone, at its next contact, locks and records nothing more.
        volunteer.click("#sync-now")
        expect(volunteer.locator("#lock-disabled")).to_contain_text("désactivé")
        unlock(volunteer)
        expect(volunteer.locator("h1")).to_have_text("Ce compte est désactivé")
        expect(volunteer.locator("#new-intake")).to_have_count(0)
        expect(volunteer.locator("#case-list")).to_have_count(0)
        tap_sync(desk)
        assert members_now(server, volunteer_id) == 0
        assert removals(server) == 2
        for case_id in cases:
            open_case(desk, case_id)
            expect(desk.locator(f'#case-members li[data-member="{volunteer_id}"]')).to_have_count(0)
            expect(desk.locator(f'#add-member-choice option[value="{volunteer_id}"]')).to_have_count(0)
            back_home(desk)
        desk.click("#open-team")
        expect(desk.locator(f'#team-people li[data-person="{volunteer_id}"]')).to_contain_text("Compte désactivé")

        # Enabled again for a while, then disabled while the coordinator's phone still thinks
        # the account is active: the grant made on the phone is refused by the server.
        set_status(server, volunteer_id, "active")
        tap_sync(desk)
        set_status(server, volunteer_id, "disabled")
        add_member(desk, cases[0], volunteer_id)
        tap_sync(desk)
        assert members_now(server, volunteer_id) == 0
        open_case(desk, cases[0])
        expect(desk.locator(f'[data-refused-grant="{volunteer_id}"]')).to_contain_text(
            "son compte est désactivé.")
        expect(desk.locator(f'#case-members li[data-member="{volunteer_id}"]')).to_have_count(0)
    finally:
        volunteer.context.close()
        desk.context.close()


def association_of(server: LiveServer):
    """The association key, as the demo admin's browser opens it from the escrow; and the admin's id."""
    http, admin_id, kek = log_in(server.url, "admin")
    blob = b64url_decode(http.request("GET", "/api/v1/association/escrow").json()["wrapped_key"])
    return unwrap_association_key_with_kek(blob, kek, admin_id=b64url_decode(admin_id)), admin_id


def certify_again(server: LiveServer, user_id: str, *, revoked: bool) -> str:
    """The association signs the person's next roster entry, as an admin does after a passphrase
    reset: first revoking the old keys, then certifying new ones. Returns the new spoken fingerprint."""
    association, admin_id = association_of(server)
    key = bytes.fromhex(json.loads((server.instance / "secrets.json").read_text())["database_key"])
    conn = db.connect(server.instance / "carnet.db", key)
    try:
        last = roster.verify_roster_entry(bytes(conn.execute(
            "SELECT raw FROM roster_entries WHERE user_id = ? ORDER BY serial DESC LIMIT 1", (user_id,)).fetchone()["raw"]),
            association.public_key)
        keys = generate_account_keys(last.user_id)
        entry = roster.sign_roster_entry_as_admin(
            association, user_id=last.user_id, serial=last.serial + 1, role=last.role, team_id=last.team_id,
            encryption_public=last.encryption_public if revoked else keys.encryption_public,
            signing_public=last.signing_public if revoked else keys.signing_public,
            status=roster.Status.REVOKED if revoked else roster.Status.ACTIVE)
        with db.transaction(conn):
            conn.execute("INSERT INTO roster_entries (user_id, serial, raw, signed_by, created_at) VALUES (?, ?, ?, ?, 0)",
                         (user_id, entry.serial, entry.raw, admin_id))
            conn.execute("UPDATE account_keys SET encryption_public = ?, signing_public = ? WHERE user_id = ?",
                         (entry.encryption_public, entry.signing_public, user_id))
    finally:
        conn.close()
    return spoken_fingerprint_of(entry.fingerprint())


@pytest.mark.slow
def test_a_person_whose_keys_were_reset_is_removed_then_granted_again_once_compared(server: LiveServer,
                                                                                    browser: Browser) -> None:
    volunteer, desk = phone(browser), phone(browser)
    try:
        set_up_device(volunteer, server, *DEMO["volunteer"])
        volunteer_id = app(volunteer, "app/session:s.vault.userId")
        case_id = record_case(volunteer, "Dossier repris", "notes")
        tap_sync(volunteer)
        set_up_device(desk, server, *DEMO["coordinator"])
        tap_sync(desk)
        compare_in_person(desk, volunteer_id, spoken_fingerprint(volunteer))

        # The passphrase is lost: the old keys are revoked, the coordinator's phone removes them.
        certify_again(server, volunteer_id, revoked=True)
        tap_sync(desk)
        assert members_now(server, volunteer_id) == 0
        # New keys are certified: nothing is given to them before the coordinator compares.
        spoken = certify_again(server, volunteer_id, revoked=False)
        tap_sync(desk)
        assert members_now(server, volunteer_id) == 0
        desk.click("#open-team")
        expect(desk.locator(f'#team-people li[data-person="{volunteer_id}"]')).to_have_attribute("data-standing", "changed")
        desk.get_by_role("button", name="Retour").click()
        compare_in_person(desk, volunteer_id, spoken)
        tap_sync(desk)
        assert members_now(server, volunteer_id) == 1
        open_case(desk, case_id)
        expect(desk.locator(f'#case-members li[data-member="{volunteer_id}"]')).to_be_visible()
    finally:
        volunteer.context.close()
        desk.context.close()


def test_my_team_before_certification_says_what_to_do(server: LiveServer, browser: Browser) -> None:
    desk = phone(browser)
    try:
        link = server.flask("invite", f"coord-{secrets.token_hex(4)}@example.org", "--role", "coordinator", "--team", TEAM)
        desk.goto(link.strip())
        desk.fill("#display-name", "Camille Coord")
        desk.fill("#passphrase", PASSPHRASE)
        desk.fill("#passphrase-again", PASSPHRASE)
        desk.click("#enrol-form button[type=submit]")
        unlock(desk)
        errors: list[str] = []
        desk.on("pageerror", lambda error: errors.append(str(error)))
        desk.click("#open-team")
        expect(desk.locator("#team-not-certified")).to_contain_text("Vous n’êtes pas encore certifié·e")
        desk.click("#team-open-fingerprint")
        expect(desk.locator("#my-fingerprint")).to_be_visible()
        assert errors == []
    finally:
        desk.context.close()


def test_the_directorys_revocations_are_read_and_unsigned_ones_ignored(server: LiveServer, browser: Browser) -> None:
    # Given a directory that lists, beside the volunteer's active entry, a revocation signed by
    # the association and a forged one: the device knows the first and drops the second.
    desk = phone(browser)
    try:
        set_up_device(desk, server, *DEMO["coordinator"])
        association, _admin = association_of(server)
        http, _id, _kek = log_in(server.url, "admin")
        people = http.request("GET", "/api/v1/directory").json()["people"]
        volunteer = next(p for p in people if p["role"] == "volunteer" and p["roster"])
        latest = roster.verify_roster_entry(b64url_decode(volunteer["roster"]), association.public_key)
        revoked = roster.sign_roster_entry_as_admin(
            association, user_id=latest.user_id, serial=latest.serial + 1, role=latest.role, team_id=latest.team_id,
            encryption_public=latest.encryption_public, signing_public=latest.signing_public,
            status=roster.Status.REVOKED)
        forged = revoked.raw[:-1] + bytes([revoked.raw[-1] ^ 1])

        def with_revocations(route) -> None:
            body = route.fetch().json()
            for person in body["people"]:
                if person["user_id"] == volunteer["user_id"]:
                    person["revocations"] = [b64url_encode(revoked.raw), b64url_encode(forged)]
            route.fulfill(json=body)

        desk.route("**/api/v1/directory", with_revocations)
        app(desk, "sync/directory:m.refreshRoster(s)")
        known = app(desk, "store/roster:(async () => [...(await m.knownRevocations(s)).entries()]"
                          ".map(([k, list]) => [k, list.map((e) => e.serial)]))()")
        assert known == [[latest.user_id.hex(), [latest.serial + 1]]]
    finally:
        desk.context.close()
