"""What the outside verifier found, checked by the auditor's browser (docs/PROTOCOL.md 9.2, 14.5):
a server that stores a revoked member's write, then hides the revocation, then files a case under
another team. Each state is written into the SQLCipher database as someone holding its key could,
and "Verify everything" names the check that finds it. The screens name people and teams, each
name isolated for direction, and show the audit key pinned on this device and the head kept."""

import hashlib
import json
import time
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from playwright.sync_api import Browser, Page, expect

from crypto.encoding import b64url_decode
from crypto.entry import parse_entry
from crypto.kdf import KdfParams, derive_account_secrets
from crypto.keys import AssociationKey, unwrap_association_key_with_kek
from crypto.roster import Status, sign_roster_entry_as_admin
from sync import cases as server_cases
from sync import db, directory
from sync import accounts
from webapp.cli import DEMO_PEOPLE

from tests.browser.conftest import PHONE
from tests.browser.test_app import set_up_device, unlock
from tests.browser.test_audit_browser import AUDITOR, checks_of, start_server, verify_everything
from tests.conftest import LiveServer
from tests.sync_client import demo_writer


def open_database(server: LiveServer) -> db.sqlcipher3.Connection:
    key = bytes.fromhex(json.loads((server.instance / "secrets.json").read_text())["database_key"])
    return db.connect(server.instance / "carnet.db", key)


def audit_key_fingerprint(server: LiveServer) -> str:
    seed = bytes.fromhex(json.loads((server.instance / "secrets.json").read_text())["audit_key"])
    return hashlib.sha256(Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes_raw()).hexdigest()


def association_of(conn: db.sqlcipher3.Connection) -> AssociationKey:
    """The association key, as the demo admin's app unwraps it from the escrow."""
    email, _name, _role, _team, passphrase = next(p for p in DEMO_PEOPLE if p[2] == "admin")
    admin = accounts.user_by_email(conn, email)
    kek = derive_account_secrets(passphrase, KdfParams.from_json(json.loads(admin["kdf"]))).kek
    return unwrap_association_key_with_kek(directory.association_escrow(conn, admin["id"]), kek,
                                           admin_id=b64url_decode(admin["id"]))


def reopen(page: Page) -> None:
    """Reload the app, as the auditor coming back does, and unlock it."""
    page.reload()
    unlock(page, AUDITOR[1])
    expect(page.locator("#verify-everything")).to_be_visible()


def failed(report: dict) -> list[str]:
    return [name for name, check in checks_of(report).items() if check["failed"]]


def test_the_auditors_browser_finds_a_revoked_writer_a_hidden_revocation_and_a_case_under_another_team(
        tmp_path: Path, browser: Browser) -> None:
    server = start_server(tmp_path)
    page = browser.new_context(locale="fr-FR", **PHONE).new_page()
    try:
        # Given a case opened by the volunteer, and the auditor's first verification, which passes.
        volunteer = demo_writer(server.url)
        log, key, envelopes = volunteer.new_case("a note")
        assert [r["status"] for r in volunteer.push(envelopes)] == ["stored", "stored"]
        set_up_device(page, server, *AUDITOR)
        expect(page.locator("#audit-kept")).to_be_visible()
        expect(page.locator("#audit-kept-key")).to_have_count(0)
        assert verify_everything(page)["ok"]
        # The screen shows the audit key now pinned and the head kept, and names people and teams.
        expect(page.locator("#audit-kept-key")).to_have_text(audit_key_fingerprint(server))
        expect(page.locator("#audit-kept-head")).to_be_visible()
        expect(page.locator("#audit-inventory h3 bdi", has_text="Prisons")).to_have_count(1)
        expect(page.locator("#audit-inventory [data-user] bdi", has_text="Bastien Bénévole").first).to_be_attached()
        expect(page.locator("#audit-log li bdi", has_text="Aurore Audit").first).to_be_visible()

        # When the admin revokes the volunteer, whom no coordinator removes, and the server stores
        # a note the volunteer wrote after it (the acceptance rule would have refused it),
        conn = open_database(server)
        now = int(time.time())
        member = next(m for m in volunteer.members if m.user_id == volunteer.keys.user_id)
        revocation = sign_roster_entry_as_admin(association_of(conn), user_id=member.user_id, serial=2,
                                                role=member.role, team_id=member.team_id,
                                                encryption_public=member.encryption_public,
                                                signing_public=member.signing_public, status=Status.REVOKED,
                                                now=now * 1000 - 60_000)
        person = next(p for p in accounts.list_people(conn) if b64url_decode(p["id"]) == member.user_id)
        accounts.set_status(conn, person["id"], "disabled", now)
        directory.accept_roster_entry(conn, revocation.raw, person["id"], now)
        late = volunteer.seal(log, key, "written after the revocation")
        with db.transaction(conn):
            server_cases.store_entry(conn, log, late, parse_entry(late), now, created=False)
        # then the browser's verification names the revoked writer.
        reopen(page)
        report = verify_everything(page)
        assert failed(report) == ["revoked_members"], report
        assert "written by a person revoked" in checks_of(report)["revoked_members"]["failures"][0]

        # When the server then hides the revocation from the roster it serves,
        conn.execute("DELETE FROM roster_entries WHERE user_id = ? AND serial = 2", (person["id"],))
        reopen(page)
        report = verify_everything(page)
        # then the note passes as a member's, but the roster no longer matches the audit log.
        assert failed(report) == ["roster_completeness"], report
        expect(page.locator("#audit-alerts li[data-alert=roster-incomplete]")).to_be_visible()

        # When the case is filed under another team than the one its GENESIS names,
        other = accounts.team_by_name(conn, "Violences")
        conn.execute("UPDATE cases SET team_id = ?", (other,))
        conn.close()
        reopen(page)
        report = verify_everything(page)
        # then the case log check names it.
        assert "case_logs" in failed(report) and "another team" in checks_of(report)["case_logs"]["failures"][0]
    finally:
        page.context.close()
        server.stop()
