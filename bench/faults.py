"""Faults survived: the server killed at points of its write path, connections cut, the disk full,
restarts, on SQLCipher and on PostgreSQL, with nothing confirmed lost or stored twice.

    .venv/bin/python -m bench.faults --profile short|long [--seed N] [--backends sqlcipher,postgresql]
                                     [--doc docs/BENCHMARKS.md] [--no-record] [--break lose]

Everything runs on loopback: a real gunicorn server (a demo association, one worker) started
with ``CARNET_FAULT_POINTS`` naming a folder (sync/faults.py), a relay between the clients and
the server, and a few clients (devices of the demo volunteer) writing real signed entries into
their outbox and pushing them, and pulling, each retrying with exponential backoff and jitter.
Faults, one at a time, in an order drawn from the seed:

- ``kill:<point>``: the worker kills itself with SIGKILL on reaching the point (gunicorn starts a
  new one); ``restart:<point>``: the whole server (master and workers) dies there, and is started
  again. The points: before the entry insert, between an entry and its audit record, before the
  COMMIT, after it, after the push's answer is built and before it is sent.
- ``cut-request``, ``cut-answer``: the relay cuts a push's connection half-way through the request,
  or half-way through the answer (the push was stored; the client never heard).
- ``disk-full`` (SQLCipher): the worker's file-size limit (RLIMIT_FSIZE) drops to zero until a
  client is answered 507, then space returns.
- ``backup-kill``, ``rekey-kill`` (SQLCipher, between two rounds): ``flask backup`` or
  ``flask rekey`` is killed at a fault point of its audit record's transaction, or the rekey
  after its new key is staged and before ``PRAGMA rekey`` (the server stopped for the rekey), and
  the database must open afterwards with the key docs/OPERATIONS.md says.

After every fault, with the clients quiet: PRAGMA integrity_check (SQLCipher) or amcheck's
``bt_index_check`` on every index (PostgreSQL); the audit chain verifies, the signed head names
its last record, and each stored entry has its audit record; every entry a client saw confirmed
(``stored`` or ``duplicate``) is stored exactly once, with its bytes; every outbox drained. At the
end a fresh device pulls everything and verifies every case log. The run exits non-zero if any
of that fails, and prints its seed, so that a failure replays.
"""

import argparse
import collections
import contextlib
import http.client
import json
import os
import random
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey  # noqa: E402

from bench.run import machine  # noqa: E402
from crypto.acceptance import replay_stored_log  # noqa: E402
from crypto.audit import check_audit_chain, parse_audit_record, verify_audit_head  # noqa: E402
from crypto.encoding import b64url_decode, b64url_encode  # noqa: E402
from crypto.entry import parse_entry  # noqa: E402
from sync import db, faults  # noqa: E402
from sync.audit import ENTRY_ACTIONS  # noqa: E402
from tests import postgres as pg  # noqa: E402
from tests.conftest import LiveServer  # noqa: E402
from tests.http import HttpSession  # noqa: E402
from tests.ports import free_port  # noqa: E402
from tests.sync_client import DemoWriter, demo_writer, log_in  # noqa: E402

PROFILES = {"short": 25, "long": 500}  # faults per backend
CLIENTS = 3
BACKOFF_FIRST, BACKOFF_MOST = 0.05, 2.0
ROUND_SECONDS = 90
START, END = "<!-- bench:faults -->", "<!-- /bench:faults -->"
TITLE = "## 10. Faults survived (server killed, connections cut, disk full)"
ENTRY_ACTION_CODES = {int(action) for action in ENTRY_ACTIONS.values()}


# The relay ---------------------------------------------------------------------------------------

class Relay:
    """A TCP relay on loopback in front of the server; cuts the next push half-way when told."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.cut: str | None = None
        self.cut_done = threading.Event()
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def arm(self, where: str) -> None:
        with self._lock:
            self.cut_done.clear()
            self.cut = where

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _take_cut(self, first: bytes) -> str | None:
        if not first.startswith(b"POST /api/v1/sync/push"):
            return None
        with self._lock:
            where, self.cut = self.cut, None
        return where

    def _serve(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
        except OSError:
            client.close()  # the server is down: the client sees its connection end
            return
        with _cut(client), _cut(upstream):
            try:
                first = client.recv(65536)
                where = self._take_cut(first)
                if where == "request":
                    upstream.sendall(first[:len(first) // 2])
                    self.cut_done.set()
                    return
                upstream.sendall(first)
                pump = threading.Thread(target=_pump, args=(client, upstream), daemon=True)
                pump.start()
                if where == "answer":
                    answer = upstream.recv(65536)
                    client.sendall(answer[:len(answer) // 2])
                    self.cut_done.set()
                    return
                _pump(upstream, client)
            except OSError:
                return

    def close(self) -> None:
        self.listener.close()


@contextlib.contextmanager
def _cut(sock: socket.socket) -> Any:
    """Closed for sure on leaving: shutdown ends the connection even while another thread waits in
    recv on it (close alone would wait for that thread, and the peer would hear nothing)."""
    try:
        yield sock
    finally:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        sock.close()


def _pump(source: socket.socket, target: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            target.sendall(data)
    except OSError:
        pass
    with contextlib.suppress(OSError):
        target.shutdown(socket.SHUT_WR)


# The clients -------------------------------------------------------------------------------------

TRANSIENT = (OSError, http.client.HTTPException, json.JSONDecodeError)


@dataclass
class Client:
    """One device: an outbox of signed entries pushed until confirmed, with backoff between tries."""

    writer: DemoWriter
    rng: random.Random
    cases: list[Any] = field(default_factory=list)
    outbox: list[bytes] = field(default_factory=list)
    confirmed: dict[str, bytes] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    syncs: int = 0
    tries_failed: int = 0
    answers: collections.Counter = field(default_factory=collections.Counter)
    answers_total: collections.Counter = field(default_factory=collections.Counter)
    cursor: int = 0

    def write(self) -> None:
        if not self.cases or self.rng.random() < 0.3:
            log, key, envelopes = self.writer.new_case(f"intake {len(self.cases)}")
            self.cases.append((log, key))
            self.outbox += envelopes
        else:
            log, key = self.rng.choice(self.cases)
            self.outbox.append(self.writer.seal(log, key, f"note {self.rng.random()}"))

    def request(self, method: str, path: str, body: Any, deadline: float) -> Any:
        """One request, tried until it is answered 200: connection errors, 5xx, 507 and 429 are
        retried after a delay doubling from 50 ms to 2 s, with jitter (as a device retries)."""
        attempt = 0
        while time.monotonic() < deadline:
            try:
                response = self.writer.http.request(method, path, body, timeout=30)
                self.answers[response.status] += 1
                if response.status == 200:
                    return response.json()
                if response.status == 401:
                    self.errors.append(f"{path}: the session was lost")
                    return None
                if response.status < 429 or response.status == 501:
                    self.errors.append(f"{path}: answered {response.status} {response.body[:200]!r}")
                    return None
            except TRANSIENT:
                self.answers["connection"] += 1
            self.tries_failed += 1
            time.sleep(min(BACKOFF_MOST, BACKOFF_FIRST * 2 ** attempt) * self.rng.uniform(0.5, 1.0))
            attempt += 1
        self.errors.append(f"{path}: no answer within {ROUND_SECONDS} s")
        return None

    def push(self, deadline: float) -> None:
        while self.outbox:
            batch = list(self.outbox)
            answer = self.request("POST", "/api/v1/sync/push", {"entries": [b64url_encode(e) for e in batch]},
                                  deadline)
            if answer is None:
                return
            self.syncs += 1
            for raw, result in zip(batch, answer["results"], strict=True):
                if result["status"] in ("stored", "duplicate"):
                    self.confirmed[result["entry_id"]] = raw
                else:
                    self.errors.append(f"an entry was {result['status']}: {result.get('code')}")
                self.outbox.remove(raw)

    def pull(self, deadline: float) -> None:
        while True:
            page = self.request("GET", f"/api/v1/sync/pull?cursor={self.cursor}", None, deadline)
            if page is None:
                return
            self.syncs += 1
            self.cursor = page["next_cursor"]
            if not page["more"]:
                return

    def round(self) -> None:
        deadline = time.monotonic() + ROUND_SECONDS
        for _ in range(self.rng.randint(1, 2)):
            self.write()
        self.push(deadline)
        if self.rng.random() < 0.5:
            self.pull(deadline)


# The server and its database --------------------------------------------------------------------

@dataclass
class Target:
    """A server under faults: its process, its database, the relay in front of it."""

    backend: str
    work: Path
    server: LiveServer
    points: Path
    url: str | None = None  # PostgreSQL's
    relay: Relay | None = None

    @property
    def key(self) -> bytes:
        return bytes.fromhex(json.loads((self.server.instance / "secrets.json").read_text())["database_key"])

    @property
    def database(self) -> Path:
        return self.server.instance / "carnet.db"

    def workers(self) -> list[int]:
        assert self.server.process is not None
        pid = self.server.process.pid
        with contextlib.suppress(OSError):
            return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
        return []

    def alive(self) -> bool:
        return self.server.process is not None and self.server.process.poll() is None

    def start(self) -> None:
        self.server.start()

    def healthy(self) -> float:
        """Waits for the server to answer (a request queues in the listening socket's backlog until a
        worker accepts it); returns when it did."""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(*TRANSIENT):
                if HttpSession(self.server.url).request("GET", "/healthz", timeout=30).status == 200:
                    return time.monotonic()
            time.sleep(0.01)
        raise RuntimeError("the server did not come back")


def make_target(backend: str, work: Path, postgres: pg.PostgresServer | None) -> Target:
    folder = Path(tempfile.mkdtemp(prefix=f"faults-{backend}-", dir=work))
    points = folder / "points"
    points.mkdir()
    env = {faults.ENV: str(points), "CARNET_WORKERS": "1", "CARNET_THREADS": "8",
           "CARNET_SYNC_REQUESTS_PER_MINUTE": "100000000", "CARNET_ANONYMOUS_REQUESTS_PER_MINUTE": "100000000"}
    url = None
    if backend == "postgresql":
        assert postgres is not None
        url = env["CARNET_DATABASE_URL"] = postgres.create_database()
    server = LiveServer(instance=folder / "instance", port=free_port(), log_path=folder / "server.log",
                        extra_env=env)
    server.flask("init")
    server.flask("demo")
    return Target(backend, folder, server, points, url)


@contextlib.contextmanager
def reading(target: Target) -> Any:
    """A connection of the run's own to the database, for the checks."""
    if target.backend == "postgresql":
        assert target.url is not None
        conn = db.open_database(db.DatabaseSettings(url=target.url))
    else:
        conn = db.open_keyed(target.database, target.key)
    try:
        yield conn
    finally:
        conn.close()


def structure_failures(conn: Any) -> list[str]:
    """SQLite's integrity check, or amcheck's check of every B-tree index on PostgreSQL."""
    if conn.backend == "sqlcipher":
        found = [row[0] for row in conn.execute("PRAGMA integrity_check")]
        return [] if found == ["ok"] else found
    conn.execute("CREATE EXTENSION IF NOT EXISTS amcheck")
    rows = conn.execute("SELECT c.relname, bt_index_check(c.oid, true) IS NULL FROM pg_index i"
                        " JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam"
                        " JOIN pg_namespace n ON n.oid = c.relnamespace"
                        " WHERE a.amname = 'btree' AND n.nspname = current_schema()").fetchall()
    return [] if rows else ["no index was checked"]


# The run -----------------------------------------------------------------------------------------

KILL_POINTS = tuple(point for point in faults.POINTS if point != "before-rekey")


def kinds_for(backend: str) -> list[str]:
    kinds = [f"kill:{p}" for p in KILL_POINTS] + [f"restart:{p}" for p in KILL_POINTS[::2]]
    kinds += ["cut-request", "cut-answer"]
    if backend == "sqlcipher":
        kinds += ["disk-full", "backup-kill", "rekey-kill"]
    return kinds


@dataclass
class Tally:
    backend: str
    faults: collections.Counter = field(default_factory=collections.Counter)
    not_fired: collections.Counter = field(default_factory=collections.Counter)
    # Seconds from the fault to the server's first answer: "worker" when gunicorn replaced a killed
    # worker, "server" when the whole server was started again.
    recoveries: dict[str, list[float]] = field(default_factory=lambda: {"worker": [], "server": []})
    lost: set[str] = field(default_factory=set)
    twice: int = 0
    integrity_failures: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    syncs: int = 0
    confirmed: int = 0
    answers: collections.Counter = field(default_factory=collections.Counter)
    seconds: float = 0.0

    @property
    def failed(self) -> bool:
        return bool(self.lost or self.twice or self.integrity_failures or self.errors)


class Run:
    def __init__(self, target: Target, seed: int, broken: str | None) -> None:
        self.target = target
        self.rng = random.Random(seed)
        self.seed = seed
        self.broken = broken
        self.tally = Tally(target.backend)
        self.clients: list[Client] = []
        self.audit_key: Ed25519PublicKey | None = None
        self.auditor: HttpSession | None = None

    # setting up ---------------------------------------------------------------------------------

    def begin(self) -> None:
        self.target.start()
        self.target.relay = Relay(self.target.server.port)
        self.auditor = log_in(self.target.server.url, "auditor")[0]
        for index in range(CLIENTS):
            writer = demo_writer(self.target.relay.url)
            self.clients.append(Client(writer, random.Random(self.seed * 1000 + index)))

    def end(self) -> None:
        self.target.server.stop(signal.SIGKILL)
        if self.target.relay:
            self.target.relay.close()

    # faults -------------------------------------------------------------------------------------

    def clients_round(self) -> None:
        threads = [threading.Thread(target=client.round, daemon=True) for client in self.clients]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    def arm(self, point: str, action: str, folder: Path | None = None) -> Path:
        for old in (folder or self.target.points).glob("*.fired"):
            old.unlink()
        trigger = (folder or self.target.points) / point
        trigger.write_text(action)
        return trigger.with_name(point + ".fired")

    def kill_at(self, point: str, whole_server: bool) -> bool:
        fired = self.arm(point, "kill-server" if whole_server else "kill")
        recovered: list[float] = []
        watcher = threading.Thread(target=self.watch_recovery, args=(fired, whole_server, recovered))
        watcher.start()
        for _ in range(5):
            self.clients_round()
            if fired.exists():
                break
        if not fired.exists():
            (self.target.points / point).unlink(missing_ok=True)
        watcher.join()
        self.tally.recoveries["server" if whole_server else "worker"] += recovered
        return fired.exists()

    def watch_recovery(self, fired: Path, whole_server: bool, recovered: list[float]) -> None:
        """From the moment the point fired to the first answer of the server (restarted first when
        the whole server died): the time to recover."""
        deadline = time.monotonic() + 5 * ROUND_SECONDS
        trigger = self.target.points / fired.stem
        # The point renames the trigger to the fired file: one of the two always exists, unless the
        # run disarmed the point. The trigger is looked at first, the fired file then.
        while not fired.exists():
            if time.monotonic() > deadline or (not trigger.exists() and not fired.exists()):
                return
            time.sleep(0.002)
        started = time.monotonic()
        if whole_server:
            assert self.target.server.process is not None
            self.target.server.process.wait(timeout=30)
            self.target.server.process = None
            self.target.start()
        recovered.append(self.target.healthy() - started)

    def cut(self, where: str) -> bool:
        assert self.target.relay is not None
        self.target.relay.arm(where)
        for _ in range(5):
            self.clients_round()
            if self.target.relay.cut_done.is_set():
                return True
        self.target.relay.cut = None
        return False

    def disk_full(self) -> bool:
        """Every worker's file-size limit to zero until a client is answered 507, then back."""
        workers = self.target.workers()
        limits = {pid: resource.prlimit(pid, resource.RLIMIT_FSIZE) for pid in workers}
        for pid, (_soft, hard) in limits.items():
            resource.prlimit(pid, resource.RLIMIT_FSIZE, (0, hard))
        round_thread = threading.Thread(target=self.clients_round)
        round_thread.start()
        deadline = time.monotonic() + ROUND_SECONDS
        # The clients' answers are counted from the last check on, so any 507 (or 500) is this episode's.
        while not sum(client.answers[507] + client.answers[500] for client in self.clients) \
                and time.monotonic() < deadline:
            time.sleep(0.005)
        for pid, limit in limits.items():
            with contextlib.suppress(ProcessLookupError):
                resource.prlimit(pid, resource.RLIMIT_FSIZE, limit)
        round_thread.join()
        return sum(client.answers[507] for client in self.clients) > 0

    def command_killed(self, command: str) -> bool:
        """``flask backup`` or ``flask rekey`` killed at a fault point of its audit record's transaction;
        the database must then open with the key docs/OPERATIONS.md names."""
        folder = self.target.work / "command-points"
        folder.mkdir(exist_ok=True)
        point = self.rng.choice(["before-audit-record", "before-commit", "after-commit"]
                                + (["before-rekey"] if command == "rekey" else []))
        fired = self.arm(point, "kill", folder)
        instance = self.target.server.instance
        if command == "rekey":
            self.target.server.stop()
        args = ["backup", str(self.target.work / f"backup-{time.monotonic_ns()}.db")] if command == "backup" \
            else ["rekey"]
        env = {**self.target.server.env(), faults.ENV: str(folder)}
        done = subprocess.run([sys.executable, "-m", "flask", "--app", "webapp", *args], env=env, cwd=ROOT,
                              capture_output=True, text=True)
        (folder / point).unlink(missing_ok=True)
        if done.returncode != -signal.SIGKILL or not fired.exists():
            self.tally.errors.append(f"{command} was not killed at {point}: {done.returncode} {done.stderr[-300:]}")
            return False
        staged = instance / "secrets.json.new"
        if command == "rekey":
            # docs/OPERATIONS.md: stopped before the rekey, the database opens with the key of
            # secrets.json; after it (and before the rename), with the one in secrets.json.new.
            rekeyed = point != "before-rekey"
            key = bytes.fromhex(json.loads(staged.read_text())["database_key"]) if rekeyed else self.target.key
            if not self.opens_with(key):
                self.tally.integrity_failures.append(f"rekey killed at {point}: the documented key does not open it")
            if rekeyed:
                os.replace(staged, instance / "secrets.json")
            else:
                staged.unlink()
            started = time.monotonic()
            self.target.start()
            self.tally.recoveries["server"].append(self.target.healthy() - started)
        elif not self.opens_with(self.target.key):
            self.tally.integrity_failures.append(f"backup killed at {point}: secrets.json does not open it")
        return True

    def opens_with(self, key: bytes) -> bool:
        try:
            db.open_keyed(self.target.database, key).close()
        except db.WrongDatabaseKey:
            return False
        return True

    def lose(self) -> bool:
        """The deliberately broken point: a push answered "stored" whose entries were dropped."""
        fired = self.arm("before-entry-insert", "lose")
        for _ in range(5):
            self.clients_round()
            if fired.exists():
                return True
        return False

    def one_fault(self, kind: str) -> None:
        if kind.startswith(("kill:", "restart:")):
            fired = self.kill_at(kind.split(":", 1)[1], kind.startswith("restart:"))
        elif kind.startswith("cut-"):
            fired = self.cut(kind.removeprefix("cut-"))
        elif kind == "disk-full":
            fired = self.disk_full()
        elif kind == "lose":
            fired = self.lose()
        else:
            fired = self.command_killed(kind.removesuffix("-kill"))
        (self.tally.faults if fired else self.tally.not_fired)[kind] += 1
        # The clients go on after the fault: a round on the recovered server.
        self.clients_round()
        self.check(kind)

    # checks -------------------------------------------------------------------------------------

    def check(self, after: str) -> None:
        """With the clients quiet: the database's structure, the audit chain and its signed head,
        each confirmed entry stored once with its bytes, every outbox drained."""
        confirmed = {entry_id: raw for client in self.clients for entry_id, raw in client.confirmed.items()}
        with reading(self.target) as conn:
            failures = structure_failures(conn)
            stored = collections.defaultdict(list)
            for row in conn.execute("SELECT entry_id, envelope FROM entries"):
                stored[row[0]].append(bytes(row[1]))
            records = [parse_audit_record(bytes(row[0])) for row in
                       conn.execute("SELECT record FROM audit_log ORDER BY seq")]
        self.tally.integrity_failures += [f"after {after}: {failure}" for failure in failures]
        self.tally.lost |= {entry_id for entry_id, raw in confirmed.items() if stored.get(entry_id) != [raw]
                            and len(stored.get(entry_id, [])) < 2}
        self.tally.twice = sum(1 for copies in stored.values() if len(copies) > 1)
        try:
            check_audit_chain(records)
            self.check_head(records)
        except Exception as exc:  # noqa: BLE001 - any failure of the chain or head is the finding
            self.tally.integrity_failures.append(f"after {after}: audit {type(exc).__name__}: {exc}")
        recorded = sum(1 for r in records if int(r.action) in ENTRY_ACTION_CODES)
        if recorded != sum(len(copies) for copies in stored.values()):
            self.tally.integrity_failures.append(f"after {after}: {recorded} entry records for "
                                                 f"{sum(len(c) for c in stored.values())} entries")
        untyped = sum(client.answers[500] for client in self.clients)
        if untyped:
            self.tally.errors.append(f"after {after}: {untyped} answers 500 (a fault must be answered as such)")
        for client in self.clients:
            client.answers_total.update(client.answers)
            client.answers.clear()
            if client.outbox:
                self.tally.errors.append(f"after {after}: an outbox kept {len(client.outbox)} entries")
            self.tally.errors += [f"after {after}: {error}" for error in client.errors]
            client.errors.clear()

    def check_head(self, records: list[Any]) -> None:
        assert self.auditor is not None
        answer = self.auditor.request("GET", "/api/v1/audit/head").json()
        key = Ed25519PublicKey.from_public_bytes(b64url_decode(answer["audit_public_key"]))
        self.audit_key = self.audit_key or key
        head = verify_audit_head(b64url_decode(answer["head"]), self.audit_key)
        if head.count != len(records) or head.last_hash != records[-1].hash:
            raise ValueError(f"the signed head names {head.count} records, the log holds {len(records)}")

    def final_pull(self) -> None:
        """A fresh device pulls everything and verifies every case log; it holds every confirmed entry."""
        session = log_in(self.target.server.url, "coordinator")[0]
        association = Ed25519PublicKey.from_public_bytes(
            b64url_decode(session.request("GET", "/api/v1/association").json()["public_key"]))
        pulled = DemoWriter(session, None, association, []).pull_all()  # type: ignore[arg-type]
        by_case: dict[bytes, list[bytes]] = collections.defaultdict(list)
        for raw in pulled:
            by_case[parse_entry(raw).header.case_id].append(raw)
        for case_id, envelopes in by_case.items():
            _log, broken = replay_stored_log(case_id, envelopes, association)
            if broken is not None:
                self.tally.integrity_failures.append(f"case {b64url_encode(case_id)}: {type(broken).__name__}")
        held = set(pulled)
        self.tally.lost |= {entry_id for client in self.clients for entry_id, raw in client.confirmed.items()
                            if raw not in held}

    def finish(self) -> None:
        for client in self.clients:
            self.tally.syncs += client.syncs
            self.tally.confirmed += len(client.confirmed)
            self.tally.answers.update(client.answers_total + client.answers)


def run_backend(backend: str, count: int, seed: int, work: Path, broken: str | None,
                postgres: pg.PostgresServer | None, only: list[str] | None = None) -> Tally:
    target = make_target(backend, work, postgres)
    run = Run(target, seed, broken)
    started = time.monotonic()
    kinds = [kind for kind in kinds_for(backend) if not only or kind in only]
    run.begin()
    try:
        for index in range(count):
            kind = "lose" if broken and index == count // 2 else run.rng.choice(kinds)
            run.one_fault(kind)
            print(f"  {backend} fault {index + 1}/{count} at {time.monotonic() - started:.1f} s: {kind}"
                  f"{' FAILED' if run.tally.failed else ''}", flush=True)
            if run.tally.failed:
                break  # what follows a failure proves nothing more; the seed replays it
        run.final_pull()
    finally:
        run.finish()
        run.end()
    run.tally.seconds = time.monotonic() - started
    return run.tally


# Figures -----------------------------------------------------------------------------------------

def percentile(values: list[float], fraction: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def summary(tally: Tally) -> dict[str, Any]:
    return {"backend": tally.backend, "faults": sum(tally.faults.values()),
            "faults_by_kind": dict(sorted(tally.faults.items())), "not_fired": dict(tally.not_fired),
            "syncs": tally.syncs, "entries_confirmed": tally.confirmed, "entries_lost": len(tally.lost),
            "stored_twice": tally.twice, "integrity_failures": len(tally.integrity_failures),
            "errors": len(tally.errors), "answers": {str(k): v for k, v in tally.answers.items()},
            **{f"recover_{who}_{name}_s": percentile(tally.recoveries[who], fraction)
               for who in ("worker", "server") for name, fraction in (("median", 0.5), ("p99", 0.99))},
            "recoveries": {who: len(times) for who, times in tally.recoveries.items()},
            "seconds": round(tally.seconds, 1),
            "first_failures": (tally.integrity_failures + tally.errors)[:10]}


def print_summary(figures: dict[str, Any]) -> None:
    for key, value in figures.items():
        print(f"  {key}: {value}")


def fmt_seconds(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f} s"


def record(doc: Path, profile: str, seed: int, results: list[dict[str, Any]]) -> str:
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    kinds = sorted({kind for r in results for kind in r["faults_by_kind"]})
    lines = [START, f"Run: `--profile {profile} --seed {seed}`, {stamp}, {machine()}.", "",
             "| figure | " + " | ".join(r["backend"] for r in results) + " |",
             "| --- |" + " --- |" * len(results)]

    def row(name: str, values: list[Any]) -> None:
        lines.append(f"| {name} | " + " | ".join(str(v) for v in values) + " |")

    row("faults (all kinds)", [r["faults"] for r in results])
    for kind in kinds:
        row(f"faults: `{kind}`", [r["faults_by_kind"].get(kind, 0) for r in results])
    row("syncs completed (pushes and pulls answered)", [f"{r['syncs']:,}" for r in results])
    row("entries confirmed to a client", [f"{r['entries_confirmed']:,}" for r in results])
    row("entries lost (goal 0)", [r["entries_lost"] for r in results])
    row("entries stored twice (goal 0)", [r["stored_twice"] for r in results])
    row("integrity failures (goal 0)", [r["integrity_failures"] for r in results])
    row("other failures (outbox not drained, entry refused)", [r["errors"] for r in results])
    row("answers 507 (disk full) seen by clients", [r["answers"].get("507", 0) for r in results])
    row("requests cut or refused (retried)", [r["answers"].get("connection", 0) for r in results])
    for who, what in (("worker", "a worker killed (gunicorn starts another)"),
                      ("server", "the whole server killed or stopped, then started")):
        row(f"time to recover after {what}: median", [fmt_seconds(r[f"recover_{who}_median_s"]) for r in results])
        row(f"time to recover after {what}: p99", [fmt_seconds(r[f"recover_{who}_p99_s"]) for r in results])
    row("run time", [f"{r['seconds']:,.0f} s" for r in results])
    row("verdict", ["failed: " + "; ".join(r["first_failures"][:2]) if r["first_failures"] or r["entries_lost"]
                    or r["stored_twice"] else "passed" for r in results])
    lines.append(END)
    block = "\n".join(lines)
    text = doc.read_text()
    pattern = re.compile(re.escape(START) + ".*?" + re.escape(END), re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _m: block, text)
    else:
        text = text.rstrip("\n") + f"\n\n{TITLE}\n\n{block}\n"
    doc.write_text(text)
    return block


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="short", choices=sorted(PROFILES))
    parser.add_argument("--faults", type=int, help="faults per backend (instead of the profile's)")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--backends", default="sqlcipher,postgresql")
    parser.add_argument("--doc", default=str(ROOT / "docs" / "BENCHMARKS.md"))
    parser.add_argument("--no-record", action="store_true")
    parser.add_argument("--json", help="write the figures to this file")
    parser.add_argument("--keep", action="store_true", help="keep the servers' folders and logs")
    parser.add_argument("--kinds", help="only these kinds of fault, comma-separated")
    parser.add_argument("--break", dest="broken", choices=["lose"], help="arm the deliberately broken point")
    args = parser.parse_args(argv)
    # Stopped with SIGTERM, the run still stops its servers and removes its folders.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**31)
    count = args.faults or PROFILES[args.profile]
    print(f"faults: profile {args.profile}, {count} faults per backend, seed {seed}", flush=True)
    work = Path(tempfile.mkdtemp(prefix="carnet-faults-"))
    results, postgres = [], None
    try:
        for backend in args.backends.split(","):
            if backend == "postgresql":
                postgres = pg.start_server()
            tally = run_backend(backend, count, seed, work, args.broken, postgres,
                                args.kinds.split(",") if args.kinds else None)
            results.append(summary(tally))
            print(f"faults on {backend}:")
            print_summary(results[-1])
    finally:
        if postgres is not None:
            postgres.stop()
        if args.keep:
            print(f"faults: the servers' folders are in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    if args.json:
        Path(args.json).write_text(json.dumps({"seed": seed, "results": results}, indent=2))
    failed = any(r["entries_lost"] or r["stored_twice"] or r["integrity_failures"] or r["errors"] for r in results)
    if not args.no_record:
        print(record(Path(args.doc), args.profile, seed, results))
    print(f"faults: {'FAILED' if failed else 'passed'} (seed {seed})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
