"""What the converters share: the result of one stub, and small builders of our rules."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

MAX_STUBS = 10_000
"""The most stubs one import converts (a larger set: split it)."""


@dataclass
class Converted:
    """One stub of the other tool: the preset it became (our wire JSON), or None when it
    could not become one, and what of it could not be mapped."""

    stub: str
    """How the stub is named in messages: its name or id, else its position."""
    preset: dict[str, Any] | None
    unmapped: list[str] = field(default_factory=list)


def guarded(convert: Callable[..., Converted], label: str, *args: Any) -> Converted:
    """``convert(*args)``, or a stub not imported when its values are not of the types
    the other tool's format gives them (a status that is not a number, say)."""
    try:
        return convert(*args)
    except (TypeError, ValueError, AttributeError, KeyError) as error:
        return Converted(label, None, [f"not read: {type(error).__name__}: {error}"])


def b64(data: bytes | str) -> str:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return base64.b64encode(raw).decode("ascii")


def json_text(value: Any) -> str:
    """A JSON body as text (objects and arrays given inline by the other tool)."""
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


def whole(pattern: str) -> str:
    """A regex matched as a whole by ``re.match`` (our 1.4 ``rule`` and ``body``)."""
    return f"(?:{pattern})\\Z"


def literal(text: str) -> str:
    """A regex matching exactly ``text``, as a whole."""
    return re.escape(text) + "\\Z"


def searched(pattern: str) -> str:
    """A regex found anywhere in the text (JavaScript's ``test``, WireMock's ``contains``)."""
    return f"(?s:.*?)(?:{pattern})"


def flagged(flags: str, pattern: str) -> str:
    """``pattern`` under inline ``flags`` (``i``, ``s``), scoped to it: our matchers wrap
    patterns, where a global ``(?i)`` would not be at the start."""
    return f"(?{flags}:{pattern})" if flags else pattern


def merge_rules(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """One rule requiring every part: merged field by field where they do not overlap,
    the others under ``all``."""
    merged: dict[str, Any] = {}
    rest: list[dict[str, Any]] = []
    for part in parts:
        if any(key in merged for key in part) or "all" in part:
            rest.append(part)
        else:
            merged.update(part)
    if rest:
        merged.setdefault("all", []).extend(rest)
    return merged


def load_entry(preset: dict[str, Any]) -> dict[str, Any]:
    """A wire preset as a ``--load`` file writes it: bodies as text (``body_base64`` when
    they are not UTF-8), in the preset and in each of its ``replies``."""
    entry = _text_body(preset)
    if isinstance(entry.get("replies"), list):
        entry["replies"] = [_text_body(reply) for reply in entry["replies"]]
    return entry


def _text_body(reply: dict[str, Any]) -> dict[str, Any]:
    entry = dict(reply)
    encoded = entry.pop("body", None)
    if encoded:
        raw = base64.b64decode(encoded)
        try:
            entry["body"] = raw.decode("utf-8")
        except UnicodeDecodeError:
            entry["body_base64"] = encoded
    return entry
