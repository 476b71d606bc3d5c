"""The server's audit log, the auditor's API, and the database at rest (backup, restore, rekey)."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from flask import Flask

from crypto import verify
from crypto.audit import Action, parse_audit_record, verify_audit_head
from crypto.control import AddMember, Genesis, RemoveMember, RotateKey, parse_control_payload
from crypto.encoding import b64url_decode, b64url_encode
from crypto.entry import CONTROL_KINDS, parse_entry
from sync import audit, db
from sync import accounts
from webapp.database import get_db

from tests.audit_demo import CANARY, build_demo
from tests.conftest import ROOT, Clock, LiveServer, free_port, running_demo
from tests.helpers import Api, Person, logged_in
from tests.http import HttpResponse, HttpSession
from tests.sync_client import demo_writer, log_in


def actions(app: Flask) -> list[Action]:
    with app.app_context():
        return [parse_audit_record(raw).action for raw in audit.all_records(get_db())]


def test_logins_failed_logins_and_pushes_append_records_and_refused_writes_none(
        app: Flask, people: dict[str, Person]) -> None:
    api = Api(app.test_client())
    assert api.login(people["volunteer"].email, "not the passphrase").status_code == 401
    logged_in(app, people["volunteer"])
    api = logged_in(app, people["volunteer"])
    # The fixture made the team "Prisons" first, then the admin's and the auditor's security keys.
    assert actions(app) == [Action.TEAM_CHANGED, Action.FACTOR_REGISTERED, Action.FACTOR_REGISTERED,
                            Action.LOGIN_FAILED, Action.LOGIN, Action.LOGIN]
    # No association key is set up here: the push is refused as a whole, and nothing is recorded.
    response = api.post("/api/v1/sync/push", {"entries": [b64url_encode(b"CNE\x01 not an entry")]})
    assert response.status_code == 409
    assert len(actions(app)) == 6


def test_the_audit_log_is_append_only_and_written_only_inside_a_write_transaction(app: Flask,
                                                                                  people: dict[str, Person]) -> None:
    logged_in(app, people["admin"])
    with app.app_context():
        conn = get_db()
        with pytest.raises(RuntimeError, match="transaction"):
            audit.record(conn, Action.EXPORT, 1)
        for statement in ("UPDATE audit_log SET at = 0", "DELETE FROM audit_log"):
            with pytest.raises(Exception, match="append-only"):
                conn.execute(statement)


@pytest.fixture
def demo_app(app: Flask):
    return build_demo(app)


def test_the_auditor_api_pages_the_log_by_action_and_signs_the_head(demo_app, clock: Clock) -> None:
    auditor = logged_in(demo_app.app, demo_app.members["auditor"].person)
    page = auditor.get("/api/v1/audit/log?after=0&limit=5").get_json()
    assert [r["seq"] for r in page["records"]] == [1, 2, 3, 4, 5] and page["more"] and page["next_cursor"] == 5
    opened = auditor.get("/api/v1/audit/log?action=case_opened").get_json()["records"]
    assert len(opened) == 4 and {r["action"] for r in opened} == {"case_opened"}
    assert auditor.get("/api/v1/audit/log?action=nonsense").status_code == 422
    head = auditor.get("/api/v1/audit/head").get_json()
    key = Ed25519PublicKey.from_public_bytes(b64url_decode(head["audit_public_key"]))
    verified = verify_audit_head(b64url_decode(head["head"]), key)
    everything = auditor.get("/api/v1/audit/log?limit=1000").get_json()["records"]
    assert verified.count == len(everything) and b64url_encode(verified.last_hash) == everything[-1]["hash"]


def test_the_inventory_counts_what_is_held_and_raises_the_alerts(demo_app, clock: Clock) -> None:
    app = demo_app.app
    with app.app_context():
        accounts.set_status(get_db(), demo_app.members["vol-p2"].person.id, "disabled", int(clock()))
    clock.advance(91 * 86_400)
    auditor = logged_in(app, demo_app.members["auditor"].person)
    inventory = auditor.get("/api/v1/audit/inventory").get_json()
    cases = [case for team in inventory["teams"] for case in team["cases"]]
    assert len(inventory["teams"]) == 2 and len(cases) == 4
    busy = [case for case in cases if case["entries"] == 8]
    assert len(busy) == 2 and all(case["epoch"] == 3 and len(case["members"]) == 2 for case in busy)
    assert all([r["kind"] for r in case["rotations"]] == ["genesis", "rotate", "remove"] for case in busy)
    assert all(case["verification_failure"] is None and case["bytes"] > 0 for case in cases)
    kinds = [alert["alert"] for alert in inventory["alerts"]]
    assert kinds.count("key-older-than-policy") == 4
    assert kinds.count("former-member-holds-current-key") == 1


def recorded(http: HttpSession, bodies: list[bytes]) -> HttpSession:
    """Keep every response body the session receives, as the HTTP layer delivered it."""
    original = http.request

    def request(*args, **kwargs) -> HttpResponse:
        response = original(*args, **kwargs)
        bodies.append(response.body)
        return response

    http.request = request  # type: ignore[method-assign]
    return http


def test_an_auditors_session_receives_no_case_key_and_no_plaintext_canary(live_server: LiveServer) -> None:
    writer = demo_writer(live_server.url)
    log, case_key, envelopes = writer.new_case(f"intake notes {CANARY}")
    assert {r["status"] for r in writer.push(envelopes)} == {"stored"}
    bodies: list[bytes] = []
    http, auditor_id, _kek = log_in(live_server.url, "auditor")
    recorded(http, bodies)
    for path in ("/api/v1/me", "/api/v1/me/keys", "/api/v1/association", "/api/v1/directory",
                 "/api/v1/audit/head", "/api/v1/audit/inventory", "/api/v1/audit/log?limit=1000"):
        assert http.request("GET", path).status == 200, path
    pulled, cursor = [], 0
    while True:
        page = http.request("GET", f"/api/v1/sync/pull?cursor={cursor}").json()
        pulled += [b64url_decode(e["envelope"]) for e in page["entries"]]
        cursor = page["next_cursor"]
        if not page["more"]:
            break
    for case_id in {b64url_encode(parse_entry(e).header.case_id) for e in pulled}:
        assert http.request("GET", f"/api/v1/sync/cases/{case_id}/entries").status == 200
    assert set(envelopes) <= set(pulled)
    association = Ed25519PublicKey.from_public_bytes(b64url_decode(
        json.loads(bodies[2])["public_key"]))
    assert b64url_decode(auditor_id) not in wrapped_recipients(pulled, association)
    everything = b"".join(bodies)
    for secret in (CANARY.encode(), case_key, b64url_encode(case_key).encode(), case_key.hex().encode()):
        assert secret not in everything


def wrapped_recipients(envelopes: list[bytes], association: Ed25519PublicKey) -> set[bytes]:
    found = set()
    for raw in envelopes:
        entry = parse_entry(raw)
        if entry.header.kind not in CONTROL_KINDS:
            continue
        payload = parse_control_payload(entry.header.kind, entry.body, association)
        if isinstance(payload, Genesis):
            found |= {grant.wrapped.recipient for grant in payload.grants}
        elif isinstance(payload, AddMember):
            found.add(payload.grant.wrapped.recipient)
        elif isinstance(payload, (RemoveMember, RotateKey)):
            found |= {wrapped.recipient for wrapped in payload.rotation.wraps}
    return found


@pytest.mark.slow
def test_backup_restore_and_rekey_end_to_end(tmp_path: Path) -> None:
    with running_demo(tmp_path) as server:
        writer = demo_writer(server.url)
        _log, _key, envelopes = writer.new_case("to be backed up")
        writer.push(envelopes)
    backup = tmp_path / "carnet-backup.db"
    backup_key = bytes.fromhex(re.search(r"[0-9a-f]{64}", server.flask("backup", str(backup))).group(0))
    secrets_file = server.instance / "secrets.json"
    old_key = bytes.fromhex(json.loads(secrets_file.read_text())["database_key"])
    with pytest.raises(db.WrongDatabaseKey):
        db.connect(backup, old_key)

    server.flask("rekey")
    new_key = bytes.fromhex(json.loads(secrets_file.read_text())["database_key"])
    assert new_key != old_key and secrets_file.stat().st_mode & 0o777 == 0o600
    with pytest.raises(db.WrongDatabaseKey):
        db.connect(server.instance / "carnet.db", old_key)
    rekeyed = export_and_verify(server, tmp_path / "rekeyed.json")
    assert "REKEY" in rekeyed

    refused = flask_unchecked(server, "restore", str(backup), input=backup_key.hex())
    assert refused.returncode != 0 and "--force" in refused.stderr
    wrong = flask_unchecked(server, "restore", str(backup), "--force", input="00" * 32)
    assert wrong.returncode != 0 and "not restored" in wrong.stderr
    key_file = tmp_path / "backup.key"
    key_file.write_text(backup_key.hex())
    server.flask("restore", str(backup), "--key-file", str(key_file), "--force")
    restored = export_and_verify(server, tmp_path / "restored.json")
    assert restored[-3:] == ["BACKUP", "RESTORE", "EXPORT"] and "REKEY" not in restored
    server.start()
    try:
        assert set(envelopes) <= set(demo_writer(server.url, "coordinator").pull_all())
    finally:
        server.stop()


def flask_unchecked(server: LiveServer, *args: str, input: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "flask", "--app", "webapp", *args], env=server.env(), cwd=ROOT,
                          capture_output=True, text=True, check=False, input=input)


def export_and_verify(server: LiveServer, path: Path) -> list[str]:
    server.flask("audit", "export", str(path))
    report = verify.verify_bundle(path.read_bytes())
    assert report.ok, report.to_text()
    bundle = json.loads(path.read_text())
    assert report.facts["entries"] >= 2 and bundle["cases"]
    return [parse_audit_record(b64url_decode(r)).action.name for r in bundle["audit_log"]]


def test_init_adds_an_audit_key_to_secrets_made_before_it_and_the_server_needs_one(tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    instance.mkdir()
    secrets_file = instance / "secrets.json"
    secrets_file.write_text(json.dumps({"database_key": "11" * 32, "secret_key": "22" * 32}))
    secrets_file.chmod(0o600)
    server = LiveServer(instance=instance, port=free_port(), log_path=tmp_path / "server.log")
    refused = flask_unchecked(server, "routes")
    assert refused.returncode != 0 and "audit key" in refused.stderr
    assert "Added the server's audit key" in server.flask("init")
    stored = json.loads(secrets_file.read_text())
    assert len(bytes.fromhex(stored["audit_key"])) == 32 and secrets_file.stat().st_mode & 0o777 == 0o600
    assert stored["database_key"] == "11" * 32
