"""Sections 1 and 2: ingest and pull through the real HTTP API against raw SQLCipher, and growth."""

import statistics
import time
from dataclasses import dataclass
from pathlib import Path

from bench.figures import Results, goal_at_least
from bench.servers import database_key, demo_server, pull_from
from bench.workload import (build_cases, entry_row, fill, in_rounds, mean_size, push_all, raw_database,
                            raw_insert, raw_read)
from sync.db import connect
from tests.conftest import LiveServer
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


def measure_once(server: LiveServer, writer: DemoWriter, reader: DemoWriter, work: Path, cases: int,
                 per_case: int) -> Rates:
    """Push fresh cases over HTTP, pull them on another device, then the same rows raw."""
    batches, push_rate, pull_rate = pushed_and_pulled(writer, reader, cases, per_case)
    conn = raw_database(work)
    rows = [[entry_row(raw, 0) for raw in batch] for batch in batches]
    insert_seconds = raw_insert(conn, rows)
    read_count, read_seconds = raw_read(conn, 0)
    conn.close()
    count = sum(len(b) for b in batches)
    return Rates(push_rate, pull_rate, count / insert_seconds, read_count / read_seconds)


def run_ingest(results: Results, work: Path, *, cases: int, per_case: int, runs: int) -> None:
    with demo_server(work) as server:
        writer, reader = demo_writer(server.url), demo_writer(server.url, "coordinator")
        measure_once(server, writer, reader, work, 2, per_case)  # warm up imports and caches
        rates = [measure_once(server, writer, reader, work, cases, per_case) for _ in range(runs)]
    entries = cases * per_case
    results.add(INGEST, f"push over HTTP, {entries} entries in batches of {BATCH}", "entries/s", [r.push for r in rates])
    results.add(INGEST, "raw insert of the same rows into SQLCipher", "entries/s", [r.raw_insert for r in rates])
    results.add(INGEST, "ingest ratio: push / raw insert", "ratio", [r.push / r.raw_insert for r in rates],
                **goal_at_least(0.25))
    results.add(INGEST, "pull over HTTP (gzip), pages of 500", "entries/s", [r.pull for r in rates])
    results.add(INGEST, "raw read of the same rows", "entries/s", [r.raw_read for r in rates])
    results.add(INGEST, "pull ratio: pull / raw read", "ratio", [r.pull / r.raw_read for r in rates])


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
    _batches, push_rate, pull_rate = pushed_and_pulled(writer, reader, cases, per_case)
    return push_rate, pull_rate


def pushed_and_pulled(writer: DemoWriter, reader: DemoWriter, cases: int,
                      per_case: int) -> tuple[list[list[bytes]], float, float]:
    """Fresh cases pushed over HTTP and pulled by another device: the batches, and both rates."""
    batches = in_rounds(build_cases(writer, cases, per_case), BATCH)
    count = sum(len(b) for b in batches)
    cursor = latest_cursor(reader)
    push_seconds = push_all(writer, batches)
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
