"""Section 3: many clients syncing at once on loopback, for a bounded time; nothing may be lost."""

import statistics
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.figures import Results, goal_at_most
from bench.ingest import Backend, backends, postgres_server
from bench.servers import demo_server, pull_from
from bench.workload import NOTES
from tests.sync_client import DemoWriter, demo_writer

LOAD = "3. Server under load"
PER_PUSH = 5  # a device's sync after a few minutes of work: a handful of entries


@dataclass
class Client:
    writer: DemoWriter
    queued: list[bytes]
    cursor: int = 0
    pushed: list[bytes] = field(default_factory=list)
    push_ms: list[float] = field(default_factory=list)
    pull_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def prepare(url: str, clients: int, entries_each: int) -> list[Client]:
    """Each client is a device of its own: its own session and its own case, sealed ahead of time."""
    prepared = []
    for index in range(clients):
        writer = demo_writer(url)
        log, key, envelopes = writer.new_case(f"{NOTES} client {index}")
        envelopes += [writer.seal(log, key, f"{NOTES} client {index}, {n}") for n in range(entries_each - 2)]
        prepared.append(Client(writer, envelopes))
    return prepared


def sync_until(client: Client, deadline: float) -> None:
    """Push a few entries, pull what changed, again, until the time is up or the work is done."""
    try:
        while time.monotonic() < deadline and client.queued:
            batch, client.queued = client.queued[:PER_PUSH], client.queued[PER_PUSH:]
            start = time.perf_counter()
            results = client.writer.push(batch, timeout=120)
            client.push_ms.append((time.perf_counter() - start) * 1000)
            if any(r["status"] != "stored" for r in results):
                client.errors.append(repr(results[:2]))
                return
            client.pushed += batch
            start = time.perf_counter()
            _, client.cursor = pull_from(client.writer.http, client.cursor)
            client.pull_ms.append((time.perf_counter() - start) * 1000)
    except Exception as exc:  # noqa: BLE001 - counted as an error of this client
        client.errors.append(repr(exc))


def percentile(values: list[float], share: float) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[round(share * 100) - 1]


def run_load(results: Results, work: Path, *, clients: int, seconds: float) -> None:
    with postgres_server() as postgres:
        for backend in backends(postgres):
            if backend.label != "PostgreSQL, 1 worker":
                run_load_on(results, work, backend, clients=clients, seconds=seconds)


def run_load_on(results: Results, work: Path, backend: Backend, *, clients: int, seconds: float) -> None:
    with demo_server(work, **backend.server_env()) as server:
        prepared = prepare(server.url, clients, entries_each=max(20, int(seconds * 20)))
        for client in prepared:
            _, client.cursor = pull_from(client.writer.http, 0)
        deadline = time.monotonic() + seconds
        threads = [threading.Thread(target=sync_until, args=(c, deadline)) for c in prepared]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=seconds + 300)
        elapsed = time.perf_counter() - started
        back, _ = pull_from(demo_writer(server.url, "coordinator").http, 0)
    report(results, backend, prepared, back, clients, elapsed)


def report(results: Results, backend: Backend, prepared: list[Client], back: list[dict], clients: int,
           elapsed: float) -> None:
    from crypto.encoding import b64url_decode

    pushes = [ms for c in prepared for ms in c.push_ms]
    pulls = [ms for c in prepared for ms in c.pull_ms]
    pushed = [e for c in prepared for e in c.pushed]
    stored = [b64url_decode(e["envelope"]) for e in back]
    lost = len(set(pushed) - set(stored))
    doubled = len(stored) - len(set(stored))
    name = backend.label
    label = f"{clients} clients, {elapsed:.0f} s"
    p99_goal = goal_at_most(250) if backend.postgres is None else {}
    results.add(LOAD, f"{name}: push p50 ({label}, {PER_PUSH} entries a push)", "ms", [percentile(pushes, 0.5)])
    results.add(LOAD, f"{name}: push p99", "ms", [percentile(pushes, 0.99)], **p99_goal)
    results.add(LOAD, f"{name}: pull p50 (everything new since the client's cursor)", "ms", [percentile(pulls, 0.5)])
    results.add(LOAD, f"{name}: pull p99", "ms", [percentile(pulls, 0.99)])
    results.add(LOAD, f"{name}: syncs completed (one push and one pull)", "syncs", [len(pulls)])
    results.add(LOAD, f"{name}: entries stored", "entries/s", [len(pushed) / elapsed])
    results.add(LOAD, f"{name}: errors", "requests", [sum(len(c.errors) for c in prepared)], goal="0", at_most=0)
    results.add(LOAD, f"{name}: entries lost (pushed and confirmed, not pulled back)", "entries", [lost], goal="0",
                at_most=0)
    results.add(LOAD, f"{name}: entries stored twice", "entries", [doubled], goal="0", at_most=0)
