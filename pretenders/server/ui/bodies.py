"""Request bodies made readable: pretty JSON, text, form fields, or a hex view of bytes."""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from pretenders.server.core.matching import parse_form
from pretenders.server.ui.present import size_text

TEXT_LIMIT = 256 * 1024
"""Longer bodies are shown cut at this size (the whole body can be downloaded)."""
HEX_LIMIT = 4 * 1024
HEX_WIDTH = 16

Token = tuple[str, str]
"""A piece of pretty-printed JSON: (kind, text); kind is a CSS class suffix or ``""``."""


@dataclass(frozen=True)
class HexRow:
    offset: str
    hex: str
    text: str


@dataclass(frozen=True)
class BodyView:
    """How one body is shown."""

    kind: Literal["empty", "json", "text", "hex"]
    size: str
    tokens: tuple[Token, ...] = ()
    text: str = ""
    hex_rows: tuple[HexRow, ...] = ()
    form: tuple[tuple[str, str], ...] = field(default=())
    truncated: bool = False
    """Only the start of the body is shown."""


def body_view(body: bytes, content_type: str | None) -> BodyView:
    """Pick the most readable view of a body."""
    size = size_text(len(body))
    if not body:
        return BodyView("empty", size)
    content_type = content_type or ""
    text = _as_text(body[:TEXT_LIMIT], content_type, cut=len(body) > TEXT_LIMIT)
    if text is None:
        return BodyView(
            "hex", size, hex_rows=hex_rows(body[:HEX_LIMIT]), truncated=len(body) > HEX_LIMIT
        )
    truncated = len(body) > TEXT_LIMIT
    form = _form_fields(body, content_type)
    if not truncated and _looks_like_json(text, content_type):
        tokens = json_tokens(text)
        if tokens is not None:
            return BodyView("json", size, tokens=tokens, form=form)
    return BodyView("text", size, text=text, form=form, truncated=truncated)


def _as_text(body: bytes, content_type: str, cut: bool) -> str | None:
    """The body as text, or None when it is binary."""
    charset = _charset(content_type) or "utf-8"
    try:
        codecs.lookup(charset)
    except LookupError:
        charset = "utf-8"
    try:
        text = body.decode(charset)
    except UnicodeDecodeError as error:
        # A body cut at the limit may end inside a character: that is not binary.
        if not (cut and error.start >= len(body) - 3):
            return None
        text = body[: error.start].decode(charset)
    return None if "\x00" in text else text


def _charset(content_type: str) -> str | None:
    for parameter in content_type.split(";")[1:]:
        name, _, value = parameter.strip().partition("=")
        if name.lower() == "charset" and value:
            return value.strip('"').lower()
    return None


def _looks_like_json(text: str, content_type: str) -> bool:
    return "json" in content_type.lower() or text.lstrip()[:1] in ("{", "[")


def _form_fields(body: bytes, content_type: str) -> tuple[tuple[str, str], ...]:
    lowered = content_type.lower()
    if not lowered.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        return ()
    fields = parse_form(body, [content_type]) or {}
    return tuple(fields.items())


class _Number(str):
    """A JSON number, kept as written (``1.50`` stays ``1.50``)."""


class _Object(list[tuple[str, object]]):
    """A JSON object as its pairs: order and repeated keys are shown as sent."""


def json_tokens(text: str) -> tuple[Token, ...] | None:
    """Pretty-printed JSON as highlighted tokens, or None when ``text`` is not JSON."""
    try:
        value = json.loads(
            text,
            object_pairs_hook=_Object,
            parse_float=_Number,
            parse_int=_Number,
            parse_constant=_Number,
        )
        tokens: list[Token] = []
        _tokens(value, 0, tokens)
    except (ValueError, RecursionError):
        return None
    return tuple(tokens)


def _tokens(value: object, depth: int, out: list[Token]) -> None:
    if isinstance(value, _Object):
        _container("{", "}", value, depth, out)
    elif isinstance(value, list):
        _container("[", "]", [(None, item) for item in value], depth, out)
    elif isinstance(value, _Number):
        out.append(("n", str(value)))
    elif isinstance(value, str):
        out.append(("s", json.dumps(value, ensure_ascii=False)))
    else:
        out.append(("b", json.dumps(value)))


def _container(
    opening: str,
    closing: str,
    items: Iterable[tuple[str | None, object]],
    depth: int,
    out: list[Token],
) -> None:
    items = list(items)
    if not items:
        out.append(("p", opening + closing))
        return
    out.append(("p", opening))
    inner = "\n" + "  " * (depth + 1)
    for position, (key, item) in enumerate(items):
        out.append(("", inner))
        if key is not None:
            out.append(("k", json.dumps(key, ensure_ascii=False)))
            out.append(("p", ": "))
        _tokens(item, depth + 1, out)
        if position < len(items) - 1:
            out.append(("p", ","))
    out.append(("", "\n" + "  " * depth))
    out.append(("p", closing))


def hex_rows(data: bytes) -> tuple[HexRow, ...]:
    """A classic hex dump: offset, bytes in hex, printable ASCII."""
    rows = []
    for offset in range(0, len(data), HEX_WIDTH):
        chunk = data[offset : offset + HEX_WIDTH]
        rows.append(
            HexRow(
                offset=f"{offset:08x}",
                hex=" ".join(f"{byte:02x}" for byte in chunk),
                text="".join(chr(byte) if 32 <= byte < 127 else "." for byte in chunk),
            )
        )
    return tuple(rows)
