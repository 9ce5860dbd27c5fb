"""Scenario 3: a mock that has recorded a long history.

Throughput against a fresh server, memory per recorded request (RSS of the server's
process group before and after), and the time of one GET /history of everything.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

from benchmarks import wrk
from benchmarks.api import Api, expect_reply, http_mock_with_preset
from benchmarks.context import Context
from benchmarks.servers import ServerSpec, running
from benchmarks.stats import Row, at_least_ratio, below

NAME = "history"
TITLE = "3. Long history"
RULE = "GET /hello"
REPLY = b"Hello"
WARM_REQUESTS = 2000


@dataclass(frozen=True)
class Loaded:
    """What was measured on the server holding a long history."""

    recorded: int
    reached: bool
    kib_per_request: float
    read_s: float
    read_bytes: int
    throughput: wrk.WrkResult


def fresh(spec: ServerSpec, warmup_s: float, measure_s: float, connections: int) -> wrk.WrkResult:
    """Throughput of a fresh server, measured on a fresh mock after a warm-up."""
    with running(spec) as server, Api(server.port) as api:
        mock = http_mock_with_preset(api, RULE, REPLY)
        expect_reply(api, f"{mock.path}/hello", REPLY)
        wrk.run(server.url(f"{mock.path}/hello"), warmup_s, connections=connections)
        api.delete_http_mock(mock.id)
        mock = http_mock_with_preset(api, RULE, REPLY)
        return wrk.run(server.url(f"{mock.path}/hello"), measure_s, connections=connections)


def loaded(
    spec: ServerSpec, count: int, record_limit_s: float, measure_s: float, connections: int
) -> Loaded:
    """Record about ``count`` requests on one mock, then read them and measure again."""
    with running(spec) as server, Api(server.port, timeout_s=60) as api:
        mock = http_mock_with_preset(api, RULE, REPLY)
        url = server.url(f"{mock.path}/hello")
        expect_reply(api, f"{mock.path}/hello", REPLY)
        wrk.send(url, WARM_REQUESTS, 30, connections=connections)
        api.reset_history(mock.id)
        rss_before = server.group_rss_kib()
        reached = wrk.send(url, count, record_limit_s, connections=connections)
        rss_after = server.group_rss_kib()
        start = time.perf_counter()
        body = api.history(mock.id)
        read_s = time.perf_counter() - start
        recorded = len(json.loads(body))
        if recorded == 0:
            raise RuntimeError("the mock recorded no requests")
        kib = (rss_after - rss_before) / recorded
        throughput = wrk.run(url, measure_s, connections=connections)
        return Loaded(recorded, reached, kib, read_s, len(body), throughput)


def run(ctx: Context) -> list[Row]:
    """Round by round: ours on a fresh server, then ours holding the long history."""
    s = ctx.settings
    n = s.history_requests
    fresh_rps = ctx.ours_series("req/s", "ours, fresh server")
    loaded_rps = ctx.ours_series("req/s")
    memory = ctx.ours_series("KiB")
    read = ctx.ours_series("s")
    if s.quick:
        memory.note(f"--quick records {n:,} requests instead of 200,000")
    for rnd in ctx.rounds():
        if not ctx.have_ours:
            break
        result = ctx.guard(
            NAME,
            f"round {rnd} fresh",
            lambda: fresh(ctx.ours, s.history_warmup_s, s.measure_s, s.connections),
            fresh_rps,
        )
        if result is not None:
            fresh_rps.add(result.rps)
            ctx.say(NAME, f"round {rnd} fresh server: {result.summary()}")
        got = ctx.guard(
            NAME,
            f"round {rnd} loaded",
            lambda: loaded(ctx.ours, n, s.history_record_limit_s, s.measure_s, s.connections),
            loaded_rps,
            memory,
            read,
        )
        if got is None:
            continue
        loaded_rps.add(got.throughput.rps)
        memory.add(got.kib_per_request)
        read.add(got.read_s)
        if not got.reached:
            read.note(
                f"only {got.recorded:,} requests recorded within {s.history_record_limit_s:g} s"
            )
        ctx.say(
            NAME,
            f"round {rnd} {got.recorded:,} recorded: "
            f"{got.kib_per_request:.3f} KiB/request, GET /history "
            f"{got.read_s:.3f} s ({got.read_bytes / 1e6:.1f} MB), then "
            f"{got.throughput.summary()}",
        )
    return [
        Row(TITLE, f"req/s with {n:,} recorded", loaded_rps, fresh_rps, at_least_ratio(0.9)),
        Row(TITLE, "RSS growth per recorded request", memory, None, below(0.5)),
        Row(TITLE, f"one GET /history of {n:,} requests", read, None, below(2)),
    ]
