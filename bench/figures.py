"""Figures of a bench: percentiles, medians over rounds, and the table with the targets."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field


def percentile(samples: Sequence[float], q: float) -> float:
    """The q-quantile (0..1) by nearest rank; 0 for no samples."""
    if not samples:
        return 0.0
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def p50(samples: Sequence[float]) -> float:
    return statistics.median(samples) if samples else 0.0


def p99(samples: Sequence[float]) -> float:
    return percentile(samples, 0.99)


def ratio(value: float, yardstick: float) -> float:
    return value / yardstick if yardstick > 0 else float("inf")


@dataclass(frozen=True, slots=True)
class Figure:
    """One measured figure: the median of its rounds, against a yardstick of the same run.

    `check` takes (value, yardstick) and says whether the target is met; None when the
    figure has no target of its own.
    """

    name: str
    unit: str
    rounds: list[float]
    yardstick_name: str = ""
    yardstick_rounds: list[float] = field(default_factory=list)
    target: str = ""
    check: Callable[[float, float], bool] | None = None
    load: str = ""

    @property
    def value(self) -> float:
        return statistics.median(self.rounds)

    @property
    def yardstick(self) -> float | None:
        return statistics.median(self.yardstick_rounds) if self.yardstick_rounds else None

    @property
    def verdict(self) -> str:
        if self.check is None:
            return ""
        return "met" if self.check(self.value, self.yardstick or 0.0) else "MISSED"


def _num(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:.0f}" if abs(value) >= 100 else f"{value:.2f}"


def table(title: str, figures: Sequence[Figure]) -> None:
    """Print the figures: value, yardstick, ratio, target, met/missed, load, rounds."""
    print(f"\n== {title}")
    head = (
        f"{'figure':<44} {'value':>9} {'unit':<5} {'yardstick':<28} {'yard':>8} "
        f"{'ratio':>7}  {'target':<34} {'verdict':<7} {'load':>5}  rounds"
    )
    print(head)
    print("-" * len(head))
    for f in figures:
        yard = f.yardstick
        rat = "" if yard is None else f"{ratio(f.value, yard):.2f}x"
        rounds = ", ".join(_num(r) for r in f.rounds)
        print(
            f"{f.name:<44} {_num(f.value):>9} {f.unit:<5} {f.yardstick_name:<28} "
            f"{_num(yard):>8} {rat:>7}  {f.target:<34} {f.verdict:<7} {f.load:>5}  [{rounds}]"
        )


def all_met(figures: Sequence[Figure]) -> bool:
    return all(f.verdict != "MISSED" for f in figures)
