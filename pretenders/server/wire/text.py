"""The wire's human text: times as 1.4 wrote them, text fit to show, the field an error
names, and what a wait says when it ends."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from pretenders.common.constants import FOREVER
from pretenders.server.core.registry import Timeout


def format_time(seconds: float) -> str:
    """``YYYY-MM-DD HH:MM:SS.ffffff`` in local time, as 1.4 wrote ``str(datetime)``."""
    return datetime.fromtimestamp(seconds).strftime("%Y-%m-%d %H:%M:%S.%f")


def format_timeout(timeout: Timeout) -> str:
    """``str(timedelta)`` (``"0:02:00"``) or ``"FOREVER"``.

    Past a day, hours keep counting (``"26:00:00"``) instead of ``"1 day, 2:00:00"``,
    which the 1.4 client could not parse.
    """
    if timeout is None:
        return FOREVER
    delta = timedelta(seconds=timeout)
    if delta.days == 0:
        return str(delta)
    hours = delta.days * 24 + delta.seconds // 3600
    rest = timedelta(seconds=delta.seconds % 3600, microseconds=delta.microseconds)
    return f"{hours}:{str(rest).split(':', 1)[1]}"


def clean(text: str) -> str:
    """Undecodable bytes (kept as surrogates by the HTTP parser) shown as U+FFFD."""
    if text.isascii():
        return text
    return text.encode("utf-8", errors="surrogateescape").decode("utf-8", errors="replace")


_AT_PATH = re.compile(r" - at `\$\.?([^`]*)`$")


def field_of_error(text: str) -> tuple[str | None, str]:
    """The field a msgspec validation error is about, and its message without the path:
    ``"Expected `int`, got `str` - at `$.status`"`` -> ``("status", "Expected ...")``."""
    found = _AT_PATH.search(text)
    field = (found.group(1) or None) if found else None
    return field, _AT_PATH.sub("", text)


def wait_message(protocol: str, met: bool, seen: int, wanted: int, timeout: float) -> str:
    """How a wait ended, in a sentence: ``got 2 matching requests (wanted 2)``."""
    kind = "mails" if protocol == "smtp" else "requests"
    if met:
        return f"got {seen} matching {kind if seen != 1 else kind[:-1]} (wanted {wanted})"
    return f"timed out after {timeout:g} s with {seen} of {wanted} matching {kind}"
