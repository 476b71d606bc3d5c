"""Figures, their goals, and the median and range of repeated measurements."""

import statistics
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Figure:
    """One reported figure: every run's value, the goal it is held to, and a note on what bounds it."""

    section: str
    name: str
    unit: str
    values: list[float] = field(default_factory=list)
    goal: str = ""
    at_most: float | None = None
    at_least: float | None = None
    note: str = ""

    @property
    def median(self) -> float | None:
        return statistics.median(self.values) if self.values else None

    @property
    def met(self) -> bool | None:
        if self.median is None or (self.at_most is None and self.at_least is None):
            return None
        if self.at_most is not None and self.median > self.at_most:
            return False
        return not (self.at_least is not None and self.median < self.at_least)

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "median": self.median, "met": self.met}


def goal_at_least(value: float, unit: str = "") -> dict[str, Any]:
    return {"goal": f">= {value:g}{unit}", "at_least": value}


def goal_at_most(value: float, unit: str = "") -> dict[str, Any]:
    return {"goal": f"<= {value:g}{unit}", "at_most": value}


def fmt(value: float | None) -> str:
    if value is None:
        return "-"
    if value == 0 or abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    if abs(value) >= 1:
        return f"{value:.2f}"
    return f"{value:.3g}"


def spread(figure: Figure) -> str:
    if len(figure.values) < 2:
        return fmt(figure.median)
    return f"{fmt(min(figure.values))} - {fmt(max(figure.values))}"


class Results:
    """Everything one run measured, in the order it was measured."""

    def __init__(self) -> None:
        self.figures: list[Figure] = []
        self.readings: dict[str, list[str]] = {}
        self.failed: list[str] = []

    def add(self, section: str, name: str, unit: str, values: list[float], **goal: Any) -> Figure:
        figure = Figure(section, name, unit, [float(v) for v in values], **goal)
        self.figures.append(figure)
        print(f"  {name}: {fmt(figure.median)} {unit} (runs: {spread(figure)}){'' if figure.met is None else ' goal ' + figure.goal + (' met' if figure.met else ' MISSED')}", flush=True)
        return figure

    def read(self, section: str, text: str) -> None:
        """A sentence on what limits the figures of a section, written into the report."""
        self.readings.setdefault(section, []).append(text)

    def section(self, section: str) -> list[Figure]:
        return [f for f in self.figures if f.section == section]
