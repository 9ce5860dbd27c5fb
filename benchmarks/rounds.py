"""Rounds that measure ours beside ours before a change (``--before-src``): the servers of a
round, the series kept per server and measured key, and the wrk runs against each mock."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TypeVar

from benchmarks import wrk
from benchmarks.api import Api
from benchmarks.context import Context
from benchmarks.servers import RunningServer, ServerSpec
from benchmarks.stats import Row, Series

T = TypeVar("T")

SUBJECTS = ("ours", "before")
"""Our server, and ours before a change."""


def each_server(
    ctx: Context,
    scenario: str,
    rnd: int,
    measure: Callable[[str, ServerSpec], T],
    series: Callable[[str], Iterable[Series]],
) -> Iterator[tuple[str, T]]:
    """One round: ours before a change (if given), then ours, each measured by
    ``measure(name, spec)``; yields each server's name and outcome. A failed measurement is
    recorded on ``series(name)`` and left out, and so is ours when it cannot be imported."""
    plan = [("ours", ctx.ours)]
    if ctx.before is not None:
        plan.insert(0, ("before", ctx.before))
    for name, spec in plan:
        if name == "ours" and not ctx.have_ours:
            continue
        outcome = ctx.guard(
            scenario, f"round {rnd} {name}", partial(measure, name, spec), *series(name)
        )
        if outcome is not None:
            yield name, outcome


@dataclass(frozen=True)
class Target:
    """One mock to load: the key its result is kept under, the URL, the mock (its history
    is reset around the measurement) and the request, when not a plain GET."""

    key: str
    url: str
    mock_id: str
    request: wrk.Request | None = None


def load_each(
    server: RunningServer,
    api: Api,
    targets: Sequence[Target],
    warmup_s: float,
    measure_s: float,
    connections: int,
) -> dict[str, wrk.WrkResult]:
    """Warm each target up, then measure it with the server's processor time, its mock's
    history emptied before and after."""
    results: dict[str, wrk.WrkResult] = {}
    for target in targets:
        url, request = target.url, target.request
        wrk.run(url, warmup_s, connections=connections, request=request)
        api.reset_history(target.mock_id)
        results[target.key] = wrk.measured(
            url, measure_s, server.cpu_seconds, connections=connections, request=request
        )
        api.reset_history(target.mock_id)
    return results


@dataclass
class KeyedSeries:
    """Req/s and p99 per server (:data:`SUBJECTS`) and measured key; our server's processor
    time per request per key."""

    keys: tuple[str, ...]
    rps: dict[tuple[str, str], Series]
    p99: dict[tuple[str, str], Series]
    cpu: dict[str, Series]

    @classmethod
    def create(cls, ctx: Context, keys: tuple[str, ...]) -> KeyedSeries:
        rps = {(n, k): Series(f"{n}, {k}", "req/s") for n in SUBJECTS for k in keys}
        p99 = {(n, k): Series(f"{n}, {k}", "ms") for n in SUBJECTS for k in keys}
        cpu = {k: Series(f"ours, {k}", "µs") for k in keys}
        for key in keys:
            rps[("ours", key)] = ctx.ours_series("req/s", f"ours, {key}")
            p99[("ours", key)] = ctx.ours_series("ms", f"ours, {key}")
        return cls(keys, rps, p99, cpu)

    def of(self, name: str) -> list[Series]:
        """One server's series, where a failed round is recorded."""
        return [series[(name, key)] for series in (self.rps, self.p99) for key in self.keys]

    def skip(self, name: str, key: str, unavailable: str, why: str) -> None:
        """A key one server did not measure, and why."""
        for series in (self.rps[(name, key)], self.p99[(name, key)]):
            series.unavailable = unavailable
            series.note(why)

    def add(
        self,
        ctx: Context,
        scenario: str,
        rnd: int,
        name: str,
        results: dict[str, wrk.WrkResult],
    ) -> None:
        """One server's results of a round, each reported as it is added."""
        for key, result in results.items():
            self.rps[(name, key)].add(result.rps)
            self.p99[(name, key)].add(result.p99_ms)
            if name == "ours":
                self.cpu[key].add(result.cpu_us_per_request)
            if result.problems():
                self.rps[(name, key)].note(f"round {rnd}: wrk counted {result.problems()}")
            ctx.say(scenario, f"round {rnd} {name}, {key}: {result.summary()}")

    def before_rows(self, ctx: Context, title: str) -> list[Row]:
        """Req/s of ours against ours before a change, per key (none without one)."""
        if ctx.before is None:
            return []
        return [
            Row(
                title,
                f"req/s, {key}, ours before",
                self.rps[("ours", key)],
                self.rps[("before", key)],
            )
            for key in self.keys
        ]
