"""Reply delays drawn from a distribution: fixed, uniform, or log-normal.

``"delay": {"lognormal": {"median": 0.05, "sigma": 0.5}}`` on a reply makes each request
wait a time drawn afresh, as real services do (most answers quick, a long tail). The
drawn time is recorded with the request. ``"seed": n`` beside the distribution makes the
draws repeatable: the same seed gives the same times, in the same order, from the
preset's first request on (in each server process: processes sharing a store each draw
their own sequence).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable

import msgspec

from pretenders.server.core.errors import InvalidInput

MAX_DELAY = 3600.0
"""The longest a drawn delay may be, in seconds, as for ``after``: longer draws are cut
to it (a log-normal's tail is unbounded)."""
MAX_SIGMA = 5.0
"""The largest log-normal ``sigma``: beyond it, the tail is all cut at :data:`MAX_DELAY`."""


class LogNormalSpec(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A log-normal delay: half the draws below ``median`` seconds; ``sigma`` the spread
    (the standard deviation of the delay's natural logarithm)."""

    median: float
    sigma: float


class DelaySpec(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    """One of ``fixed``, ``uniform`` or ``lognormal``, and an optional ``seed``."""

    fixed: float | None = None
    """Seconds, always the same."""
    uniform: tuple[float, float] | None = None
    """``[low, high]`` seconds, every time between equally likely."""
    lognormal: LogNormalSpec | None = None
    seed: int | None = None
    """Makes the draws repeatable (for tests); none: a fresh random sequence."""

    def describe(self) -> str:
        """In a few words, for the UI: ``uniform 0.1 to 0.3 s``."""
        if self.fixed is not None:
            return f"fixed {self.fixed:g} s"
        if self.uniform is not None:
            return f"uniform {self.uniform[0]:g} to {self.uniform[1]:g} s"
        if self.lognormal is not None:
            return f"log-normal, median {self.lognormal.median:g} s, sigma {self.lognormal.sigma:g}"
        return "none"


class Delay:
    """A checked :class:`DelaySpec` and its random generator: :meth:`draw` gives seconds."""

    __slots__ = ("_draw", "_random", "spec")

    def __init__(self, spec: DelaySpec) -> None:
        self.spec = spec
        self._random = random.Random(spec.seed)
        self._draw: Callable[[], float]
        given = [
            name for name in ("fixed", "uniform", "lognormal") if getattr(spec, name) is not None
        ]
        if len(given) != 1:
            raise InvalidInput(
                'delay: give exactly one of "fixed", "uniform" or "lognormal", got '
                + (", ".join(given) if given else "none"),
                field="delay",
            )
        if spec.fixed is not None:
            fixed = _seconds(spec.fixed, "delay.fixed")
            self._draw = lambda: fixed
        elif spec.uniform is not None:
            low = _seconds(spec.uniform[0], "delay.uniform")
            high = _seconds(spec.uniform[1], "delay.uniform")
            if low > high:
                raise InvalidInput(
                    f"delay.uniform: [low, high] with low <= high, got [{low:g}, {high:g}]",
                    field="delay.uniform",
                )
            uniform = self._random.uniform
            self._draw = lambda: uniform(low, high)
        else:
            assert spec.lognormal is not None
            median = _seconds(spec.lognormal.median, "delay.lognormal.median")
            sigma = spec.lognormal.sigma
            if not math.isfinite(sigma) or not 0 <= sigma <= MAX_SIGMA:
                raise InvalidInput(
                    f"delay.lognormal.sigma must be from 0 to {MAX_SIGMA:g}, got {sigma:g}",
                    field="delay.lognormal.sigma",
                )
            if median == 0:
                self._draw = lambda: 0.0
            else:
                mu = math.log(median)
                lognormal = self._random.lognormvariate
                self._draw = lambda: lognormal(mu, sigma)

    def draw(self) -> float:
        """Seconds to wait before this reply, from 0 to :data:`MAX_DELAY`."""
        return min(self._draw(), MAX_DELAY)


def _seconds(value: float, field: str) -> float:
    if not math.isfinite(value) or not 0 <= value <= MAX_DELAY:
        raise InvalidInput(
            f"{field} must be a number of seconds from 0 to {MAX_DELAY:g}, got {value:g}",
            field=field,
        )
    return value
