"""The results table: rendering rows as Markdown, with machine facts and notes."""

from __future__ import annotations

import time
from collections.abc import Iterable

from benchmarks.settings import Settings
from benchmarks.stats import Row, Series

HEADER = ("scenario", "metric", "ours (median, min-max)", "reference", "ratio", "target", "met?")


def number(value: float) -> str:
    """Three significant digits for small numbers, whole numbers with separators above 100."""
    magnitude = abs(value)
    if magnitude >= 100:
        return f"{value:,.0f}"
    if magnitude >= 10:
        return f"{value:.1f}"
    if magnitude >= 1:
        return f"{value:.2f}"
    return f"{value:.3g}"


def cell(series: Series | None, with_label: bool) -> str:
    """One series as 'median unit (min-max)', or why it has no value."""
    if series is None:
        return "—"
    prefix = f"{series.label}: " if with_label else ""
    if series.unavailable and not series.ok:
        return f"{prefix}{series.unavailable}"
    if not series.ok:
        return f"{prefix}error: {series.errors[0]}" if series.errors else f"{prefix}no data"
    text = f"{number(series.median)} {series.unit}"
    if len(series.values) > 1:
        text += f" ({number(series.low)}-{number(series.high)})"
    if series.errors:
        text += f", {len(series.errors)} failed"
    return prefix + text


def _escape(text: str) -> str:
    return text.replace("|", "\\|")


def table(rows: Iterable[Row]) -> str:
    """The Markdown results table."""
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    for row in rows:
        ratio = row.ratio
        met = row.met
        target = row.target.describe(row.ours.unit) if row.target else "—"
        cells = (
            row.scenario,
            row.metric,
            cell(row.ours, with_label=row.ours.label != "ours"),
            cell(row.reference, with_label=True),
            f"{number(ratio)}x" if ratio is not None else "—",
            target,
            "—" if row.target is None else {True: "yes", False: "NO", None: "n/a"}[met],
        )
        lines.append("| " + " | ".join(_escape(c) for c in cells) + " |")
    return "\n".join(lines)


def notes(rows: Iterable[Row]) -> list[str]:
    """Notes and errors attached to the series, each once."""
    seen: list[str] = []
    for row in rows:
        for series in (row.ours, row.reference):
            if series is None:
                continue
            for text in series.notes + [f"error: {e}" for e in series.errors]:
                line = f"{row.scenario}, {series.label}: {text}"
                if line not in seen:
                    seen.append(line)
    return seen


def settings_line(settings: Settings) -> str:
    s = settings
    return (
        f"{'quick' if s.quick else 'full'} run, {s.rounds} rounds interleaved "
        f"(per round: 1.4.5, ours, other reference); wrk -t1 -c{s.connections}, "
        f"warm-up {s.warmup_s:g} s + {s.measure_s:g} s measured "
        f"(1.4.5: {s.ref145_warmup_s:g} s + {s.ref145_measure_s:g} s)"
    )


def render(
    rows: list[Row],
    facts: list[tuple[str, str]],
    settings: Settings,
    command: str,
    elapsed_s: float,
    warnings: list[str] | None = None,
) -> str:
    """The whole report as Markdown."""
    out = [
        "# Pretenders benchmark results",
        "",
        f"- date: {time.strftime('%Y-%m-%d %H:%M:%S %Z')}",
        f"- command: `{command}`",
        f"- run: {settings_line(settings)}; took {elapsed_s:.0f} s",
        *(f"- {key}: {value}" for key, value in facts),
        "",
        table(rows),
        "",
        "Ratio is ours / reference (medians). min-max is across rounds.",
    ]
    extra = (warnings or []) + notes(rows)
    if extra:
        out += ["", "Notes:", "", *(f"- {line}" for line in extra)]
    return "\n".join(out) + "\n"
