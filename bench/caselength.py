"""Section 9: what one push costs on a short case and on a long one, on the same server in one run.

    .venv/bin/python bench/run.py --only caselength

On each database (SQLCipher, and PostgreSQL when installed; one server worker), a short case
(10 entries) and a long one (1,000) are stored first; then single-entry pushes go to each in
turn, over HTTP and in process (``sync.cases.push_entries`` on the server's database, without
HTTP, where a cost that grew with the case would show most). Their medians and the ratio
long / short are the figures; replaying the long case, what every push did before the server
kept each case's frontier, is measured beside them.
"""

import statistics
import time
from pathlib import Path

from bench.figures import Results, goal_at_most
from bench.ingest import Backend, postgres_server
from bench.servers import database_key, demo_server
from bench.workload import NOTES, chunks, push_all
from crypto.caselog import CaseLog
from crypto.encoding import b64url_encode
from sync import cases, db
from tests.conftest import LiveServer
from tests.sync_client import DemoWriter, demo_writer

CASE_LENGTH = "9. Push cost at any case length"


def grown_case(writer: DemoWriter, length: int) -> tuple[CaseLog, bytes]:
    """A case of ``length`` entries, stored through the API; its log and key to write more."""
    log, key, envelopes = writer.new_case(NOTES)
    envelopes += [writer.seal(log, key, f"{NOTES} {n}") for n in range(length - len(envelopes))]
    push_all(writer, chunks(envelopes, 200))
    return log, key


def timed(push: object) -> float:
    start = time.perf_counter()
    push()  # type: ignore[operator]
    return time.perf_counter() - start


def run_caselength(results: Results, work: Path, *, lengths: tuple[int, int], pushes: int) -> None:
    with postgres_server() as postgres:
        for backend in [Backend("SQLCipher", 1)] + ([Backend("PostgreSQL", 1, postgres)] if postgres else []):
            measure_backend(results, work, backend, lengths=lengths, pushes=pushes)


def server_database(server: LiveServer, url: str | None) -> db.Connection:
    """A connection of its own to the database the server uses."""
    if url:
        return db.open_database(db.DatabaseSettings(url=url))
    return db.connect(server.instance / "carnet.db", database_key(server))


def measure_backend(results: Results, work: Path, backend: Backend, *, lengths: tuple[int, int],
                    pushes: int) -> None:
    short, long = lengths
    env = backend.server_env()
    with demo_server(work, **env) as server:
        writer = demo_writer(server.url)
        logs = {length: grown_case(writer, length) for length in lengths}
        conn = server_database(server, env.get("CARNET_DATABASE_URL"))
        caller = dict(conn.execute("SELECT * FROM users WHERE id = ?", (b64url_encode(writer.keys.user_id),))
                      .fetchone())
        http: dict[int, list[float]] = {length: [] for length in lengths}
        local: dict[int, list[float]] = {length: [] for length in lengths}

        def over_http(length: int) -> None:
            log, key = logs[length]
            envelope = writer.seal(log, key, NOTES)
            http[length].append(timed(lambda: push_all(writer, [[envelope]])))

        def in_process(length: int) -> None:
            log, key = logs[length]
            envelope = writer.seal(log, key, NOTES)
            seconds = timed(lambda: check_stored(cases.push_entries(conn, caller, [envelope], int(time.time()))))
            local[length].append(seconds)

        for length in lengths:  # warm up both paths
            over_http(length)
            in_process(length)
        for length in lengths:
            http[length].clear()
            local[length].clear()
        for _ in range(pushes):
            for length in lengths:
                over_http(length)
                in_process(length)
        key = cases.association_key(conn)
        case_id = logs[long][0].case_id
        replays = [timed(lambda: cases.load_log(conn, case_id, key)) for _ in range(3)]
        conn.close()
    add_lengths(results, f"over HTTP, {backend.label}", http, short, long)
    add_lengths(results, f"in process, {backend.label}", local, short, long)
    results.add(CASE_LENGTH, f"replaying the {long:,}-entry case, {backend.label} (what each push to it cost before)",
                "ms", [s * 1000 for s in replays])


def add_lengths(results: Results, how: str, seconds: dict[int, list[float]], short: int, long: int) -> None:
    for length in (short, long):
        results.add(CASE_LENGTH, f"push of one entry {how}, case of {length:,} entries (p50, {len(seconds[length])} "
                    "pushes)", "ms", [statistics.median(seconds[length]) * 1000])
    ratio = statistics.median(seconds[long]) / statistics.median(seconds[short])
    results.add(CASE_LENGTH, f"ratio {how}: {long:,} / {short:,} entries", "ratio", [ratio], **goal_at_most(1.2))


def check_stored(pushed: list[cases.PushResult]) -> None:
    if any(result.status != "stored" for result in pushed):
        raise RuntimeError(f"push refused: {pushed}")
