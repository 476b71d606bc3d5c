"""Faults survived (issue 19): the fault points, the full disk answered 507 with nothing half-written,
and the fault-injection run (bench/faults.py) at its short profile on both databases, which must
fail when a fault point loses an entry."""

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from crypto.audit import check_audit_chain, parse_audit_record
from crypto.writer import seal_entry_as_author
from sync import db, faults
from webapp.database import get_db

from tests.conftest import ROOT
from tests.test_sync import Member, new_case, push, stored_count, world  # noqa: F401 - a fixture

SEED = int(os.environ.get("CARNET_FAULTS_SEED", "19"))


def test_an_unarmed_fault_point_does_nothing() -> None:
    assert os.environ.get(faults.ENV) is None and faults._ARMED == {}
    assert faults.point("before-commit") is None


KILLED_TRANSACTION = """
import sys
from sync import db
conn = db.connect(sys.argv[1], bytes(32))
conn.execute("CREATE TABLE IF NOT EXISTS t (x INTEGER)")
with db.transaction(conn):
    conn.execute("INSERT INTO t VALUES (1)")
"""


@pytest.mark.parametrize("point, rows", [("before-commit", 0), ("after-commit", 1)])
def test_an_armed_point_kills_its_process_there(tmp_path: Path, point: str, rows: int) -> None:
    """The process dies at the point, exactly once, and the transaction is kept only past COMMIT."""
    points = tmp_path / "points"
    points.mkdir()
    (points / point).write_text("kill")
    database = tmp_path / "t.db"
    env = {**os.environ, faults.ENV: str(points)}
    done = subprocess.run([sys.executable, "-c", KILLED_TRANSACTION, str(database)], cwd=ROOT, env=env)
    assert done.returncode == -signal.SIGKILL
    assert (points / f"{point}.fired").read_text() == "kill" and not (points / point).exists()
    conn = db.connect(database, bytes(32))
    assert conn.execute("SELECT count(*) FROM t").fetchone()[0] == rows
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    # Claimed once: the same program now runs to its end.
    assert subprocess.run([sys.executable, "-c", KILLED_TRANSACTION, str(database)], cwd=ROOT, env=env).returncode == 0


# A full disk -------------------------------------------------------------------------------------

def fill_the_disk(app: Flask, backend: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The database's own "disk full": SQLite's page limit at the file's size on every new
    connection (SQLITE_FULL), PostgreSQL's disk_full raised by the audit insert (53100), so that the
    entries are written and their audit records are not."""
    if backend == "sqlcipher":
        connect = db.connect

        def full(path: Path | str, key: bytes) -> db.SqlcipherConnection:
            conn = connect(path, key)
            pages = conn.execute("PRAGMA page_count").fetchone()[0]
            conn.execute(f"PRAGMA max_page_count = {pages}")
            return conn

        monkeypatch.setattr(db, "connect", full)
        return
    with app.app_context():
        conn = get_db()
        conn.execute("CREATE FUNCTION disk_full() RETURNS trigger LANGUAGE plpgsql AS"
                     " $$ BEGIN RAISE EXCEPTION 'could not extend file' USING ERRCODE = 'disk_full'; END $$")
        conn.execute("CREATE TRIGGER disk_full BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION disk_full()")


def free_the_disk(app: Flask, backend: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.undo()
    if backend == "postgresql":
        with app.app_context():
            get_db().execute("DROP TRIGGER disk_full ON audit_log")


def audit_records(app: Flask) -> list[bytes]:
    with app.app_context():
        return [bytes(row[0]) for row in get_db().execute("SELECT record FROM audit_log ORDER BY seq")]


def test_a_full_disk_is_answered_507_stores_nothing_and_the_same_push_succeeds_later(
        app: Flask, backend: str, world: dict[str, Member], monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    case, envelopes = new_case(world)
    writer = world["volunteer"]
    # Enough bytes to need new pages of the database.
    envelopes += [seal_entry_as_author(case.log, writer.keys, device_id=writer.device, case_key=case.case_key,
                                       body_json=json.dumps({"notes": "n" * 3000}).encode()) for _ in range(30)]
    records = audit_records(app)
    fill_the_disk(app, backend, monkeypatch)
    answer = push(writer.api, envelopes)
    assert answer.status_code == 507
    problem = answer.get_json()
    assert problem["type"] == "urn:carnet:problem:storage-full" and problem["title"]
    free_the_disk(app, backend, monkeypatch)
    assert stored_count(app) == 0 and audit_records(app) == records
    stored = push(writer.api, envelopes).get_json()["results"]
    assert {r["status"] for r in stored} == {"stored"} and stored_count(app) == len(envelopes)
    check_audit_chain([parse_audit_record(raw) for raw in audit_records(app)])


@contextlib.contextmanager
def tiny_filesystem() -> Iterator[Path]:
    """A 1 MiB tmpfs of its own, owned by the ``postgres`` account; skips where mounting is not allowed."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small filesystem needs root; the test above covers the error path")
    folder = Path(tempfile.mkdtemp(prefix="carnet-tiny-"))
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(folder)], capture_output=True)
    if mounted.returncode != 0:
        folder.rmdir()
        pytest.skip("this machine does not allow mounting a tmpfs: " + mounted.stderr.decode(errors="replace"))
    try:
        shutil.chown(folder, "postgres", "postgres")
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=True)
        folder.rmdir()


@pytest.mark.postgresql
@pytest.mark.parametrize("backend", ["postgresql"])
def test_a_postgresql_filesystem_really_full_is_answered_507_and_recovers_when_space_returns(
        app: Flask, world: dict[str, Member]) -> None:  # noqa: F811
    """The entries' table on a tablespace of its own, on a filesystem that fills: PostgreSQL's own
    "No space left on device", not a simulation; then the filesystem grows and the same push is stored."""
    case, envelopes = new_case(world)
    writer = world["volunteer"]
    envelopes += [seal_entry_as_author(case.log, writer.keys, device_id=writer.device, case_key=case.case_key,
                                       body_json=json.dumps({"notes": os.urandom(6000).hex()}).encode())
                  for _ in range(150)]
    records = audit_records(app)
    space = "carnet_tiny_" + os.urandom(4).hex()
    with tiny_filesystem() as folder, app.app_context():
        conn = get_db()
        conn.execute(f"CREATE TABLESPACE {space} LOCATION '{folder}'")
        conn.execute(f"ALTER TABLE entries SET TABLESPACE {space}")
        try:
            answer = push(writer.api, envelopes)
            assert answer.status_code == 507 and answer.get_json()["code"] == "storage-full"
            assert stored_count(app) == 0 and audit_records(app) == records
            subprocess.run(["mount", "-o", "remount,size=64m", str(folder)], check=True)
            stored = push(writer.api, envelopes).get_json()["results"]
            assert {r["status"] for r in stored} == {"stored"} and stored_count(app) == len(envelopes)
        finally:
            conn.execute("ALTER TABLE entries SET TABLESPACE pg_default")
            conn.execute(f"DROP TABLESPACE {space}")
    check_audit_chain([parse_audit_record(raw) for raw in audit_records(app)])


@pytest.mark.parametrize("backend", ["sqlcipher"])
def test_a_full_disk_while_the_session_opens_is_answered_507(
        app: Flask, world: dict[str, Member], monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    """Opening a SQLCipher database creates its shared-memory file, which a full disk refuses:
    Flask opens the session before any error handler, where this would be a bare 500."""

    def refused(_settings: db.DatabaseSettings) -> db.Connection:
        raise db.StorageFull("disk I/O error")

    monkeypatch.setattr(db, "open_database", refused)
    answer = world["volunteer"].api.get("/api/v1/sync/pull?cursor=0")
    assert answer.status_code == 507
    assert answer.get_json()["code"] == "storage-full"


# The run -----------------------------------------------------------------------------------------

def run_faults(tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess, dict]:
    out = tmp_path / "faults.json"
    done = subprocess.run([sys.executable, "-m", "bench.faults", "--seed", str(SEED), "--no-record",
                           "--json", str(out), *args], cwd=ROOT, capture_output=True, text=True, timeout=900)
    print(done.stdout[-3000:], done.stderr[-3000:])
    assert f"seed {SEED}" in done.stdout
    return done, json.loads(out.read_text())["results"][0]


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlcipher", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def test_the_short_profile_loses_nothing_on_either_database(tmp_path: Path, backend: str) -> None:
    done, figures = run_faults(tmp_path, "--profile", "short", "--backends", backend)
    assert done.returncode == 0, figures
    assert figures["faults"] >= 10 and figures["entries_confirmed"] > 0
    assert figures["entries_lost"] == figures["stored_twice"] == figures["integrity_failures"] == 0


@pytest.mark.slow
def test_a_fault_point_that_loses_an_entry_fails_the_run(tmp_path: Path) -> None:
    """The deliberately broken action: a push answered "stored" whose entries were dropped."""
    done, figures = run_faults(tmp_path, "--faults", "3", "--backends", "sqlcipher", "--break", "lose")
    assert done.returncode == 1
    assert figures["faults_by_kind"].get("lose") == 1 and figures["entries_lost"] > 0
