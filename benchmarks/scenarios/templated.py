"""Scenario 9: templated replies, a reply rendered per request against a plain reply.

On the same server in the same round: the one-preset mock of scenario 2 (``GET /item/999$``,
a fixed body) and a mock with one templated preset, rule ``{"method": "GET", "path":
"/orders/{id}"}``, ``"template": true`` and the body ``{"id": "{{ request.path_params.id }}",
"q": "{{ request.query.q }}", "at": "{{ now() }}"}``, requested as ``GET /orders/42?q=x``.
Before the load, a few requests check that the body is rendered. A server without templated
replies (``--before-src`` of an older commit) refuses the preset or answers the template
unrendered: its templated rows are skipped with a note, its plain row is still measured.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from functools import partial

from benchmarks import wrk
from benchmarks.api import Api, ApiError, HttpMock, expect_reply
from benchmarks.context import Context
from benchmarks.servers import ServerSpec, running
from benchmarks.stats import Row, Series, at_least_ratio

NAME = "templated"
TITLE = "9. Templated replies"

PLAIN = "1 plain preset"
TEMPLATED = "1 templated preset"
LAST = 999
TEMPLATE = (
    '{"id": "{{ request.path_params.id }}", "q": "{{ request.query.q }}", "at": "{{ now() }}"}'
)
REQUEST_PATH = "/orders/42?q=x"
RENDERED = b'"id": "42"'
CHECKS = 3


class TemplateRefused(RuntimeError):
    """The server refused the templated preset or did not render it."""


def _templated_mock(api: Api) -> HttpMock:
    mock = api.create_http_mock()
    preset = {
        "rule": {"method": "GET", "path": "/orders/{id}"},
        "headers": {"Content-Type": "application/json"},
        "body": base64.b64encode(TEMPLATE.encode()).decode("ascii"),
        "times": "FOREVER",
        "template": True,
    }
    status, data = api.call("POST", f"/preset/{mock.id}", preset)
    if status == 400:
        raise TemplateRefused(f"refused the preset: 400 {data.decode(errors='replace')[:200]}")
    if status != 200:
        raise ApiError(f"POST /preset/{mock.id} -> {status}: {data[:200]!r}")
    for _ in range(CHECKS):
        status, body = api.get(f"{mock.path}{REQUEST_PATH}")
        if status != 200 or RENDERED not in body or b"{{" in body:
            raise TemplateRefused(f"GET {REQUEST_PATH} -> {status} {body[:120]!r}, not rendered")
    return mock


@dataclass
class Outcome:
    """One server's measurements, and why its templated preset was skipped, if it was."""

    results: dict[str, wrk.WrkResult] = field(default_factory=dict)
    refused: str | None = None


def measure(spec: ServerSpec, warmup_s: float, measure_s: float, connections: int) -> Outcome:
    """Req/s and p99 against the plain one-preset mock, then the templated one."""
    outcome = Outcome()
    with running(spec) as server, Api(server.port) as api:
        plain = api.create_http_mock()
        api.add_preset(plain.id, f"GET /item/{LAST}$", b"item")
        expect_reply(api, f"{plain.path}/item/{LAST}", b"item")
        plan = [(PLAIN, f"{plain.path}/item/{LAST}", plain)]
        try:
            templated = _templated_mock(api)
        except TemplateRefused as exc:
            outcome.refused = str(exc)
        else:
            plan.append((TEMPLATED, f"{templated.path}{REQUEST_PATH}", templated))
        for key, path, mock in plan:
            url = server.url(path)
            wrk.run(url, warmup_s, connections=connections)
            api.reset_history(mock.id)
            outcome.results[key] = wrk.measured(
                url, measure_s, server.cpu_seconds, connections=connections
            )
            api.reset_history(mock.id)
    return outcome


def run(ctx: Context) -> list[Row]:
    """Round by round: ours before a change (if given), then ours; each server measures the
    plain mock and the templated one."""
    s = ctx.settings
    keys = (PLAIN, TEMPLATED)
    subjects = ("ours", "before")
    rps = {(n, k): Series(f"{n}, {k}", "req/s") for n in subjects for k in keys}
    p99 = {(n, k): Series(f"{n}, {k}", "ms") for n in subjects for k in keys}
    cpu = {k: Series(f"ours, {k}", "µs") for k in keys}
    for key in keys:
        rps[("ours", key)] = ctx.ours_series("req/s", f"ours, {key}")
        p99[("ours", key)] = ctx.ours_series("ms", f"ours, {key}")
    plan = [("ours", ctx.ours)]
    if ctx.before is not None:
        plan.insert(0, ("before", ctx.before))
    for rnd in ctx.rounds():
        for name, spec in plan:
            if name == "ours" and not ctx.have_ours:
                continue
            outcome = ctx.guard(
                NAME,
                f"round {rnd} {name}",
                partial(measure, spec, s.presets_warmup_s, s.presets_measure_s, s.connections),
                *(series[(name, key)] for series in (rps, p99) for key in keys),
            )
            if outcome is None:
                continue
            if outcome.refused:
                for series in (rps[(name, TEMPLATED)], p99[(name, TEMPLATED)]):
                    series.unavailable = "not measured: no templated replies"
                    series.note(outcome.refused)
                ctx.say(NAME, f"round {rnd} {name}: templated preset skipped, {outcome.refused}")
            for key, result in outcome.results.items():
                rps[(name, key)].add(result.rps)
                p99[(name, key)].add(result.p99_ms)
                if name == "ours":
                    cpu[key].add(result.cpu_us_per_request)
                if result.problems():
                    rps[(name, key)].note(f"round {rnd}: wrk counted {result.problems()}")
                ctx.say(NAME, f"round {rnd} {name}, {key}: {result.summary()}")
    ours_t, ours_p = ("ours", TEMPLATED), ("ours", PLAIN)
    rows = [
        Row(TITLE, "req/s, templated / plain", rps[ours_t], rps[ours_p], at_least_ratio(0.7), "3"),
        Row(TITLE, "p99 latency, templated / plain", p99[ours_t], p99[ours_p]),
        Row(TITLE, "server CPU per request", cpu[TEMPLATED], cpu[PLAIN]),
    ]
    if ctx.before is not None:
        rows += [
            Row(TITLE, f"req/s, {key}, ours before", rps[("ours", key)], rps[("before", key)])
            for key in keys
        ]
    return rows
