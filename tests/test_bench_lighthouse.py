"""The Lighthouse section of the benchmarks: its figures read from a report, and its absence from
the tiny run (which the tests run, on machines that may have no Node.js)."""

from pathlib import Path

from bench import lighthouse
from bench.run import SIZES, run


def report(performance: float) -> dict:
    categories = {key: {"score": 1.0} for key, _name, _goal in lighthouse.CATEGORIES}
    categories["performance"] = {"score": performance}
    audits = {key: {"numericValue": 1000.0 + index} for index, (key, _label, _unit) in enumerate(lighthouse.TIMINGS)}
    audits["network-requests"] = {"details": {"items": [{}, {}, {}]}}
    audits["total-byte-weight"] = {"numericValue": 12_345}
    return {"categories": categories, "audits": audits}


def test_a_report_gives_the_four_scores_out_of_100_and_the_main_timings() -> None:
    figures = lighthouse.figures_of(report(0.93))
    assert figures == {"performance": 93, "accessibility": 100, "best practices": 100, "SEO": 100,
                       "FCP": 1000.0, "LCP": 1001.0, "TBT": 1002.0, "CLS": 1003.0, "TTI": 1004.0,
                       "requests": 3, "transferred": 12.345}


def test_the_tiny_run_skips_lighthouse(tmp_path: Path) -> None:
    assert SIZES["tiny"].lighthouse_runs == 0 and SIZES["quick"].lighthouse_runs >= 1
    results = run(SIZES["tiny"], ["lighthouse"], tmp_path)
    assert results.figures == [] and results.failed == []
