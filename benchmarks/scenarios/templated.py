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

from benchmarks import wrk
from benchmarks.api import Api, ApiError, HttpMock, expect_reply
from benchmarks.context import Context
from benchmarks.rounds import KeyedSeries, Target, each_server, load_each
from benchmarks.servers import ServerSpec, running
from benchmarks.stats import Row, at_least_ratio

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
        plan = [Target(PLAIN, server.url(f"{plain.path}/item/{LAST}"), plain.id)]
        try:
            templated = _templated_mock(api)
        except TemplateRefused as exc:
            outcome.refused = str(exc)
        else:
            plan.append(
                Target(TEMPLATED, server.url(f"{templated.path}{REQUEST_PATH}"), templated.id)
            )
        outcome.results = load_each(server, api, plan, warmup_s, measure_s, connections)
    return outcome


def run(ctx: Context) -> list[Row]:
    """Round by round: ours before a change (if given), then ours; each server measures the
    plain mock and the templated one."""
    s = ctx.settings
    series = KeyedSeries.create(ctx, (PLAIN, TEMPLATED))
    rps, p99, cpu = series.rps, series.p99, series.cpu

    def measured(_name: str, spec: ServerSpec) -> Outcome:
        return measure(spec, s.presets_warmup_s, s.presets_measure_s, s.connections)

    for rnd in ctx.rounds():
        for name, outcome in each_server(ctx, NAME, rnd, measured, series.of):
            if outcome.refused:
                series.skip(name, TEMPLATED, "not measured: no templated replies", outcome.refused)
                ctx.say(NAME, f"round {rnd} {name}: templated preset skipped, {outcome.refused}")
            series.add(ctx, NAME, rnd, name, outcome.results)
    ours_t, ours_p = ("ours", TEMPLATED), ("ours", PLAIN)
    rows = [
        Row(TITLE, "req/s, templated / plain", rps[ours_t], rps[ours_p], at_least_ratio(0.7), "3"),
        Row(TITLE, "p99 latency, templated / plain", p99[ours_t], p99[ours_p]),
        Row(TITLE, "server CPU per request", cpu[TEMPLATED], cpu[PLAIN]),
    ]
    return rows + series.before_rows(ctx, TITLE)
