"""Two app servers (two gunicorn masters, two workers each) on two ports, one PostgreSQL: what one
server knows, the other knows, since sessions, throttles, rate limits and the audit log live in
the database; fifty clients split over them lose and duplicate nothing."""

import concurrent.futures
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from crypto.audit import check_audit_chain, parse_audit_record, verify_audit_head
from crypto.encoding import b64url_decode, b64url_encode
from crypto.entry import parse_entry
from webapp.cli import DEMO_PEOPLE
from tests import postgres as pg
from tests.conftest import LiveServer
from tests.test_server_process import MOST_EVALUATED
from tests.http import HttpSession
from tests.ports import free_port
from tests.sync_client import DemoWriter, demo_writer, log_in

pytestmark = [pytest.mark.slow, pytest.mark.postgresql]
SYNC_PER_MINUTE = 300
CLIENTS = 50


@pytest.fixture(scope="module")
def servers(postgres: pg.PostgresServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[LiveServer]]:
    """Two servers as on two machines: their own instance folders with the same secrets file."""
    folder = tmp_path_factory.mktemp("two-servers")
    # Every simulated client comes from loopback: the per-address limit of anonymous requests
    # (logins) is lifted; the per-account sync limit is the one tested.
    env = {"CARNET_DATABASE_URL": postgres.create_database(), "CARNET_WORKERS": "2",
           "CARNET_SYNC_REQUESTS_PER_MINUTE": str(SYNC_PER_MINUTE), "CARNET_ANONYMOUS_REQUESTS_PER_MINUTE": "100000"}
    both = [LiveServer(instance=folder / name, port=free_port(), log_path=folder / f"{name}.log", extra_env=env)
            for name in ("a", "b")]
    both[0].flask("init")
    both[0].flask("demo")
    both[1].instance.mkdir()
    shutil.copy2(both[0].instance / "secrets.json", both[1].instance / "secrets.json")
    try:
        for server in both:
            server.start()
        yield both
    finally:
        for server in both:
            server.stop()


def on(session: HttpSession, server: LiveServer) -> HttpSession:
    """The same person's session (cookies and CSRF token), sent to another server."""
    return HttpSession(server.url, dict(session.cookies), session.csrf_token)


def all_entries(session: HttpSession) -> list[bytes]:
    return DemoWriter(session, None, None, []).pull_all()  # type: ignore[arg-type]


def write_through_both(index: int, writer: DemoWriter, servers: list[LiveServer]) -> list[bytes]:
    """One client: a case opened on one server, an entry more through the other."""
    second = servers[(index + 1) % 2]
    log, case_key, envelopes = writer.new_case(f"client {index}")
    assert {r["status"] for r in writer.push(envelopes)} == {"stored"}
    later = writer.seal(log, case_key, f"client {index}, later")
    writer.http = on(writer.http, second)
    assert [r["status"] for r in writer.push([later])] == ["stored"]
    return [*envelopes, later]


def test_fifty_clients_over_two_servers_lose_and_duplicate_nothing(servers: list[LiveServer]) -> None:
    auditor = log_in(servers[0].url, "auditor")[0]
    before = all_entries(auditor)
    # Logged in one after the other: fifty logins of one person at once would be throttled.
    writers = [demo_writer(servers[i % 2].url) for i in range(CLIENTS)]
    with concurrent.futures.ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        written = [e for envelopes in pool.map(lambda i: write_through_both(i, writers[i], servers), range(CLIENTS))
                   for e in envelopes]
    on_a, on_b = all_entries(auditor), all_entries(on(auditor, servers[1]))
    assert on_a == on_b
    assert len(on_a) == len(before) + len(written) == len(before) + 3 * CLIENTS
    assert sorted(on_a[len(before):]) == sorted(written)
    assert len({parse_entry(e).header.entry_id for e in on_a}) == len(on_a)


def audit_log(session: HttpSession) -> list[dict]:
    records: list[dict] = []
    while True:
        page = session.request("GET", f"/api/v1/audit/log?after={len(records)}").json()
        records += page["records"]
        if not page["more"]:
            return records


def test_the_audit_chain_is_one_sequence_seen_alike_from_both_servers(servers: list[LiveServer]) -> None:
    auditor = log_in(servers[1].url, "auditor")[0]
    views = []
    for session in (auditor, on(auditor, servers[0])):
        records = audit_log(session)
        head = session.request("GET", "/api/v1/audit/head").json()
        key = Ed25519PublicKey.from_public_bytes(b64url_decode(head["audit_public_key"]))
        verified = verify_audit_head(b64url_decode(head["head"]), key)
        parsed = [parse_audit_record(b64url_decode(r["record"])) for r in records]
        check_audit_chain(parsed)
        assert [r.seq for r in parsed] == list(range(1, len(parsed) + 1))
        assert verified.count == len(parsed) and verified.last_hash == parsed[-1].hash
        views.append([r["hash"] for r in records])
    assert views[0][:len(views[1])] == views[1][:len(views[0])]


def test_a_session_opened_on_one_server_holds_and_ends_on_the_other(servers: list[LiveServer]) -> None:
    session = log_in(servers[0].url, "coordinator")[0]
    elsewhere = on(session, servers[1])
    assert elsewhere.request("GET", "/api/v1/me/keys").status == 200
    assert elsewhere.request("POST", "/api/v1/auth/logout").status in (200, 204)
    assert session.request("GET", "/api/v1/me/keys").status == 401


def test_a_sync_rate_limit_is_one_budget_over_both_servers(servers: list[LiveServer]) -> None:
    session = log_in(servers[0].url, "auditor")[0]
    sessions = [on(session, server) for server in servers]
    answers = [sessions[i % 2].request("GET", "/api/v1/sync/pull?cursor=0&limit=1").status
               for i in range(SYNC_PER_MINUTE + 10)]
    # The requests made above (login and pulls) of this minute are counted too: never more than
    # one budget passes, where a count per server would let through twice as many.
    assert answers.count(200) <= SYNC_PER_MINUTE and answers[-1] == 429
    assert answers.count(200) >= SYNC_PER_MINUTE - 20


def test_a_notes_canary_is_nowhere_in_postgresql_files_or_the_logs(servers: list[LiveServer],
                                                                   postgres: pg.PostgresServer) -> None:
    """Envelopes are ciphertext whatever the database: the note's words reach neither PostgreSQL's
    data folder (tables, WAL) nor either server's log (docs/OPERATIONS.md: the metadata does)."""
    canary = "CANARY-NOTE-" + secrets.token_hex(8)
    # The coordinator writes it: the volunteer's sync budget of this minute went to the fifty clients.
    writer = demo_writer(servers[0].url, "coordinator")
    _log, _key, envelopes = writer.new_case(f"Entretien : {canary}")
    assert {r["status"] for r in writer.push(envelopes)} == {"stored"}
    with psycopg.connect(postgres.url(), autocommit=True) as conn:
        conn.execute("CHECKPOINT")
    files = [path for path in postgres.data.rglob("*") if path.is_file()]
    assert any(path.parent.name == "pg_wal" for path in files)
    # The search reaches the stored rows: metadata, which PostgreSQL keeps in clear, is found.
    email = next(e for e, _n, role, _t, _p in DEMO_PEOPLE if role == "volunteer")
    assert any(email.encode() in path.read_bytes() for path in files)
    for path in [*files, *(server.log_path for server in servers)]:
        data = path.read_bytes()
        assert canary.encode() not in data and canary.encode("utf-16-le") not in data, path


def wrong_login(server: LiveServer, email: str) -> int:
    http = HttpSession(server.url)
    http.open_page()
    return http.post("/api/v1/auth/login", {"email": email, "auth": b64url_encode(b"\7" * 32)}).status


def test_failed_logins_count_together_on_both_servers(servers: list[LiveServer]) -> None:
    """Sixty wrong logins at once, half on each server: no more are evaluated than on one server
    (tests/test_server_process.py), where a count per server would evaluate twice as many.
    Last in this module: loopback's address is throttled after it."""
    email = next(e for e, _n, role, _t, _p in DEMO_PEOPLE if role == "admin")
    with concurrent.futures.ThreadPoolExecutor(max_workers=60) as pool:
        answers = list(pool.map(lambda i: wrong_login(servers[i % 2], email), range(60)))
    assert set(answers) <= {401, 429}
    assert 1 <= answers.count(401) <= MOST_EVALUATED, answers
