"""Tables into docs/BENCHMARKS.md between markers, so the written reading around them is kept."""

import re
from pathlib import Path

from bench.figures import Results, fmt, spread

HEADER = "| figure | goal | median | range of runs | unit |\n| --- | --- | --- | --- | --- |"


def table(results: Results, section: str, size: str, stamp: str, machine: str) -> str:
    lines = [f"Run: `{size}`, {stamp}, {machine}.", "", HEADER]
    for figure in results.section(section):
        verdict = "" if figure.met is None else (" (met)" if figure.met else " (**missed**)")
        lines.append(f"| {figure.name} | {figure.goal or '-'}{verdict} | {fmt(figure.median)} | {spread(figure)} "
                     f"| {figure.unit} |")
    for text in results.readings.get(section, []):
        lines += ["", text]
    return "\n".join(lines)


def update(path: Path, results: Results, size: str, stamp: str, machine: str) -> None:
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    sections = list(dict.fromkeys([f.section for f in results.figures] + list(results.readings)))
    for section in sections:
        key = section.split(".")[0]
        start, end = f"<!-- bench:{key} -->", f"<!-- /bench:{key} -->"
        block = f"{start}\n{table(results, section, size, stamp, machine)}\n{end}"
        pattern = re.compile(re.escape(start) + ".*?" + re.escape(end), re.S)
        if pattern.search(text):
            text = pattern.sub(lambda _m: block, text)
        else:
            text += f"\n## {section}\n\n{block}\n"
    path.write_text(text)
