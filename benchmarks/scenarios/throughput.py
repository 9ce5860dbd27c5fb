"""Scenario 1: GET throughput through a mock with one FOREVER preset, history on."""

from __future__ import annotations

from functools import partial

from benchmarks import wrk
from benchmarks.api import Api, ApiError, expect_reply, http_mock_with_preset
from benchmarks.context import Context
from benchmarks.references import HELLO_PATH
from benchmarks.servers import ServerSpec, running
from benchmarks.stats import Row, Series, at_least_ratio, at_most_ratio, below

NAME = "throughput"
TITLE = "1. Throughput"
RULE = "GET /hello"
REPLY = b"Hello"
UVICORN = "uvicorn hello"
WIREMOCK_ON = "WireMock, journal on"
WIREMOCK_OFF = "WireMock, journal off"


def measure_pretenders(
    spec: ServerSpec, warmup_s: float, measure_s: float, connections: int
) -> wrk.WrkResult:
    """Warm up on one mock, then measure on a fresh mock so history starts empty."""
    with running(spec) as server, Api(server.port) as api:
        mock = http_mock_with_preset(api, RULE, REPLY)
        expect_reply(api, f"{mock.path}/hello", REPLY)
        wrk.run(server.url(f"{mock.path}/hello"), warmup_s, connections=connections)
        api.delete_http_mock(mock.id)
        mock = http_mock_with_preset(api, RULE, REPLY)
        url = server.url(f"{mock.path}/hello")
        return wrk.measured(url, measure_s, server.cpu_seconds, connections=connections)


def measure_hello(
    spec: ServerSpec, warmup_s: float, measure_s: float, connections: int
) -> wrk.WrkResult:
    """The bare aiohttp server serves the same path shape without any mock."""
    with running(spec) as server, Api(server.port) as api:
        path = HELLO_PATH
        expect_reply(api, path, REPLY)
        wrk.run(server.url(path), warmup_s, connections=connections)
        return wrk.run(server.url(path), measure_s, connections=connections)


WIREMOCK_STUB = {
    "request": {"method": "GET", "url": HELLO_PATH},
    "response": {"status": 200, "body": REPLY.decode()},
}


def measure_wiremock(
    spec: ServerSpec, warmup_s: float, measure_s: float, connections: int
) -> wrk.WrkResult:
    """WireMock with one stub for the same path shape: the JVM warms up under the same
    load first, then its journal (when on) is emptied, as our history starts empty."""
    with running(spec) as server, Api(server.port) as api:
        status, body = api.call("POST", "/__admin/mappings", WIREMOCK_STUB)
        if status != 201:
            raise ApiError(f"POST /__admin/mappings -> {status}: {body[:200]!r}")
        expect_reply(api, HELLO_PATH, REPLY)
        wrk.run(server.url(HELLO_PATH), warmup_s, connections=connections)
        api.call("DELETE", "/__admin/requests")
        url = server.url(HELLO_PATH)
        return wrk.measured(url, measure_s, server.group_cpu_seconds, connections=connections)


def _record(rnd: int, result: wrk.WrkResult | None, rps: Series, p99: Series, cpu: Series) -> None:
    if result is None:
        return
    rps.add(result.rps)
    p99.add(result.p99_ms)
    if result.server_cpu_s:
        cpu.add(result.cpu_us_per_request)
    if result.problems():
        rps.note(f"round {rnd}: wrk counted {result.problems()}")


def run(ctx: Context) -> list[Row]:
    """Round by round: 1.4.5, ours, bare aiohttp, then the peers (uvicorn hello, WireMock
    with its journal on and off) when set up (and ours before a change, if given)."""
    s = ctx.settings
    names = ["1.4.5", "ours", "aiohttp", "before"]
    rps = {name: Series(name, "req/s") for name in names}
    p99 = {name: Series(name, "ms") for name in names}
    cpu = {name: Series(name, "µs") for name in names}
    rps["ours"], p99["ours"] = ctx.ours_series("req/s"), ctx.ours_series("ms")
    cpu["ours"] = ctx.ours_series("µs")
    plan = [
        ("1.4.5", ctx.ref145, measure_pretenders, s.ref145_warmup_s, s.ref145_measure_s),
        ("ours", ctx.ours, measure_pretenders, s.warmup_s, s.measure_s),
        ("aiohttp", ctx.aiohttp, measure_hello, s.warmup_s, s.measure_s),
    ]
    if ctx.before is not None:
        plan.insert(1, ("before", ctx.before, measure_pretenders, s.warmup_s, s.measure_s))
    for name, measure_peer, warmup in (
        (UVICORN, measure_hello, s.warmup_s),
        (WIREMOCK_ON, measure_wiremock, s.jvm_warmup_s),
        (WIREMOCK_OFF, measure_wiremock, s.jvm_warmup_s),
    ):
        ref = ctx.references.get(name)
        rps[name], p99[name] = Series(name, "req/s"), Series(name, "ms")
        cpu[name] = Series(name, "µs")
        if ref is None or ref.spec is None:
            why = ref.unavailable if ref is not None else "not set up (--no-references)"
            for series in (rps[name], p99[name]):
                series.unavailable = f"not available: {why}"
            continue
        plan.append((name, ref.spec, measure_peer, warmup, s.measure_s))
    for rnd in ctx.rounds():
        for name, spec, measure, warmup_s, measure_s in plan:
            if name == "ours" and not ctx.have_ours:
                continue
            result = ctx.guard(
                NAME,
                f"round {rnd} {name}",
                partial(measure, spec, warmup_s, measure_s, s.connections),
                rps[name],
                p99[name],
            )
            _record(rnd, result, rps[name], p99[name], cpu[name])
            if result is not None:
                ctx.say(NAME, f"round {rnd} {name}: {result.summary()}")
    conns = f"wrk -t1 -c{s.connections}"
    rows = [
        Row(TITLE, f"req/s ({conns})", rps["ours"], rps["1.4.5"], at_least_ratio(15)),
        Row(TITLE, f"req/s ({conns})", rps["ours"], rps["aiohttp"], at_least_ratio(0.9)),
        Row(TITLE, "p99 latency", p99["ours"], p99["aiohttp"], below(5)),
        Row(TITLE, "p99 latency", p99["ours"], p99["1.4.5"]),
        Row(TITLE, f"req/s ({conns})", rps["ours"], rps[UVICORN], at_least_ratio(0.8), "1"),
        Row(TITLE, f"req/s ({conns})", rps["ours"], rps[WIREMOCK_OFF], at_least_ratio(1.5), "1"),
        Row(TITLE, "p99 latency", p99["ours"], p99["aiohttp"], at_most_ratio(1.0), "1"),
        Row(TITLE, f"req/s ({conns})", rps["ours"], rps[WIREMOCK_ON]),
        Row(TITLE, "p99 latency", p99["ours"], p99[UVICORN]),
        Row(TITLE, "p99 latency", p99["ours"], p99[WIREMOCK_OFF]),
        Row(TITLE, "p99 latency", p99["ours"], p99[WIREMOCK_ON]),
    ]
    if ctx.before is not None:
        rows.append(
            Row(
                TITLE,
                "server CPU per request, ours before",
                cpu["ours"],
                cpu["before"],
                at_most_ratio(1.05),
                "6",
            )
        )
        rows.append(
            Row(
                TITLE,
                f"req/s ({conns}), ours before",
                rps["ours"],
                rps["before"],
                at_least_ratio(0.95),
                "6",
            )
        )
    return rows
