"""Pacing: a reply body sent in pieces over time, as a slow network or server sends it.

``{"chunks": N, "over": T}`` sends the body in ``N`` pieces of about equal size, the
``k``-th at ``k * T / N`` seconds after the head (the last at ``T``);
``{"bytes_per_second": B}`` sends it at ``B`` bytes a second, in pieces of a twentieth
of a second's worth. :func:`schedule` says what to send when; the server sends it.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import msgspec

from pretenders.server.core.errors import InvalidInput

MAX_CHUNKS = 10_000
"""The most pieces a body may be cut into (each is a write and a timer)."""
MAX_PACING = 3600.0
"""The longest a paced body may take to send, in seconds, as for ``after``."""
MAX_BYTES_PER_SECOND = 1 << 40
TICK = 0.05
"""Seconds' worth of bytes a bandwidth cap sends at a time."""


class PacingSpec(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    """``chunks`` and ``over`` together, or ``bytes_per_second`` alone."""

    chunks: int | None = None
    over: float | None = None
    """Seconds from the reply's head to its last piece."""
    bytes_per_second: int | None = None

    def describe(self) -> str:
        """In a few words, for the UI: ``4 chunks over 2 s``."""
        if self.bytes_per_second is not None:
            return f"{self.bytes_per_second} bytes/s"
        return f"{self.chunks} chunks over {self.over:g} s"


def check_pacing(spec: PacingSpec, body_size: int | None) -> None:
    """Refuse a pacing that is incomplete, mixed, or out of bounds, naming the field;
    ``body_size``: the body's bytes when known, to bound the time a cap takes."""
    if spec.bytes_per_second is not None:
        if spec.chunks is not None or spec.over is not None:
            raise InvalidInput(
                'pacing: give "chunks" and "over", or "bytes_per_second", not both',
                field="pacing",
            )
        rate = spec.bytes_per_second
        if not 1 <= rate <= MAX_BYTES_PER_SECOND:
            raise InvalidInput(
                f"pacing.bytes_per_second must be from 1 to {MAX_BYTES_PER_SECOND}, got {rate}",
                field="pacing.bytes_per_second",
            )
        if body_size is not None and body_size / rate > MAX_PACING:
            raise InvalidInput(
                f"pacing.bytes_per_second: {body_size} bytes at {rate} a second would take "
                f"{body_size / rate:.0f} s, over the {MAX_PACING:g} s a reply may take; "
                "raise the rate or shorten the body",
                field="pacing.bytes_per_second",
            )
        return
    if spec.chunks is None or spec.over is None:
        raise InvalidInput(
            'pacing: give "chunks" and "over" together, or "bytes_per_second"',
            field="pacing",
        )
    if not 1 <= spec.chunks <= MAX_CHUNKS:
        raise InvalidInput(
            f"pacing.chunks must be from 1 to {MAX_CHUNKS}, got {spec.chunks}",
            field="pacing.chunks",
        )
    if not math.isfinite(spec.over) or not 0 <= spec.over <= MAX_PACING:
        raise InvalidInput(
            f"pacing.over must be a number of seconds from 0 to {MAX_PACING:g}, got {spec.over:g}",
            field="pacing.over",
        )


def schedule(spec: PacingSpec, body: bytes) -> Iterator[tuple[float, bytes]]:
    """``(seconds after the head, piece)`` for each piece of ``body``, in order.

    The pieces join into ``body``; an empty piece only marks the time the reply ends.
    """
    size = len(body)
    if spec.bytes_per_second is not None:
        # Never longer than MAX_PACING, even for a body that grew since it was checked.
        rate = max(spec.bytes_per_second, size / MAX_PACING)
        step = max(1, int(rate * TICK))
        for start in range(0, size, step):
            end = min(start + step, size)
            yield end / rate, body[start:end]
        return
    assert spec.chunks is not None and spec.over is not None
    count, over = spec.chunks, spec.over
    for k in range(1, count + 1):
        yield over * k / count, body[size * (k - 1) // count : size * k // count]
