"""Profile the server's push path with pyinstrument: a real demo server's database, in process.

    .venv/bin/python bench/profile_push.py      # writes bench-results/push-profile.txt and .html

The HTTP layer is left out on purpose: what a profile of push shows is the verification and the
storage of entries, which is where ingest spends its time.
"""

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from pyinstrument import Profiler  # noqa: E402

from bench.servers import database_key, demo_server  # noqa: E402
from bench.workload import build_cases, in_rounds  # noqa: E402
from crypto.encoding import b64url_encode  # noqa: E402
from sync import cases  # noqa: E402
from sync.db import connect  # noqa: E402
from tests.sync_client import demo_writer  # noqa: E402


def main() -> None:
    out = ROOT / "bench-results"
    out.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as folder, demo_server(Path(folder)) as server:
        writer = demo_writer(server.url)
        batches = in_rounds(build_cases(writer, 50, 20), 200)
        conn = connect(server.instance / "carnet.db", database_key(server))
        caller = dict(conn.execute("SELECT * FROM users WHERE id = ?", (b64url_encode(writer.keys.user_id),))
                      .fetchone())
        profiler = Profiler(interval=0.0005)
        start = time.perf_counter()
        with profiler:
            for batch in batches:
                cases.push_entries(conn, caller, batch, int(time.time()))
        count = sum(len(b) for b in batches)
        print(f"{count} entries in {time.perf_counter() - start:.2f} s (profiled)")
        conn.close()
    (out / "push-profile.txt").write_text(profiler.output_text(unicode=False, color=False))
    (out / "push-profile.html").write_text(profiler.output_html())
    print(profiler.output_text(unicode=False, color=False)[:4000])


if __name__ == "__main__":
    main()
