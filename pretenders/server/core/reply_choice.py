"""Sequences and choice: a preset with several replies, served in order or picked.

``sequence`` serves them in order and then the last one again; ``cycle`` starts over
after the last; ``random`` picks each time by weight. The Nth use of a preset (its
served count, counted atomically by the store) gives the Nth reply of a sequence or a
cycle, so every process sharing a store serves the same reply for the same use. Random
picks are drawn in the process serving (seeded by the preset's ``seed``, when given, so
a test can count on the draws).
"""

from __future__ import annotations

import bisect
import itertools
import math
import random
from typing import Literal

from pretenders.server.core.errors import InvalidInput
from pretenders.server.core.presets import Reply

Pick = Literal["sequence", "cycle", "random"]
PICKS: tuple[str, ...] = ("sequence", "cycle", "random")
MAX_REPLIES = 1000
"""The most replies one preset may list."""
MAX_WEIGHT = 1_000_000.0


def check_weight(weight: float, field: str) -> float:
    if not math.isfinite(weight) or not 0 < weight <= MAX_WEIGHT:
        raise InvalidInput(
            f"{field} must be a positive number up to {MAX_WEIGHT:g}, got {weight:g}",
            field=field,
        )
    return weight


class Choice:
    """A preset's replies and how each use picks one of them."""

    __slots__ = ("_cumulative", "_rng", "pick", "replies", "seed", "weights")

    def __init__(
        self,
        replies: tuple[Reply, ...],
        pick: str = "sequence",
        weights: tuple[float, ...] = (),
        seed: int | None = None,
    ) -> None:
        if not replies:
            raise InvalidInput("replies must list at least one reply", field="replies")
        if len(replies) > MAX_REPLIES:
            raise InvalidInput(
                f"replies may list at most {MAX_REPLIES} replies, got {len(replies)}",
                field="replies",
            )
        if pick not in PICKS:
            raise InvalidInput(
                f"pick must be sequence, cycle or random, got {pick!r}", field="pick"
            )
        if seed is not None and pick != "random":
            raise InvalidInput('seed only applies to "pick": "random"', field="seed")
        self.replies = replies
        self.pick = pick
        self.weights = weights or (1.0,) * len(replies)
        if len(self.weights) != len(replies):
            raise InvalidInput("one weight per reply", field="replies")
        for number, weight in enumerate(self.weights):
            check_weight(weight, f"replies[{number}].weight")
        self.seed = seed
        self._cumulative = list(itertools.accumulate(self.weights))
        self._rng = random.Random(seed)

    def draw(self) -> int:
        """A random reply's index, by weight."""
        total = self._cumulative[-1]
        found = bisect.bisect_right(self._cumulative, self._rng.random() * total)
        return min(found, len(self.replies) - 1)

    def index(self, served: int) -> int:
        """The index of the reply for the ``served``-th use (from 1) of the preset."""
        if self.pick == "sequence":
            return min(served, len(self.replies)) - 1
        if self.pick == "cycle":
            return (served - 1) % len(self.replies)
        return self.draw()
