"""Constants of the 1.4 API."""

from typing import Final, Literal

FOREVER: Final = "FOREVER"
"""Use as ``times=FOREVER`` for a preset that is never used up, or as a mock timeout."""

Forever = Literal["FOREVER"]

__all__ = ["FOREVER", "Forever"]
