"""Section 5: the app on a phone-like Chromium."""

from pathlib import Path

from bench.figures import Results

PHONE = "5. The app on a phone"


def run_phone(results: Results, work: Path, *, cases: list[int], runs: int) -> None:
    results.read(PHONE, "Not measured yet.")
