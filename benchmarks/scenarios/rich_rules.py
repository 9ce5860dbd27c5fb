"""Scenario 8: the rule language at scale, 1000 presets with method, path, query and JSON
conditions, the request matching the last one.

Preset ``i`` is ``{"method": "POST", "path": "/orders/<i>", "query": {"v": "2", "lang":
{"matches": "[a-z]{2}"}}, "json": {"sku": "A<i>"}, "json_ignore_extra": true}``; the request
is ``POST /orders/999?lang=en&v=2`` with the JSON body ``{"sku": "A999", "qty": 1}`` (query
parameters in another order than the rule's, a field the rule does not name). On the same
server in the same round it is compared with the one-preset mock of scenario 2 (``GET
/item/999$``, a plain GET), with a mock holding only the last rich preset, and with the same
POST through a 1.4 rule (``POST /orders/999``): what the request costs without the rule
language.

Before the load, a few requests check that the presets match what they say: the query's
value and regex conditions, and whether a body whose JSON differs is told apart; when it is
not (a server without JSON matching), the table says so. A server whose rule language lacks
these fields (``--before-src`` of an older commit) refuses the presets with a 400: its rich
rows are skipped with a note, its plain rows are still measured.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any

from benchmarks import wrk
from benchmarks.api import Api, ApiError, HttpMock, expect_reply
from benchmarks.context import Context
from benchmarks.rounds import Target, each_server, load_each
from benchmarks.servers import ServerSpec, running
from benchmarks.stats import Row, Series, at_least_ratio

NAME = "rich-rules"
TITLE = "8. Rule language"

PLAIN = "1 plain preset"
PLAIN_POST = "1 plain POST preset"
RICH_ONE = "1 rich preset"
RICH_MANY = "rich presets"
QUERY = "?lang=en&v=2"
CONTENT_TYPE = ("Content-Type", "application/json")


class RuleFieldsRefused(RuntimeError):
    """The server refused a rule with the new fields: its rule language lacks them."""


def rich_rule(i: int) -> dict[str, Any]:
    """Preset ``i``'s rule: method, a literal path, query conditions, partial JSON."""
    return {
        "method": "POST",
        "path": f"/orders/{i}",
        "query": {"v": "2", "lang": {"matches": "[a-z]{2}"}},
        "json": {"sku": f"A{i}"},
        "json_ignore_extra": True,
    }


def payload(i: int) -> dict[str, Any]:
    """The JSON body of a request meant for preset ``i``."""
    return {"sku": f"A{i}", "qty": 1}


def _reply(i: int) -> bytes:
    return f"order-{i}".encode()


def _add_rich(api: Api, mock_id: str, i: int) -> None:
    preset = {
        "rule": rich_rule(i),
        "headers": {},
        "body": base64.b64encode(_reply(i)).decode("ascii"),
        "times": "FOREVER",
    }
    status, data = api.call("POST", f"/preset/{mock_id}", preset)
    if status == 400:
        raise RuleFieldsRefused(data.decode(errors="replace")[:200])
    if status != 200:
        raise ApiError(f"POST /preset/{mock_id} -> {status}: {data[:200]!r}")


def _rich_mock(api: Api, indexes: range) -> HttpMock:
    mock = api.create_http_mock()
    for i in indexes:
        _add_rich(api, mock.id, i)
    return mock


def _post(api: Api, mock: HttpMock, i: int, query: str, body: dict[str, Any]) -> bytes | None:
    """The reply body of a rich request, None when it was not answered with 200."""
    status, data = api.call("POST", f"{mock.path}/orders/{i}{query}", body)
    return data if status == 200 else None


def _check(api: Api, mock: HttpMock, last: int) -> bool:
    """Check that the rich presets match as their rules say; return whether the server
    tells bodies apart by their JSON."""
    expected = {
        (last, QUERY, last): _reply(last),
        (last // 10, "?v=2&lang=fr", last // 10): _reply(last // 10),
        (last, "?lang=en&v=3", last): None,
        (last, "?lang=EN&v=2", last): None,
        (last, "?lang=en", last): None,
    }
    for (i, query, sku), want in expected.items():
        got = _post(api, mock, i, query, payload(sku))
        if got != want:
            raise ApiError(f"POST /orders/{i}{query} -> {got!r}, expected {want!r}")
    return _post(api, mock, last, QUERY, payload(last - 1)) is None


@dataclass
class Outcome:
    """One server's measurements, and what its set-up found."""

    results: dict[str, wrk.WrkResult] = field(default_factory=dict)
    refused: str | None = None
    """Why the server refused the rich presets, when it did."""
    json_matched: bool | None = None


def measure(
    spec: ServerSpec,
    count: int,
    warmup_s: float,
    measure_s: float,
    connections: int,
    rich: bool,
) -> Outcome:
    """Req/s against the plain GET and POST one-preset mocks, then (``rich``) one rich preset
    and ``count``."""
    last = count - 1
    outcome = Outcome()
    post = wrk.Request("POST", (CONTENT_TYPE,), json.dumps(payload(last)))
    with running(spec) as server, Api(server.port) as api:
        plain = api.create_http_mock()
        api.add_preset(plain.id, f"GET /item/{last}$", b"item")
        expect_reply(api, f"{plain.path}/item/{last}", b"item")
        # The same POST through a 1.4 rule: what the request costs without the rule language.
        plain_post = api.create_http_mock()
        api.add_preset(plain_post.id, f"POST /orders/{last}", b"item")
        if _post(api, plain_post, last, QUERY, payload(last)) != b"item":
            raise ApiError(f"POST /orders/{last}{QUERY} does not match the 1.4 rule")
        plan = [
            Target(PLAIN, server.url(f"{plain.path}/item/{last}"), plain.id),
            Target(
                PLAIN_POST,
                server.url(f"{plain_post.path}/orders/{last}{QUERY}"),
                plain_post.id,
                post,
            ),
        ]
        if rich:
            try:
                one = _rich_mock(api, range(last, count))
            except RuleFieldsRefused as exc:
                outcome.refused = f"refused the rule's fields: 400 {exc}"
            else:
                many = _rich_mock(api, range(count))
                outcome.json_matched = _check(api, many, last)
                if _post(api, one, last, QUERY, payload(last)) != _reply(last):
                    raise ApiError("the one rich preset does not match its request")
                path = f"/orders/{last}{QUERY}"
                plan += [
                    Target(RICH_ONE, server.url(f"{one.path}{path}"), one.id, post),
                    Target(RICH_MANY, server.url(f"{many.path}{path}"), many.id, post),
                ]
        outcome.results = load_each(server, api, plan, warmup_s, measure_s, connections)
    return outcome


def run(ctx: Context) -> list[Row]:
    """Round by round: ours before a change (if given), then ours; each server measures the
    plain GET and POST mocks, one rich preset and N rich presets."""
    s = ctx.settings
    n = s.preset_count
    labels = {
        PLAIN: PLAIN,
        PLAIN_POST: PLAIN_POST,
        RICH_ONE: RICH_ONE,
        RICH_MANY: f"{n} rich presets",
    }
    rps = {
        (name, key): Series(f"{name}, {label}", "req/s")
        for name in ("ours", "before")
        for key, label in labels.items()
    }
    cpu = {key: Series(f"ours, {label}", "µs") for key, label in labels.items()}
    for key in labels:
        rps[("ours", key)] = ctx.ours_series("req/s", f"ours, {labels[key]}")
    rich = {"ours": True, "before": True}

    def measured(name: str, spec: ServerSpec) -> Outcome:
        return measure(spec, n, s.presets_warmup_s, s.presets_measure_s, s.connections, rich[name])

    def series(name: str) -> list[Series]:
        return [rps[(name, key)] for key in labels]

    for rnd in ctx.rounds():
        for name, outcome in each_server(ctx, NAME, rnd, measured, series):
            if outcome.refused:
                rich[name] = False
                for key in (RICH_ONE, RICH_MANY):
                    rps[(name, key)].unavailable = "not measured: lacks the rule fields"
                    rps[(name, key)].note(outcome.refused)
                ctx.say(NAME, f"round {rnd} {name}: rich presets skipped, {outcome.refused}")
            if outcome.json_matched is False:
                rps[(name, RICH_MANY)].note(
                    "a body whose JSON differs from the rule's still matched: this server "
                    "does not match on JSON, the request matched on method, path and query"
                )
            for key, result in outcome.results.items():
                rps[(name, key)].add(result.rps)
                if name == "ours":
                    cpu[key].add(result.cpu_us_per_request)
                if result.problems():
                    rps[(name, key)].note(f"round {rnd}: wrk counted {result.problems()}")
                ctx.say(NAME, f"round {rnd} {name}, {labels[key]}: {result.summary()}")
    many = f"req/s, {n} rich presets, request hits the last"
    rows = [
        Row(TITLE, many, rps[("ours", RICH_MANY)], rps[("ours", PLAIN)], at_least_ratio(0.5), "3"),
        Row(TITLE, many, rps[("ours", RICH_MANY)], rps[("ours", RICH_ONE)]),
        Row(TITLE, "req/s, 1 rich preset", rps[("ours", RICH_ONE)], rps[("ours", PLAIN)]),
        Row(TITLE, "req/s, 1 rich preset", rps[("ours", RICH_ONE)], rps[("ours", PLAIN_POST)]),
        Row(TITLE, "server CPU per request", cpu[RICH_MANY], cpu[PLAIN]),
        Row(TITLE, "server CPU per request", cpu[RICH_ONE], cpu[PLAIN]),
        Row(TITLE, "server CPU per request", cpu[PLAIN_POST], cpu[PLAIN]),
    ]
    if ctx.before is not None:
        rows += [
            Row(
                TITLE, f"{many}, ours before", rps[("ours", RICH_MANY)], rps[("before", RICH_MANY)]
            ),
            *(
                Row(TITLE, f"req/s, {key}, ours before", rps[("ours", key)], rps[("before", key)])
                for key in (PLAIN, PLAIN_POST)
            ),
        ]
    return rows
