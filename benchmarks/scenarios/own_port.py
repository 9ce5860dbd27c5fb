"""Scenario 10: own-port and HTTPS mocks against the path-prefixed mock, and WireMock's HTTPS.

Scenario 1's GET (one FOREVER preset ``GET /hello``, history on) on the same server in the
same round through: (a) a path-prefixed mock, ``/mockhttp/<id>/hello``; (b) a mock created
with ``"port": 0`` (``POST /http``; the answer's ``url``), requested at ``/hello`` on its own
port over HTTP; (c) a mock with ``"port": 0, "tls": true``, over HTTPS with keep-alive (wrk
verifies no certificate). Then WireMock's HTTPS port (journal off), when the peer is set up,
with the stub of scenario 1. A server without own ports (``--before-src`` of an older
commit) refuses the port or answers no ``url``: its own-port rows are skipped with a note.
"""

from __future__ import annotations

import http.client
import json
import ssl
from dataclasses import dataclass, field
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from benchmarks import wrk
from benchmarks.api import FOREVER, Api, ApiError, expect_reply, http_mock_with_preset
from benchmarks.context import Context
from benchmarks.references import HELLO_PATH
from benchmarks.rounds import KeyedSeries, Target, each_server, load_each
from benchmarks.scenarios.throughput import REPLY, RULE, WIREMOCK_OFF, WIREMOCK_STUB
from benchmarks.servers import ServerSpec, running
from benchmarks.settings import HOST
from benchmarks.stats import Row, Series, at_least_ratio

NAME = "own-port"
TITLE = "10. Own-port and HTTPS mocks"

PREFIXED = "path-prefixed"
OWN_HTTP = "own port, HTTP"
OWN_HTTPS = "own port, HTTPS"
WIREMOCK_HTTPS = "WireMock HTTPS, journal off"
KEYS = (PREFIXED, OWN_HTTP, OWN_HTTPS)


class OwnPortRefused(RuntimeError):
    """The server refused a mock on its own port, or answered without its URL."""


def _get(url: str) -> tuple[int, bytes]:
    """One GET to a mock's own port (HTTPS without verifying: the load does not either)."""
    parts = urlsplit(url)
    if parts.hostname != HOST or parts.port is None:
        raise ApiError(f"own-port mock is not on {HOST}: {url}")
    conn: http.client.HTTPConnection
    if parts.scheme == "https":
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        conn = http.client.HTTPSConnection(HOST, parts.port, timeout=10, context=context)
    else:
        conn = http.client.HTTPConnection(HOST, parts.port, timeout=10)
    try:
        conn.request("GET", parts.path or "/")
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def _own_port_mock(api: Api, tls: bool) -> tuple[str, str]:
    """A mock on its own port with scenario 1's preset: its id and the URL of ``/hello``."""
    options: dict[str, Any] = {"name": None, "pretender_timeout": FOREVER, "port": 0}
    if tls:
        options["tls"] = True
    status, data = api.call("POST", "/http", options)
    if status == 400:
        raise OwnPortRefused(f"refused the port: 400 {data.decode(errors='replace')[:200]}")
    if status != 200:
        raise ApiError(f"POST /http -> {status}: {data[:200]!r}")
    answer = json.loads(data)
    if "url" not in answer:
        raise OwnPortRefused("POST /http with a port answered no url: no own-port mocks")
    api.add_preset(answer["id"], RULE, REPLY)
    url = f"{str(answer['url']).rstrip('/')}/hello"
    if not url.startswith("https://" if tls else "http://"):
        raise ApiError(f"own-port mock answered the wrong scheme: {url}")
    status, body = _get(url)
    if status != 200 or body != REPLY:
        raise ApiError(f"GET {url} -> {status} {body[:100]!r}, expected 200 {REPLY!r}")
    return answer["id"], url


@dataclass
class Outcome:
    """One server's measurements, and why its own-port mocks were skipped, if they were."""

    results: dict[str, wrk.WrkResult] = field(default_factory=dict)
    refused: dict[str, str] = field(default_factory=dict)
    """Why each own-port mock was skipped (a server with own ports but no TLS skips one)."""


def measure(spec: ServerSpec, warmup_s: float, measure_s: float, connections: int) -> Outcome:
    """Req/s and p99 through the path-prefixed mock, then the own-port ones."""
    outcome = Outcome()
    with running(spec) as server, Api(server.port) as api:
        mock = http_mock_with_preset(api, RULE, REPLY)
        expect_reply(api, f"{mock.path}/hello", REPLY)
        plan = [Target(PREFIXED, server.url(f"{mock.path}/hello"), mock.id)]
        for key, tls in ((OWN_HTTP, False), (OWN_HTTPS, True)):
            try:
                mock_id, url = _own_port_mock(api, tls)
            except OwnPortRefused as exc:
                outcome.refused[key] = str(exc)
            else:
                plan.append(Target(key, url, mock_id))
        outcome.results = load_each(server, api, plan, warmup_s, measure_s, connections)
    return outcome


def measure_wiremock(
    spec: ServerSpec, warmup_s: float, measure_s: float, connections: int
) -> wrk.WrkResult:
    """WireMock's HTTPS port with scenario 1's stub, after the JVM's warm-up over HTTPS."""
    with running(spec) as server, Api(server.port) as api:
        status, body = api.call("POST", "/__admin/mappings", WIREMOCK_STUB)
        if status != 201:
            raise ApiError(f"POST /__admin/mappings -> {status}: {body[:200]!r}")
        url = server.https_url(HELLO_PATH)
        status, body = _get(url)
        if status != 200 or body != REPLY:
            raise ApiError(f"GET {url} -> {status} {body[:100]!r}, expected 200 {REPLY!r}")
        wrk.run(url, warmup_s, connections=connections)
        return wrk.measured(url, measure_s, server.group_cpu_seconds, connections=connections)


def _wiremock_spec(ctx: Context, series: list[Series]) -> ServerSpec | None:
    ref = ctx.references.get(WIREMOCK_OFF)
    if ref is not None and ref.spec is not None:
        return ref.spec
    why = ref.unavailable if ref is not None else "not set up (--no-references)"
    for s in series:
        s.unavailable = f"not available: {why}"
    return None


def run(ctx: Context) -> list[Row]:
    """Round by round: ours before a change (if given), ours, then WireMock's HTTPS port."""
    s = ctx.settings
    series = KeyedSeries.create(ctx, KEYS)
    rps, p99 = series.rps, series.p99
    wm_rps, wm_p99 = Series(WIREMOCK_HTTPS, "req/s"), Series(WIREMOCK_HTTPS, "ms")
    wiremock = _wiremock_spec(ctx, [wm_rps, wm_p99])

    def measured(_name: str, spec: ServerSpec) -> Outcome:
        return measure(spec, s.warmup_s, s.measure_s, s.connections)

    for rnd in ctx.rounds():
        for name, outcome in each_server(ctx, NAME, rnd, measured, series.of):
            for key, why in outcome.refused.items():
                series.skip(name, key, "not measured: no such own-port mock", why)
                ctx.say(NAME, f"round {rnd} {name}: {key} skipped, {why}")
            series.add(ctx, NAME, rnd, name, outcome.results)
        if wiremock is not None:
            wm = ctx.guard(
                NAME,
                f"round {rnd} {WIREMOCK_HTTPS}",
                partial(measure_wiremock, wiremock, s.jvm_warmup_s, s.measure_s, s.connections),
                wm_rps,
                wm_p99,
            )
            if wm is not None:
                wm_rps.add(wm.rps)
                wm_p99.add(wm.p99_ms)
                if wm.problems():
                    wm_rps.note(f"round {rnd}: wrk counted {wm.problems()}")
                ctx.say(NAME, f"round {rnd} {WIREMOCK_HTTPS}: {wm.summary()}")
    https = rps[("ours", OWN_HTTPS)]
    if https.ok and wm_rps.ok:
        ahead = "ahead of" if https.median >= wm_rps.median else "behind"
        https.note(f"own-port HTTPS is {ahead} WireMock's HTTPS port")
        ctx.say(NAME, f"own-port HTTPS is {ahead} WireMock's HTTPS port")
    conns = f"wrk -t1 -c{s.connections}"
    rows = [
        Row(
            TITLE,
            f"req/s ({conns}), own port HTTP / path-prefixed",
            rps[("ours", OWN_HTTP)],
            rps[("ours", PREFIXED)],
            at_least_ratio(0.9),
            "2",
        ),
        Row(
            TITLE,
            f"req/s ({conns}), own port HTTPS / path-prefixed",
            https,
            rps[("ours", PREFIXED)],
        ),
        Row(
            TITLE,
            f"req/s ({conns}), HTTPS, ahead of WireMock's",
            https,
            wm_rps,
            at_least_ratio(1.0),
            "2",
        ),
        Row(TITLE, "p99 latency, own port HTTP", p99[("ours", OWN_HTTP)], p99[("ours", PREFIXED)]),
        Row(TITLE, "p99 latency, HTTPS", p99[("ours", OWN_HTTPS)], wm_p99),
    ]
    return rows + series.before_rows(ctx, TITLE)
