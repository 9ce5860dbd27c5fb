"""Scenario 5: concurrent requests to a preset with a reply delay (``after``)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from functools import partial

import aiohttp

from benchmarks.api import Api, expect_reply
from benchmarks.context import Context
from benchmarks.servers import ServerSpec, running
from benchmarks.stats import Row, Series, at_most

NAME = "delays"
TITLE = "5. Delays"
SLOW = b"slow"


@dataclass(frozen=True)
class Burst:
    """How a burst of concurrent requests went."""

    sent: int
    answered: int
    wall_s: float

    @property
    def complete(self) -> bool:
        return self.answered == self.sent


async def _burst(url: str, count: int, timeout_s: float) -> Burst:
    """Send ``count`` GETs at once, each on its own connection; wait at most ``timeout_s``."""
    loop = asyncio.get_running_loop()
    connector = aiohttp.TCPConnector(limit=0, force_close=True)
    timeout = aiohttp.ClientTimeout(total=timeout_s)

    async def one(session: aiohttp.ClientSession) -> float | None:
        try:
            async with session.get(url) as resp:
                body = await resp.read()
        except (TimeoutError, aiohttp.ClientError):
            return None
        return loop.time() if resp.status == 200 and body == SLOW else None

    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        start = loop.time()
        done = await asyncio.gather(*(one(session) for _ in range(count)))
        end = loop.time()
    answered = [t for t in done if t is not None]
    wall = max(answered) - start if len(answered) == count else end - start
    return Burst(count, len(answered), wall)


def measure(spec: ServerSpec, count: int, after_s: int, timeout_s: float) -> Burst:
    """Preset a FOREVER reply delayed by ``after_s`` and fire ``count`` requests at it."""
    with running(spec) as server, Api(server.port) as api:
        mock = api.create_http_mock()
        api.add_preset(mock.id, "GET /now", b"now")
        api.add_preset(mock.id, "GET /slow", SLOW, after=after_s)
        expect_reply(api, f"{mock.path}/now", b"now")
        return asyncio.run(_burst(server.url(f"{mock.path}/slow"), count, timeout_s))


def run(ctx: Context) -> list[Row]:
    """Round by round: 1.4.5 (capped), then ours."""
    s = ctx.settings
    n, after = s.delay_concurrency, s.delay_after_s
    series = {"1.4.5": Series("1.4.5", "s"), "ours": ctx.ours_series("s")}
    n145 = s.ref145_delay_concurrency
    if n145 == 0:
        series["1.4.5"].unavailable = "skipped in --quick"
        series["1.4.5"].note("skipped in --quick: 1.4.5 answers delayed requests one at a time")
    elif n145 != n:
        series["1.4.5"].note(f"1.4.5 measured with {n145} concurrent requests")
    plan = [
        ("1.4.5", ctx.ref145, n145, s.ref145_delay_timeout_s),
        ("ours", ctx.ours, n, after + 10.0),
    ]
    for rnd in ctx.rounds():
        for name, spec, count, timeout_s in plan:
            if count == 0 or (name == "ours" and not ctx.have_ours):
                continue
            burst = ctx.guard(
                NAME,
                f"round {rnd} {name}",
                partial(measure, spec, count, after, timeout_s),
                series[name],
            )
            if burst is None:
                continue
            series[name].add(burst.wall_s)
            if not burst.complete:
                series[name].note(
                    f"capped at {timeout_s:g} s: {burst.answered} of "
                    f"{burst.sent} answered (value is a lower bound)"
                )
            ctx.say(
                NAME,
                f"round {rnd} {name}: {burst.answered}/{burst.sent} answered, "
                f"wall {burst.wall_s:.3f} s",
            )
    return [
        Row(
            TITLE,
            f"wall time, {n} concurrent requests, after={after}",
            series["ours"],
            series["1.4.5"],
            at_most(1.1),
        ),
    ]
