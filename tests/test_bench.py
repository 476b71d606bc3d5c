"""The benchmark harness runs end to end at a tiny size: every section produces its figures.

Only that the figures exist is checked, never their values: timings on a shared machine prove
nothing, and docs/BENCHMARKS.md is where the real figures are read.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = [pytest.mark.slow, pytest.mark.browser]

EXPECTED = {
    "1. Server ingest": ["push over HTTP", "raw insert", "ingest ratio", "pull over HTTP", "raw read", "pull ratio"],
    "2. How it grows": ["push at", "pull at", "database bytes per entry"],
    "3. Server under load": ["push p50", "push p99", "pull p50", "pull p99", "errors", "entries lost"],
    "4. Wire efficiency": ["push bytes / ciphertext bytes", "pull bytes / ciphertext bytes", "push requests",
                           "pull requests"],
    "5. The app on a phone": ["baseline", "first visit", "offline start", "unlock: PBKDF2", "one intake sealed",
                              "appending to a case of 500 entries / to a case of 5",
                              "cases listed (counted, first page drawn)", "cases listed / baseline of this run",
                              "a day's sync on slow 3G"],
    "6. Key rotation": ["lazy rotation", "full re-encryption"],
    "9. Push cost at any case length": ["push of one entry over HTTP", "ratio over HTTP", "push of one entry in process",
                                        "ratio in process", "replaying the"],
    "12. One offline guess against the device store": ["Chromium WebCrypto", "Python hashlib", "Python cryptography",
                                                       "guesses per second"],
}


def test_the_tiny_run_prints_and_records_every_section(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "bench/run.py", "--tiny", "--out", str(tmp_path), "--doc",
                           str(tmp_path / "BENCHMARKS.md")], cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    figures = json.loads((tmp_path / "bench-tiny.json").read_text())["figures"]
    for section, names in EXPECTED.items():
        found = [f for f in figures if f["section"] == section]
        for name in names:
            matching = [f for f in found if name in f["name"]]
            assert matching, f"{section}: no figure named like {name!r}"
            assert all(f["median"] is not None for f in matching)
            assert any(f["name"] in line for line in done.stdout.splitlines() for f in matching)
    report = (tmp_path / "BENCHMARKS.md").read_text()
    for section in EXPECTED:
        assert f"<!-- bench:{section.split('.')[0]} -->" in report
    assert "7. Coordinator dashboard" in report
