"""Series of measurements across rounds, and the table rows built from them."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field


@dataclass
class Series:
    """Values of one metric for one subject, one value per round."""

    label: str
    unit: str
    values: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    unavailable: str | None = None  # short text shown instead of a value

    def add(self, value: float) -> None:
        self.values.append(value)

    def fail(self, message: str) -> None:
        self.errors.append(message)

    def note(self, message: str) -> None:
        if message not in self.notes:
            self.notes.append(message)

    @property
    def ok(self) -> bool:
        return bool(self.values)

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    @property
    def low(self) -> float:
        return min(self.values)

    @property
    def high(self) -> float:
        return max(self.values)


@dataclass(frozen=True)
class Target:
    """A goal for the ``ours`` median, either absolute or as a ratio to the reference."""

    op: str  # ">=", "<=", "<"
    value: float
    on_ratio: bool

    def met(self, ours: float, ratio: float | None) -> bool | None:
        subject = ratio if self.on_ratio else ours
        if subject is None:
            return None
        if self.op == ">=":
            return subject >= self.value
        if self.op == "<=":
            return subject <= self.value
        if self.op == "<":
            return subject < self.value
        raise ValueError(f"unknown operator {self.op}")

    def describe(self, unit: str) -> str:
        if self.on_ratio:
            return f"{self.op} {self.value:g}x"
        return f"{self.op} {self.value:g} {unit}".rstrip()


def at_least_ratio(value: float) -> Target:
    return Target(">=", value, on_ratio=True)


def at_most_ratio(value: float) -> Target:
    return Target("<=", value, on_ratio=True)


def at_least(value: float) -> Target:
    return Target(">=", value, on_ratio=False)


def at_most(value: float) -> Target:
    return Target("<=", value, on_ratio=False)


def below(value: float) -> Target:
    return Target("<", value, on_ratio=False)


@dataclass
class Row:
    """One line of the results table: ``ours`` against one reference."""

    scenario: str
    metric: str
    ours: Series
    reference: Series | None = None
    target: Target | None = None
    goal: str | None = None
    """The target of benchmarks/targets.py's GOALS this row decides (e.g. "1"), if any."""

    @property
    def ratio(self) -> float | None:
        ref = self.reference
        if not (self.ours.ok and ref is not None and ref.ok) or ref.median == 0:
            return None
        return self.ours.median / ref.median

    @property
    def met(self) -> bool | None:
        if self.target is None or not self.ours.ok:
            return None
        return self.target.met(self.ours.median, self.ratio)
