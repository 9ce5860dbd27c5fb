"""Scenario 2: a mock with many presets, the request matching only the last one.

Rules are anchored (``GET /item/N$``): rules are regexes applied with re.match, so
``GET /item/99`` alone would also match ``/item/999``.
"""

from __future__ import annotations

from functools import partial

from benchmarks import wrk
from benchmarks.api import Api, HttpMock, expect_reply
from benchmarks.context import Context
from benchmarks.servers import ServerSpec, running
from benchmarks.stats import Row, Series, at_least_ratio, at_most_ratio

NAME = "presets"
TITLE = "2. Many presets"


def _reply(i: int) -> bytes:
    return f"item-{i}".encode()


def _mock_with_presets(api: Api, indexes: range) -> HttpMock:
    mock = api.create_http_mock()
    for i in indexes:
        api.add_preset(mock.id, f"GET /item/{i}$", _reply(i))
    return mock


def measure(
    spec: ServerSpec, count: int, warmup_s: float, measure_s: float, connections: int
) -> dict[int, wrk.WrkResult]:
    """Req/s against a mock with 1 preset and one with ``count`` presets; same request."""
    last = count - 1
    with running(spec) as server, Api(server.port) as api:
        mocks = {
            1: _mock_with_presets(api, range(last, count)),
            count: _mock_with_presets(api, range(count)),
        }
        expect_reply(api, f"{mocks[count].path}/item/{last}", _reply(last))
        expect_reply(api, f"{mocks[count].path}/item/{last // 10}", _reply(last // 10))
        expect_reply(api, f"{mocks[1].path}/item/{last}", _reply(last))
        results = {}
        for n, mock in mocks.items():
            url = server.url(f"{mock.path}/item/{last}")
            wrk.run(url, warmup_s, connections=connections)
            api.reset_history(mock.id)
            results[n] = wrk.measured(url, measure_s, server.cpu_seconds, connections=connections)
            api.reset_history(mock.id)
        return results


def run(ctx: Context) -> list[Row]:
    """Round by round: 1.4.5 then ours, each with 1 and with N presets."""
    s = ctx.settings
    n = s.preset_count
    series = {
        ("1.4.5", 1): Series("1.4.5, 1 preset", "req/s"),
        ("1.4.5", n): Series(f"1.4.5, {n} presets", "req/s"),
        ("ours", 1): ctx.ours_series("req/s", "ours, 1 preset"),
        ("ours", n): ctx.ours_series("req/s"),
        ("before", 1): Series("before, 1 preset", "req/s"),
        ("before", n): Series(f"before, {n} presets", "req/s"),
    }
    cpu = {
        (name, count): Series(f"{name}, {count} preset(s)", "µs")
        for name in ("ours", "before")
        for count in (1, n)
    }
    plan = [
        ("1.4.5", ctx.ref145, s.ref145_warmup_s, s.ref145_measure_s),
        ("ours", ctx.ours, s.presets_warmup_s, s.presets_measure_s),
    ]
    if ctx.before is not None:
        plan.insert(1, ("before", ctx.before, s.presets_warmup_s, s.presets_measure_s))
    for rnd in ctx.rounds():
        for name, spec, warmup_s, measure_s in plan:
            if name == "ours" and not ctx.have_ours:
                continue
            results = ctx.guard(
                NAME,
                f"round {rnd} {name}",
                partial(measure, spec, n, warmup_s, measure_s, s.connections),
                series[(name, 1)],
                series[(name, n)],
            )
            if results is None:
                continue
            for count, result in results.items():
                series[(name, count)].add(result.rps)
                if (name, count) in cpu:
                    cpu[(name, count)].add(result.cpu_us_per_request)
                if result.problems():
                    series[(name, count)].note(f"round {rnd}: wrk counted {result.problems()}")
                plural = "s" if count != 1 else ""
                ctx.say(NAME, f"round {rnd} {name}, {count} preset{plural}: {result.summary()}")
    before_rows = []
    if ctx.before is not None:
        for count in (1, n):
            before_rows += [
                Row(
                    TITLE,
                    f"server CPU per request, {count} preset(s), ours before",
                    cpu[("ours", count)],
                    cpu[("before", count)],
                    at_most_ratio(1.05),
                    "6",
                ),
                Row(
                    TITLE,
                    f"req/s, {count} preset(s), ours before",
                    series[("ours", count)],
                    series[("before", count)],
                    at_least_ratio(0.95),
                    "6",
                ),
            ]
    return [
        *before_rows,
        Row(
            TITLE,
            f"req/s, {n} presets, request hits the last",
            series[("ours", n)],
            series[("ours", 1)],
            at_least_ratio(0.5),
        ),
        Row(
            TITLE,
            f"req/s, {n} presets, request hits the last",
            series[("ours", n)],
            series[("1.4.5", n)],
        ),
        Row(
            TITLE,
            f"1.4.5 for context: {n} presets vs 1",
            series[("1.4.5", n)],
            series[("1.4.5", 1)],
        ),
    ]
