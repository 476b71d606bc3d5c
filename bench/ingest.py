"""Sections 1 and 2: ingest and pull through the real HTTP API against the raw database of the same
kind (SQLCipher and PostgreSQL, one and two server workers), and growth."""

import concurrent.futures
import contextlib
import statistics
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bench.figures import Results, goal_at_least
from bench.servers import database_key, demo_server, pull_from
from bench.workload import (build_cases, entry_row, fill, in_rounds, mean_size, push_all, raw_database,
                            raw_insert, raw_read)
from sync import db
from sync.db import connect
from tests import postgres as pg
from tests.sync_client import DemoWriter, demo_writer

INGEST = "1. Server ingest"
GROWTH = "2. How it grows"
BATCH = 200  # the API's largest push batch


@dataclass(frozen=True)
class Rates:
    push: float
    pull: float
    raw_insert: float
    raw_read: float


@dataclass(frozen=True)
class Backend:
    """One configuration measured: a database and a number of server worker processes."""

    label: str
    workers: int
    postgres: pg.PostgresServer | None = None

    def server_env(self) -> dict[str, str]:
        env = {"CARNET_WORKERS": str(self.workers)}
        if self.postgres:
            env["CARNET_DATABASE_URL"] = self.postgres.create_database()
        return env

    def raw_database(self, work: Path) -> db.Connection:
        """A fresh database of the same kind, with the server's schema and settings."""
        if self.postgres is None:
            return raw_database(work)
        conn = db.open_database(db.DatabaseSettings(url=self.postgres.create_database()))
        db.migrate(conn)
        return conn


def measure_once(writers: list[DemoWriter], reader: DemoWriter, backend: Backend, work: Path, cases: int,
                 per_case: int) -> Rates:
    """Push fresh cases over HTTP (one client per worker, at once), pull them on another device,
    then the same rows raw into a database of the same kind."""
    batches, push_rate, pull_rate = pushed_and_pulled(writers, reader, cases, per_case)
    conn = backend.raw_database(work)
    rows = [[entry_row(raw, 0) for raw in batch] for batch in batches]
    insert_seconds = raw_insert(conn, rows)
    read_count, read_seconds = raw_read(conn, 0)
    conn.close()
    count = sum(len(b) for b in batches)
    return Rates(push_rate, pull_rate, count / insert_seconds, read_count / read_seconds)


def backends(postgres: pg.PostgresServer | None) -> list[Backend]:
    found = [Backend("SQLCipher, 1 worker", 1), Backend("SQLCipher, 2 workers", 2)]
    if postgres:
        found += [Backend("PostgreSQL, 1 worker", 1, postgres), Backend("PostgreSQL, 2 workers", 2, postgres)]
    return found


def run_ingest(results: Results, work: Path, *, cases: int, per_case: int, runs: int) -> None:
    with postgres_server() as postgres:
        for backend in backends(postgres):
            measure_backend(results, work, backend, cases=cases, per_case=per_case, runs=runs)


def measure_backend(results: Results, work: Path, backend: Backend, *, cases: int, per_case: int,
                    runs: int) -> None:
    with demo_server(work, **backend.server_env()) as server:
        writers = [demo_writer(server.url) for _ in range(backend.workers)]
        reader = demo_writer(server.url, "coordinator")
        measure_once(writers, reader, backend, work, 2, per_case)  # warm up imports and caches
        rates = [measure_once(writers, reader, backend, work, cases, per_case) for _ in range(runs)]
    entries = cases * per_case
    label = backend.label
    raw = "PostgreSQL" if backend.postgres else "SQLCipher"
    results.add(INGEST, f"{label}: push over HTTP, {entries} entries in batches of {BATCH}, "
                        f"{backend.workers} client(s) at once", "entries/s", [r.push for r in rates])
    results.add(INGEST, f"{label}: raw insert of the same rows into {raw}", "entries/s", [r.raw_insert for r in rates])
    results.add(INGEST, f"{label}: ingest ratio, push / raw insert", "ratio", [r.push / r.raw_insert for r in rates],
                **goal_at_least(0.25))
    results.add(INGEST, f"{label}: pull over HTTP (gzip), pages of 500", "entries/s", [r.pull for r in rates])
    results.add(INGEST, f"{label}: raw read of the same rows", "entries/s", [r.raw_read for r in rates])
    results.add(INGEST, f"{label}: pull ratio, pull / raw read", "ratio", [r.pull / r.raw_read for r in rates])


@contextlib.contextmanager
def postgres_server() -> Iterator[pg.PostgresServer | None]:
    """A PostgreSQL server with its durable defaults (fsync on), if PostgreSQL is installed."""
    if pg.binaries() is None:
        print("    (PostgreSQL is not installed: its configurations are skipped)", flush=True)
        yield None
        return
    server = pg.start_server(durable=True)
    try:
        yield server
    finally:
        server.stop()


def run_growth(results: Results, work: Path, *, sizes: list[int], sample_cases: int, per_case: int,
               runs: int) -> None:
    """At each database size, push and pull the same sample and weigh the database."""
    with demo_server(work) as server:
        writer, reader = demo_writer(server.url), demo_writer(server.url, "coordinator")
        conn = connect(server.instance / "carnet.db", database_key(server))
        envelope_size = mean_size(build_cases(writer, 2, per_case))
        held, first = 0, None
        for size in sizes:
            start = time.perf_counter()
            fill(conn, size - held, envelope_size)
            held = size
            # The filler's write-ahead log is folded in now, or the server's next commit would do it.
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            fill_seconds = time.perf_counter() - start
            samples = [sample_rates(writer, reader, sample_cases, per_case) for _ in range(runs)]
            held += runs * sample_cases * per_case
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            per_entry = (server.instance / "carnet.db").stat().st_size / held
            pushes, pulls = [r[0] for r in samples], [r[1] for r in samples]
            first = first or (statistics.median(pushes), statistics.median(pulls))
            label = f"at {size:,} entries"
            results.add(GROWTH, f"push {label}", "entries/s", pushes)
            results.add(GROWTH, f"push {label}, relative to the smallest size", "ratio", [p / first[0] for p in pushes])
            results.add(GROWTH, f"pull {label}", "entries/s", pulls)
            results.add(GROWTH, f"pull {label}, relative to the smallest size", "ratio", [p / first[1] for p in pulls])
            results.add(GROWTH, f"database bytes per entry {label} (envelope {envelope_size} B)", "bytes",
                        [per_entry])
            print(f"    (filled in {fill_seconds:.1f} s)", flush=True)
        conn.close()


def sample_rates(writer: DemoWriter, reader: DemoWriter, cases: int, per_case: int) -> tuple[float, float]:
    _batches, push_rate, pull_rate = pushed_and_pulled([writer], reader, cases, per_case)
    return push_rate, pull_rate


def pushed_and_pulled(writers: list[DemoWriter], reader: DemoWriter, cases: int,
                      per_case: int) -> tuple[list[list[bytes]], float, float]:
    """Fresh cases pushed over HTTP by each writer at once, and pulled by another device: the
    batches, and both rates."""
    shares = [in_rounds(build_cases(writer, cases // len(writers), per_case), BATCH) for writer in writers]
    batches = [batch for share in shares for batch in share]
    count = sum(len(b) for b in batches)
    cursor = latest_cursor(reader)
    start = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(writers)) as pool:
        list(pool.map(push_all, writers, shares))
    push_seconds = time.perf_counter() - start
    start = time.perf_counter()
    pulled, _ = pull_from(reader.http, cursor)
    pull_seconds = time.perf_counter() - start
    if len(pulled) != count:
        raise RuntimeError(f"pulled {len(pulled)} of {count} entries")
    return batches, count / push_seconds, count / pull_seconds


def latest_cursor(reader: DemoWriter) -> int:
    """Where a device that is up to date stands: past every entry it can see."""
    _, cursor = pull_from(reader.http, 0)
    return cursor
