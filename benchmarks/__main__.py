"""Command line: ``python -m benchmarks [--quick] [--only SCENARIO] ...``."""

from __future__ import annotations

import argparse
import os
import shlex
import signal
import sys
import time
from dataclasses import replace
from pathlib import Path

from benchmarks import machine
from benchmarks.context import Context
from benchmarks.provision import ensure_venv145
from benchmarks.references import all_references
from benchmarks.report import render
from benchmarks.scenarios import ALL
from benchmarks.servers import stop_all
from benchmarks.settings import FULL, QUICK, REPO_ROOT, RESULTS_FILE
from benchmarks.stats import Row, Series
from benchmarks.targets import targets_table

BUSY_CORES = 0.25
PEER_SCENARIOS = ("throughput", "own-port")
"""Scenarios that measure the peers (WireMock, uvicorn hello), set up only when one runs."""


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Benchmark Pretenders against pretenders 1.4.5 and bare reference "
        "servers, interleaved over rounds, and print a table of results.",
    )
    parser.add_argument("--quick", action="store_true", help="short smoke run (about two minutes)")
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="SCENARIO",
        help=f"run only these scenarios (repeat or comma-separate): {', '.join(ALL)}",
    )
    parser.add_argument("--rounds", type=int, help="rounds per scenario (default 2)")
    parser.add_argument(
        "--ours-src",
        type=Path,
        default=REPO_ROOT,
        help="directory put on PYTHONPATH for our server and client (default: the repository root)",
    )
    parser.add_argument(
        "--ours-python",
        default=sys.executable,
        help="interpreter for our server and client (default: this one)",
    )
    parser.add_argument(
        "--before-src",
        type=Path,
        metavar="DIR",
        help="also measure our server from DIR (e.g. a checkout of the commit before a "
        "change) in the same rounds, interleaved, for the throughput, presets, stores, "
        "rich-rules, templated and own-port scenarios",
    )
    parser.add_argument(
        "--fail-fast",
        action="store_true",
        help="stop at the first failed measurement, with a traceback",
    )
    parser.add_argument(
        "--jvm-warmup",
        type=float,
        metavar="S",
        help="seconds of load WireMock gets before it is measured (default 15, --quick 3)",
    )
    parser.add_argument(
        "--no-references",
        action="store_true",
        help="skip the peers (WireMock, uvicorn hello): no java, npm or extra venv needed",
    )
    parser.add_argument("--list", action="store_true", help="list the scenarios and exit")
    return parser.parse_args(argv)


def chosen(only: list[str]) -> list[str]:
    """Scenario names from --only, in run order; all of them when none is given."""
    names = [n.strip() for item in only for n in item.split(",") if n.strip()]
    unknown = [n for n in names if n not in ALL]
    if unknown:
        raise SystemExit(f"unknown scenario(s): {', '.join(unknown)}; choose from {', '.join(ALL)}")
    return [n for n in ALL if not names or n in names]


def _terminate(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def run_scenarios(ctx: Context, names: list[str]) -> tuple[list[Row], list[tuple[str, float]]]:
    """Run the scenarios in order; also return the cores other processes used during each."""
    rows: list[Row] = []
    other_cpu: list[tuple[str, float]] = []
    for name in names:
        module = ALL[name]
        ctx.say(name, f"{module.TITLE} ...")
        meter = machine.CpuMeter()
        try:
            rows += module.run(ctx)
        except Exception as exc:
            if ctx.fail_fast:
                raise
            ctx.say(name, f"scenario FAILED: {type(exc).__name__}: {exc}")
            broken = Series("ours", "")
            broken.fail(f"{type(exc).__name__}: {exc}")
            rows.append(Row(module.TITLE, "scenario failed", broken))
        other_cpu.append((name, meter.other_cores()))
    return rows, other_cpu


def interference(other_cpu: list[tuple[str, float]]) -> tuple[tuple[str, str], list[str]]:
    """A machine fact on other processes' CPU use, and a warning when it was high."""
    fact = (
        "cores used by other processes, per scenario",
        ", ".join(f"{name} {cores:.2f}" for name, cores in other_cpu),
    )
    busy = [name for name, cores in other_cpu if cores > BUSY_CORES]
    if not busy:
        return fact, []
    return fact, [
        f"other processes used more than {BUSY_CORES} of a core during: {', '.join(busy)}; "
        "those numbers are skewed, rerun on a quiet machine"
    ]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.list:
        for name, module in ALL.items():
            print(f"{name:12} {(module.__doc__ or module.TITLE).strip().splitlines()[0]}")
        return 0
    names = chosen(args.only)
    settings = QUICK if args.quick else FULL
    if args.rounds:
        settings = replace(settings, rounds=max(1, args.rounds))
    if args.jvm_warmup is not None:
        settings = replace(settings, jvm_warmup_s=max(0.0, args.jvm_warmup))
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _terminate)
    machine.pin_this_process()
    started = time.monotonic()
    ensure_venv145()
    # abspath, not resolve(): a virtualenv's python is a symlink that must stay one.
    python = os.path.abspath(args.ours_python) if os.sep in args.ours_python else args.ours_python
    before_src = args.before_src.resolve() if args.before_src else None
    ctx = Context.create(settings, python, args.ours_src.resolve(), args.fail_fast, before_src)
    if not args.no_references and any(n in PEER_SCENARIOS for n in names):
        ctx.references = all_references()
    facts = machine.facts(ctx.ours_src)
    facts += [ref.fact() for ref in ctx.references.values()]
    if before_src is not None:
        facts.append(("before", f"{before_src} ({machine.git_revision(before_src)})"))
    if not ctx.have_ours:
        facts.append(("ours status", f"not available, references only: {ctx.ours_unavailable}"))
    for key, value in facts:
        print(f"{key}: {value}")
    try:
        rows, other_cpu = run_scenarios(ctx, names)
    finally:
        stop_all()  # a server a failed scenario left running (a JVM) ends with the run
    cpu_fact, warnings = interference(other_cpu)
    facts += [("load average at end", machine.load_average()), cpu_fact]
    command = shlex.join(["python", "-m", "benchmarks", *(sys.argv[1:] if argv is None else argv)])
    text = render(rows, facts, settings, command, time.monotonic() - started, warnings)
    text += "\n" + targets_table(rows)
    print()
    print(text)
    RESULTS_FILE.parent.mkdir(exist_ok=True)
    RESULTS_FILE.write_text(text)
    print(f"saved to {RESULTS_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
