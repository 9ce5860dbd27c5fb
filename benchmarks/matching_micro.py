"""Micro benchmark of the matching core: one rule against one request, and the near-miss
explanation of an unmatched request to a mock with many presets.

Run from the repository root: ``python benchmarks/matching_micro.py``. To compare with
another checkout, put its root first on the path:
``PYTHONPATH=/path/to/other/checkout python benchmarks/matching_micro.py``.
"""

from __future__ import annotations

import time
import timeit

import pretenders
from pretenders.common.constants import FOREVER
from pretenders.server.core.matching import MatchRule, MatchSubject
from pretenders.server.core.near_miss import closest_presets
from pretenders.server.core.presets import PresetQueue, Reply
from pretenders.server.core.records import RequestRecord

RULES = {
    "literal": ("GET /hello", "GET", "/hello"),
    "literal$": ("GET /item/999$", "GET", "/item/999"),
    "regex": ("GET /item/[0-9]+$", "GET", "/item/12345"),
    "regex+body": ("POST /orders", "POST", "/orders"),
}


def per_call(rule: MatchRule, method: str, url: str, body: bytes = b"") -> float:
    """Microseconds per ``matches`` of a fresh subject (the request's own cost included)."""
    record = RequestRecord(method=method, url=url, headers=(), body=body, time=0.0)
    number = 200_000

    def run() -> bool:
        return rule.matches(MatchSubject(record))

    assert run()
    return min(timeit.repeat(run, number=number, repeat=5)) / number * 1e6


def near_miss_seconds(count: int) -> float:
    """One unmatched request against ``count`` presets that have no literal prefix."""
    queue = PresetQueue()
    for number in range(count):
        queue.add(MatchRule(f"(GET|PUT) /item/{number}$"), Reply(), FOREVER)
    record = RequestRecord(method="GET", url="/nothing", headers=(), body=b"", time=0.0)
    subject = MatchSubject(record)
    started = time.perf_counter()
    assert queue.take(subject) is None
    closest_presets(queue, subject)
    return time.perf_counter() - started


def main() -> None:
    print(f"pretenders from {pretenders.__file__}")
    for name, (rule, method, url) in RULES.items():
        if name == "regex+body":
            matcher = MatchRule(rule, body='.*"qty": [0-9]+')
            took = per_call(matcher, method, url, b'{"id": 1, "qty": 2}')
        else:
            took = per_call(MatchRule(rule), method, url)
        print(f"{name:12} {rule!r:24} {took:6.2f} us per match")
    for count in (1_000, 20_000):
        print(f"unmatched request, {count} presets: {near_miss_seconds(count) * 1000:8.1f} ms")


if __name__ == "__main__":
    main()
