"""The convergence state machine's long profile (tests/test_convergence.py), timed and recorded.

    .venv/bin/python -m bench.convergence [--profile long|ci] [--doc docs/BENCHMARKS.md] [--no-record]

Runs ``test_every_honest_device_converges`` with ``CARNET_CONVERGENCE_PROFILE`` set, prints the
settings it used, the verdict and the time, and writes them into docs/BENCHMARKS.md between the
``bench:convergence`` markers (a section appended the first time). Exits with pytest's status.
"""

import argparse
import os
import re
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.run import machine

ROOT = Path(__file__).resolve().parent.parent
TEST = "tests/test_convergence.py::test_every_honest_device_converges"
START, END = "<!-- bench:convergence -->", "<!-- /bench:convergence -->"
TITLE = "## 8. Convergence of devices (state machine)"
READING = """**Reading.** Each example is a fresh SQLCipher server and five devices (two volunteers, one
with a second device under a retention policy, two coordinators) driven by hypothesis through
writes, pushes, pulls, membership changes, rotations (on demand, scheduled, full with resumed
reseals), replays, retention, refused entries, damaged pulls and a hostile member; after every
step the invariants of tests/test_convergence.py hold, and every run ends with all devices
synced and agreeing with the server. CI runs the `ci` profile; this is the `long` one."""


def run(profile: str) -> tuple[int, str, float]:
    env = {**os.environ, "CARNET_CONVERGENCE_PROFILE": profile}
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "pytest", TEST, "-p", "no:cacheprovider", "-q", "--no-cov",
                           "-o", "addopts=", "-o", "timeout=0"], cwd=ROOT, env=env, capture_output=True, text=True)
    return done.returncode, done.stdout + done.stderr, time.monotonic() - started


def record(doc: Path, profile: str, status: int, output: str, seconds: float) -> str:
    settings = next((line.strip() for line in output.splitlines() if line.startswith("convergence: profile")),
                    f"profile {profile!r}")
    verdict = "no failing sequence found" if status == 0 else "**a failing sequence was found** (see the run's output)"
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    block = "\n".join([START, f"Run: `{profile}`, {stamp}, {machine()}.", "",
                       "| figure | value |", "| --- | --- |",
                       f"| settings | {settings.removeprefix('convergence: ')} |",
                       f"| verdict | {verdict} |",
                       f"| time | {seconds:,.0f} s |", END])
    text = doc.read_text()
    pattern = re.compile(re.escape(START) + ".*?" + re.escape(END), re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _m: block, text)
    else:
        text = text.rstrip("\n") + f"\n\n{TITLE}\n\n{block}\n\n{READING}\n"
    doc.write_text(text)
    return block


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="long", choices=["ci", "long"])
    parser.add_argument("--doc", default=str(ROOT / "docs" / "BENCHMARKS.md"))
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()
    status, output, seconds = run(args.profile)
    print(output[-4000:])
    print(f"convergence ({args.profile}): exit {status} in {seconds:,.0f} s")
    if not args.no_record:
        print(record(Path(args.doc), args.profile, status, output, seconds))
    return status


if __name__ == "__main__":
    sys.exit(main())
