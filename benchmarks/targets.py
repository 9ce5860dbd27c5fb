"""The performance targets, each with its reference, ratio and whether it is met.

A scenario decides a target by giving its :class:`~benchmarks.stats.Row` a ``goal`` (the
key of :data:`GOALS`) and a ``target``; the table lists every goal below, with the rows
that decide it, or says how to measure a goal no scenario of this run measured. To add a
target: add it to :data:`GOALS`, then ``goal="N"`` on the row (or rows) that decide it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from benchmarks.report import cell, number
from benchmarks.stats import Row


@dataclass(frozen=True)
class Goal:
    """One target: what it is and which run measures it."""

    title: str
    how: str
    """The command (or option) that measures it, for a run that did not."""


GOALS: dict[str, Goal] = {
    "1": Goal(
        "Throughput, path-prefixed mock, history on",
        "python -m benchmarks --only throughput",
    ),
    "2": Goal(
        "Own-port and HTTPS mocks: own port over HTTP >= 0.9x path-prefixed, HTTPS ahead of "
        "WireMock's HTTPS port",
        "python -m benchmarks --only own-port",
    ),
    "3": Goal(
        "Rich presets: 1000 rule-language presets >= 0.5x one plain, a templated reply >= 0.7x "
        "a plain one",
        "python -m benchmarks --only rich-rules,templated",
    ),
    "4": Goal("Per-test cycle with our own client", "python -m benchmarks --only cycle"),
    "5": Goal(
        "Shared store: one Redis round trip per request, 2 workers >= 1.3x one",
        "python -m benchmarks --only stores",
    ),
    "6": Goal(
        "Nothing else slower than before (ours against --before-src)",
        "python -m benchmarks --before-src DIR",
    ),
}

HEADER = ("target", "what", "ours", "reference", "ratio", "wanted", "met?")


def verdict(row: Row) -> str:
    """met, not met, or why it cannot be told."""
    if not row.ours.ok:
        return "not measured"
    met = row.met
    if met is None:
        return "no reference"
    return "met" if met else "not met"


def targets_table(rows: Iterable[Row]) -> str:
    """The targets as a Markdown table: one line per deciding row, in the order of GOALS."""
    listed = list(rows)
    lines = [
        "## Targets",
        "",
        "| " + " | ".join(HEADER) + " |",
        "|" + "---|" * len(HEADER),
    ]
    for key, goal in GOALS.items():
        deciding = [row for row in listed if row.goal == key]
        if not deciding:
            cells = (key, goal.title, f"not measured in this run: `{goal.how}`", "—", "—", "—", "—")
            lines.append("| " + " | ".join(cells) + " |")
            continue
        for row in deciding:
            ratio = row.ratio
            cells = (
                key,
                f"{goal.title}: {row.metric}",
                cell(row.ours, with_label=row.ours.label != "ours"),
                cell(row.reference, with_label=True),
                f"{number(ratio)}x" if ratio is not None else "—",
                row.target.describe(row.ours.unit) if row.target else "—",
                verdict(row),
            )
            lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"
