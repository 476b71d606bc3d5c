"""Sync against a real server process: many clients at once, and a server killed mid-push."""

import signal
import threading
import time
from pathlib import Path

import pytest

from crypto.entry import parse_entry

from tests.conftest import LiveServer, running_demo
from tests.sync_client import demo_writer

pytestmark = pytest.mark.slow


def test_twenty_clients_push_and_pull_at_once_and_every_entry_comes_back_once(tmp_path: Path) -> None:
    # Twenty clients of one demo account: the per-account rate limit is lifted for this server.
    with running_demo(tmp_path, CARNET_SYNC_REQUESTS_PER_MINUTE="1000000") as server:
        run_twenty_clients(server)


def run_twenty_clients(live_server: LiveServer) -> None:
    writers = [demo_writer(live_server.url) for _ in range(20)]
    pushed: list[bytes] = []
    errors: list[str] = []
    lock = threading.Lock()
    deadline = time.monotonic() + 8

    def work(index: int) -> None:
        writer = writers[index]
        log, key, envelopes = writer.new_case(f"client {index}")
        batch = envelopes
        try:
            while time.monotonic() < deadline:
                results = writer.push(batch)
                if any(r["status"] != "stored" for r in results):
                    errors.append(repr(results))
                    return
                with lock:
                    pushed.extend(batch)
                writer.pull_all()
                batch = [writer.seal(log, key, f"client {index} at {time.monotonic()}")]
        except Exception as exc:  # noqa: BLE001 - reported below with the others
            errors.append(repr(exc))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    back = demo_writer(live_server.url, "coordinator").pull_all()
    ours = [e for e in back if e in set(pushed)]
    assert len(ours) == len(pushed) == len(set(pushed))
    assert len({parse_entry(e).header.entry_id for e in ours}) == len(pushed)
    assert len(pushed) >= 40


def test_a_server_killed_in_the_middle_of_a_push_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    with running_demo(tmp_path) as server:
        writer = demo_writer(server.url)
        log, key, envelopes = writer.new_case("before the crash")
        batch = envelopes + [writer.seal(log, key, "x" * 150_000 + str(i)) for i in range(60)]
        interrupted = False
        for delay in (0.05, 0.1, 0.2, 0.4):
            outcome: list[object] = []
            thread = threading.Thread(target=lambda: outcome.append(push_or_error(writer, batch)))
            thread.start()
            time.sleep(delay)
            server.stop(signal.SIGKILL)
            thread.join(timeout=60)
            server.start()
            writer = demo_writer(server.url)  # sessions live in the database: a new login is only for the cookie
            if isinstance(outcome[0], Exception):
                interrupted = True
                break
        assert interrupted, "the kill never interrupted a push"
        results = writer.push(batch)
        assert {r["status"] for r in results} <= {"stored", "duplicate"}
        stored = [e for e in writer.pull_all() if e in set(batch)]
        assert sorted(stored) == sorted(batch)


def push_or_error(writer, batch):
    try:
        return writer.push(batch, timeout=30)
    except Exception as exc:  # noqa: BLE001 - the test looks at what happened
        return exc
