"""Run the benchmarks, print every figure, write docs/BENCHMARKS.md and the raw figures as JSON.

    .venv/bin/python bench/run.py            # the full run (under 30 minutes on 2 cores)
    .venv/bin/python bench/run.py --quick    # a short run (under 5 minutes)
    .venv/bin/python bench/run.py --tiny --doc none   # the harness check the tests run
"""

import argparse
import json
import platform
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import caselength, dashboard, guess, ingest, lighthouse, load, phone, report, rotation, wire  # noqa: E402
from bench.figures import Results  # noqa: E402


@dataclass(frozen=True)
class Size:
    """How much work each section does; the three sizes differ only in these numbers."""

    name: str
    runs: int
    ingest_cases: int
    per_case: int
    growth: list[int]
    growth_cases: int
    load_clients: int
    load_seconds: float
    wire_entries: int
    rotation_entries: list[int]
    rotation_members: int
    phone_cases: list[int]
    phone_runs: int
    day: tuple[int, int] = (20, 5)
    dashboard_cases: int = 2_000
    case_lengths: tuple[int, int] = (10, 1_000)
    length_pushes: int = 60
    # Lighthouse runs per page; none in the tiny run, which checks the harness without Node.js.
    lighthouse_runs: int = 1


SIZES = {
    "tiny": Size("tiny", 1, 4, 10, [100, 1_000], 2, 4, 2, 40, [10, 20], 4, [20], 1, (2, 1), dashboard_cases=20,
                 case_lengths=(10, 50), length_pushes=3, lighthouse_runs=0),
    "quick": Size("quick", 3, 50, 20, [1_000, 10_000, 100_000], 10, 50, 8, 500, [100, 1_000], 20, [1_000], 3,
                  dashboard_cases=500),
    "full": Size("full", 5, 150, 20, [1_000, 10_000, 100_000, 1_000_000], 20, 50, 30, 2_000, [100, 1_000], 20,
                 [1_000, 10_000], 5, lighthouse_runs=3),
}
SECTIONS = ("ingest", "growth", "load", "wire", "phone", "rotation", "dashboard", "caselength", "lighthouse", "guess")
SECTION_TITLES = {"ingest": ingest.INGEST, "growth": ingest.GROWTH, "load": load.LOAD, "wire": wire.WIRE,
                  "phone": phone.PHONE_SECTION, "rotation": rotation.ROTATION, "dashboard": dashboard.DASHBOARD,
                  "caselength": caselength.CASE_LENGTH, "lighthouse": lighthouse.LIGHTHOUSE, "guess": guess.GUESS}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a short run, under 5 minutes")
    parser.add_argument("--tiny", action="store_true", help="the smallest run: checks the harness, not the figures")
    parser.add_argument("--only", nargs="*", choices=SECTIONS, help="run only these sections")
    parser.add_argument("--out", type=Path, default=ROOT / "bench-results", help="folder for the JSON figures")
    parser.add_argument("--doc", default=str(ROOT / "docs" / "BENCHMARKS.md"),
                        help="the report to update, or 'none'")
    args = parser.parse_args(argv)
    size = SIZES["tiny" if args.tiny else "quick" if args.quick else "full"]
    results = run(size, args.only or SECTIONS, args.out)
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    args.out.mkdir(parents=True, exist_ok=True)
    document = {"size": size.name, "date": stamp, "machine": machine(),
                "figures": [f.to_json() for f in results.figures]}
    path = args.out / f"bench-{size.name}.json"
    path.write_text(json.dumps(document, indent=1))
    print(f"figures written to {path}")
    if args.doc != "none":
        report.update(Path(args.doc), results, size.name, stamp, machine())
        print(f"report written to {args.doc}")
    if results.failed:
        print("failed sections: " + ", ".join(results.failed))
    return 1 if results.failed else 0


def run(size: Size, sections: tuple[str, ...] | list[str], out: Path) -> Results:
    results = Results()
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="carnet-bench-") as folder:
        work = Path(folder)
        steps = {
            "ingest": lambda: ingest.run_ingest(results, work, cases=size.ingest_cases, per_case=size.per_case,
                                                runs=size.runs),
            "growth": lambda: ingest.run_growth(results, work, sizes=size.growth, sample_cases=size.growth_cases,
                                                per_case=size.per_case, runs=size.runs),
            "load": lambda: load.run_load(results, work, clients=size.load_clients, seconds=size.load_seconds),
            "wire": lambda: wire.run_wire(results, work, entries=size.wire_entries, runs=size.runs),
            "phone": lambda: phone.run_phone(results, work, cases=size.phone_cases, runs=size.phone_runs,
                                            day=size.day),
            "rotation": lambda: rotation.run_rotation(results, entries=size.rotation_entries,
                                                      members=size.rotation_members, runs=size.runs),
            "dashboard": lambda: dashboard.run_dashboard(results, work, cases=size.dashboard_cases,
                                                         runs=size.phone_runs),
            "caselength": lambda: caselength.run_caselength(results, work, lengths=size.case_lengths,
                                                            pushes=size.length_pushes),
            "lighthouse": lambda: lighthouse.run_lighthouse(results, work, runs=size.lighthouse_runs),
            "guess": lambda: guess.run_guess(results, runs=size.runs),
        }
        for name in SECTIONS:
            if name == "lighthouse" and not size.lighthouse_runs:
                continue
            if name in sections:
                started = time.perf_counter()
                print(f"== {name}", flush=True)
                try:
                    steps[name]()
                except Exception as exc:  # noqa: BLE001 - one broken section must not lose the others' figures
                    traceback.print_exc()
                    results.failed.append(name)
                    results.read(SECTION_TITLES[name], f"This section failed in this run: `{exc!r}`."[:600])
                print(f"   ({time.perf_counter() - started:.0f} s)", flush=True)
    return results


def machine() -> str:
    cores = len(__import__("os").sched_getaffinity(0))
    memory = ""
    try:
        total = next(line for line in open("/proc/meminfo") if line.startswith("MemTotal"))
        memory = f", {int(total.split()[1]) // 1024 // 1024} GiB"
    except (OSError, StopIteration):
        pass
    cpu = platform.processor() or platform.machine()
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{cpu}, {cores} cores{memory}, Python {platform.python_version()}, {platform.system()} {platform.release()}"


if __name__ == "__main__":
    sys.exit(main())
