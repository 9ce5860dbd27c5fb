"""Scenario 4: the per-test cycle, driven by each project's own Python client."""

from __future__ import annotations

import json
import statistics
import subprocess
from functools import partial

from benchmarks.context import Context
from benchmarks.machine import LOAD_CORE, pinned
from benchmarks.provision import clean_env, python145
from benchmarks.servers import ServerSpec, running
from benchmarks.settings import BENCH_PKG
from benchmarks.stats import Row, Series, at_most_ratio

NAME = "cycle"
TITLE = "4. Per-test cycle"
DRIVER = BENCH_PKG / "cycle_driver.py"
MAX_S = 60
AT_ONCE = "ours, presets at once"


def measure(
    spec: ServerSpec,
    python: str,
    env: dict[str, str],
    cycles: int,
    warmup: int,
    at_once: bool = False,
) -> tuple[float, int]:
    """Median ms per cycle and the number of cycles timed; ``at_once``: each mock created
    with its presets in one call."""
    with running(spec) as server:
        argv = [
            python,
            str(DRIVER),
            "--port",
            str(server.port),
            "--cycles",
            str(cycles),
            "--warmup",
            str(warmup),
            "--max-seconds",
            str(MAX_S),
        ]
        cmd = pinned([*argv, "--presets-at-once"] if at_once else argv, LOAD_CORE)
        proc = subprocess.run(
            cmd,
            capture_output=True,
            text=True,
            env=env,
            cwd=spec.run_dir,
            timeout=MAX_S + 60,
            check=False,
        )
    if proc.returncode != 0:
        raise RuntimeError(f"driver exited {proc.returncode}: {proc.stderr.strip()[-500:]}")
    timings = json.loads(proc.stdout.strip().splitlines()[-1])["ms"]
    if not timings:
        raise RuntimeError("driver timed no cycle")
    return statistics.median(timings), len(timings)


def run(ctx: Context) -> list[Row]:
    """Round by round: 1.4.5 with its client, then ours with ours, preset by preset and
    with the presets given when the mock is created (``POST /http`` with ``presets``)."""
    s = ctx.settings
    series = {
        "1.4.5": Series("1.4.5", "ms"),
        "ours": ctx.ours_series("ms"),
        AT_ONCE: ctx.ours_series("ms", AT_ONCE),
    }
    plan = [
        ("1.4.5", ctx.ref145, str(python145()), clean_env(), False),
        ("ours", ctx.ours, ctx.ours.argv[0], ctx.ours.env, False),
        (AT_ONCE, ctx.ours, ctx.ours.argv[0], ctx.ours.env, True),
    ]
    for rnd in ctx.rounds():
        for name, spec, python, env, at_once in plan:
            if name != "1.4.5" and not ctx.have_ours:
                continue
            got = ctx.guard(
                NAME,
                f"round {rnd} {name}",
                partial(measure, spec, python, env, s.cycles, s.cycle_warmup, at_once),
                series[name],
            )
            if got is None:
                continue
            median_ms, timed = got
            series[name].add(median_ms)
            if timed < s.cycles:
                series[name].note(f"only {timed} of {s.cycles} cycles within {MAX_S} s")
            ctx.say(NAME, f"round {rnd} {name}: median {median_ms:.2f} ms over {timed} cycles")
    return [
        Row(
            TITLE,
            f"ms per cycle (median of {s.cycles}): create, 3 presets, 1 request, history, delete",
            series["ours"],
            series["1.4.5"],
            at_most_ratio(0.5),
        ),
        Row(
            TITLE,
            f"ms per cycle (median of {s.cycles}): create with 3 presets in one call, "
            "1 request, history, delete",
            series[AT_ONCE],
            series["1.4.5"],
            at_most_ratio(0.5),
            "4",
        ),
    ]
