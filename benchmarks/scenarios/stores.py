"""Scenario 7: the throughput load of scenario 1 on each store, interleaved in rounds.

Subjects, in each round: ours on the memory store (the default), ours before a change
(``--before-src``), ours on Redis with one process, and ours on Redis with
``--workers 2``. The Redis rows need ``redis-server``: the scenario starts one on a free
loopback port (no persistence), pinned to the load core beside wrk, and skips those rows
with a note when it is not installed.

Round trips per mock request are read from Redis itself: the delta of ``INFO
commandstats`` over the measured run, divided by the records the mock gained meanwhile
(its ``seq``). Redis counts there the commands its scripts run too, so the table shows
both: commands sent by clients (every command but those the store's Lua scripts run,
which a client never sends on the request path) and every command Redis executed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

from benchmarks import wrk
from benchmarks.api import Api, expect_reply, http_mock_with_preset
from benchmarks.context import Context
from benchmarks.machine import ALL_CORES, LOAD_CORE
from benchmarks.redis_server import RunningRedis, missing, running_redis
from benchmarks.servers import ServerSpec, running
from benchmarks.stats import Row, Series, at_least_ratio, at_most, at_most_ratio

NAME = "stores"
TITLE = "7. Stores"
RULE = "GET /hello"
REPLY = b"Hello"
WORKERS = 2


def script_commands(src: Path) -> frozenset[str]:
    """The commands the Redis store's Lua scripts under ``src`` run (``redis.call('NAME'``)."""
    source = (src / "pretenders" / "server" / "store" / "redis_scripts.py").read_text()
    return frozenset(name.lower() for name in re.findall(r"redis\.call\('(\w+)'", source))


@dataclass(frozen=True)
class StoreResult:
    """One measured run, with what Redis did meanwhile when the store was Redis."""

    load: wrk.WrkResult
    records: int = 0
    client_commands: int = 0
    all_commands: int = 0
    redis_cpu_s: float = 0.0

    def per_record(self, value: float) -> float:
        return value / self.records if self.records else 0.0


def _seq(redis: RunningRedis, mock_id: str) -> int:
    return int(redis.cli("HGET", f"pt:{{{mock_id}}}:m", "seq", raw=True).strip() or 0)


def measure(
    spec: ServerSpec,
    src: Path,
    redis: RunningRedis | None,
    warmup_s: float,
    measure_s: float,
    connections: int,
) -> StoreResult:
    """Warm up on one mock, then measure on a fresh one (as scenario 1), reading Redis's
    counters around the measured run."""
    if redis is not None:
        redis.cli("FLUSHALL")
    with running(spec) as server, Api(server.port) as api:
        mock = http_mock_with_preset(api, RULE, REPLY)
        expect_reply(api, f"{mock.path}/hello", REPLY)
        wrk.run(server.url(f"{mock.path}/hello"), warmup_s, connections=connections)
        api.delete_http_mock(mock.id)
        mock = http_mock_with_preset(api, RULE, REPLY)
        url = server.url(f"{mock.path}/hello")
        if redis is None:
            load = wrk.measured(url, measure_s, server.group_cpu_seconds, connections=connections)
            return StoreResult(load)
        scripted = script_commands(src)
        calls, seq, cpu = redis.command_calls(), _seq(redis, mock.id), redis.cpu_seconds()
        load = wrk.measured(url, measure_s, server.group_cpu_seconds, connections=connections)
        calls_after, seq_after = redis.command_calls(), _seq(redis, mock.id)
        cpu_after = redis.cpu_seconds()
        delta = {name: n - calls.get(name, 0) for name, n in calls_after.items()}
        delta["hget"] = delta.get("hget", 0) - 1  # the harness's own read of seq
        return StoreResult(
            load,
            records=seq_after - seq,
            client_commands=sum(n for name, n in delta.items() if name not in scripted),
            all_commands=sum(delta.values()),
            redis_cpu_s=cpu_after - cpu,
        )


@dataclass
class _Subject:
    name: str
    label: str
    spec: ServerSpec
    on_redis: bool
    rps: Series
    cpu: Series
    p99: Series
    trips: Series
    commands: Series
    redis_cpu: Series


def _subject(name: str, label: str, spec: ServerSpec, on_redis: bool, ctx: Context) -> _Subject:
    make: Callable[[str], Series] = (
        partial(ctx.ours_series, label=label) if name != "before" else partial(Series, label)
    )
    return _Subject(
        name,
        label,
        spec,
        on_redis,
        rps=make("req/s"),
        cpu=make("µs"),
        p99=make("ms"),
        trips=make("per request"),
        commands=make("per request"),
        redis_cpu=make("µs"),
    )


def _redis_spec(ctx: Context, url: str, workers: int) -> ServerSpec:
    spec = ctx.ours
    if workers == 1:
        return replace(
            spec,
            name="ours-redis",
            argv=(*spec.argv, "--store", url),
            run_dir=spec.run_dir.with_name("run-ours-redis"),
        )
    return replace(
        spec,
        name=f"ours-redis-{workers}w",
        argv=(*spec.argv, "--store", url, "--workers", str(workers)),
        run_dir=spec.run_dir.with_name(f"run-ours-redis-{workers}w"),
        cores=ALL_CORES,
        listeners=workers,
    )


def _record(ctx: Context, rnd: int, subject: _Subject, result: StoreResult | None) -> None:
    if result is None:
        return
    load = result.load
    subject.rps.add(load.rps)
    subject.p99.add(load.p99_ms)
    if load.server_cpu_s:
        subject.cpu.add(load.cpu_us_per_request)
    if load.problems():
        subject.rps.note(f"round {rnd}: wrk counted {load.problems()}")
    text = load.summary()
    if subject.on_redis and result.records:
        subject.trips.add(result.per_record(result.client_commands))
        subject.commands.add(result.per_record(result.all_commands))
        subject.redis_cpu.add(result.per_record(result.redis_cpu_s) * 1e6)
        text += (
            f", {result.per_record(result.client_commands):.3f} round trips and "
            f"{result.per_record(result.all_commands):.2f} Redis commands per request"
        )
    ctx.say(NAME, f"round {rnd} {subject.label}: {text}")


def run(ctx: Context) -> list[Row]:
    """Round by round: memory, before (if given), Redis 1 process, Redis 2 workers."""
    s = ctx.settings
    subjects = [_subject("memory", "ours, memory", ctx.ours, False, ctx)]
    if ctx.before is not None:
        subjects.insert(0, _subject("before", "before, memory", ctx.before, False, ctx))
    why_not = missing() if ctx.have_ours else "our server is not available"
    with ExitStack() as stack:
        redis: RunningRedis | None = None
        if why_not is None:
            redis = ctx.guard(
                NAME, "starting redis-server", lambda: stack.enter_context(running_redis(LOAD_CORE))
            )
            if redis is None:
                why_not = "redis-server did not start (see the progress output)"
        if redis is not None:
            ctx.say(NAME, f"redis-server on port {redis.port}")
            subjects += [
                _subject(
                    "redis", "ours, Redis, 1 process", _redis_spec(ctx, redis.url, 1), True, ctx
                ),
                _subject(
                    "workers",
                    f"ours, Redis, --workers {WORKERS}",
                    _redis_spec(ctx, redis.url, WORKERS),
                    True,
                    ctx,
                ),
            ]
        for rnd in ctx.rounds():
            for subject in subjects:
                if subject.name != "before" and not ctx.have_ours:
                    continue
                result = ctx.guard(
                    NAME,
                    f"round {rnd} {subject.label}",
                    partial(
                        measure,
                        subject.spec,
                        ctx.ours_src,
                        redis if subject.on_redis else None,
                        s.warmup_s,
                        s.measure_s,
                        s.connections,
                    ),
                    subject.rps,
                    subject.cpu,
                )
                _record(ctx, rnd, subject, result)
    return _rows(ctx, {subject.name: subject for subject in subjects}, why_not)


def _rows(ctx: Context, by_name: dict[str, _Subject], why_not: str | None) -> list[Row]:
    conns = f"wrk -t1 -c{ctx.settings.connections}"
    memory = by_name["memory"]
    rows: list[Row] = []
    before = by_name.get("before")
    if before is not None:
        rows += [
            Row(
                TITLE,
                f"req/s ({conns}), memory store",
                memory.rps,
                before.rps,
                at_least_ratio(0.95),
                "6",
            ),
            Row(
                TITLE,
                "server CPU per request, memory store",
                memory.cpu,
                before.cpu,
                at_most_ratio(1.05),
                "6",
            ),
        ]
    else:
        rows.append(Row(TITLE, f"req/s ({conns}), memory store", memory.rps))
    redis, workers = by_name.get("redis"), by_name.get("workers")
    if redis is None or workers is None:
        skipped = Series("ours, Redis", "req/s", unavailable=f"skipped: {why_not}")
        skipped.note(f"Redis rows skipped: {why_not}")
        rows.append(Row(TITLE, "Redis rows", skipped))
        return rows
    rows += [
        Row(TITLE, f"req/s ({conns}), Redis, 1 process", redis.rps, memory.rps),
        Row(
            TITLE,
            f"req/s ({conns}), Redis, --workers {WORKERS}",
            workers.rps,
            redis.rps,
            at_least_ratio(1.3),
            "5",
        ),
        Row(TITLE, "server CPU per request, Redis, 1 process", redis.cpu, memory.cpu),
        Row(
            TITLE,
            f"server CPU per request, Redis, --workers {WORKERS} (all)",
            workers.cpu,
            redis.cpu,
        ),
        Row(TITLE, "p99 latency, Redis, 1 process", redis.p99, memory.p99),
        Row(TITLE, f"p99 latency, Redis, --workers {WORKERS}", workers.p99, redis.p99),
        Row(
            TITLE,
            "Redis round trips per request, 1 process",
            redis.trips,
            None,
            at_most(1.05),
            "5",
        ),
        Row(
            TITLE,
            f"Redis round trips per request, --workers {WORKERS}",
            workers.trips,
            None,
            at_most(1.05),
            "5",
        ),
        Row(
            TITLE, "Redis commands per request, scripts' included", redis.commands, workers.commands
        ),
        Row(TITLE, "Redis CPU per request", redis.redis_cpu, workers.redis_cpu),
    ]
    workers.rps.note(
        f"--workers {WORKERS} may use both cores (taskset -c {ALL_CORES}), shared with wrk "
        "and redis-server; the other servers run on core 0"
    )
    redis.trips.note(
        "round trips: commands clients sent (INFO commandstats delta, less the commands "
        "the store's Lua scripts run) / records the mock gained, over the measured run"
    )
    return rows
