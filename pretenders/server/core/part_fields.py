"""Matchers of ``parts``: parts of a ``multipart/form-data`` body, by name, with conditions
on their filename, Content-Type and content.

The body is read into parts at most once per request (``MatchSubject.parts``, shared with
1.4's ``data``), and only when a preset with ``parts`` (or ``data``) is tried.

``content_type`` is compared with the part's media type alone, lower-cased
(``text/plain`` for ``text/plain; charset=utf-8``), unless the condition itself names
parameters (a ``;`` or ``=`` in its text): then with the header as sent. A part without a
Content-Type header has none (``{"absent": true}`` holds), whatever RFC 7578's default.
"""

from __future__ import annotations

from collections.abc import Callable

import msgspec

from pretenders.server.core.errors import InvalidInput
from pretenders.server.core.matching import NOT_MULTIPART, Matcher, MatchSubject
from pretenders.server.core.multipart import Part
from pretenders.server.core.records import Difference
from pretenders.server.core.rule_spec import PartSpec, RuleSpec, Value, ValueSpec
from pretenders.server.core.values import MISSING, ValueCondition, shown

_PREVIEW = 200


def _preview(text: str) -> str:
    """Text cut for a near miss, which history keeps (a whole upload would stay there)."""
    return text if len(text) <= _PREVIEW else text[:_PREVIEW] + "..."


def compile_fields(spec: RuleSpec, timeout: float) -> list[Matcher]:
    """One matcher per part ``spec`` asks for."""
    return [PartMatcher(part, timeout) for part in spec.parts or ()]


Reader = Callable[[Part], object]


class PartMatcher:
    """A part with this name, meeting every condition given on it. With several parts of
    that name, one of them must meet them all."""

    __slots__ = ("checks", "field", "name")

    def __init__(self, spec: PartSpec, timeout: float) -> None:
        if not spec.name:
            raise InvalidInput("parts: a part needs a name", field="parts")
        self.name = spec.name
        self.field = f"part {spec.name}"
        checks: list[tuple[str, Reader, ValueCondition]] = []
        for attribute, value, reader in (
            ("filename", spec.filename, _filename),
            ("content_type", spec.content_type, _content_type_reader(spec.content_type)),
            ("content", spec.content, _content),
        ):
            if value is not None:
                condition = ValueCondition(value, f"parts.{spec.name}.{attribute}", timeout)
                checks.append((attribute, reader, condition))
        self.checks = tuple(checks)

    def difference(self, subject: MatchSubject) -> Difference | None:
        parts = subject.parts
        if parts is None:
            return Difference(self.field, f"a part named {self.name}", NOT_MULTIPART)
        first: Difference | None = None
        for part in parts:
            if part.name != self.name:
                continue
            missed = self._missed(part)
            if missed is None:
                return None
            first = first or missed
        return first or Difference(self.field, f"a part named {self.name}", "(absent)")

    def _missed(self, part: Part) -> Difference | None:
        for attribute, reader, condition in self.checks:
            actual = reader(part)
            problem = condition.problem(actual)
            if problem is not None:
                return Difference(f"{self.field} {attribute}", problem, _preview(shown(actual)))
        return None


def _filename(part: Part) -> object:
    return part.filename if part.filename is not None else MISSING


def _content(part: Part) -> object:
    return part.text


def _full_content_type(part: Part) -> object:
    return part.content_type if part.content_type is not None else MISSING


def _media_type(part: Part) -> object:
    media_type = part.media_type
    return media_type if media_type is not None else MISSING


def _content_type_reader(value: Value | None) -> Reader:
    return _full_content_type if value is not None and _names_parameters(value) else _media_type


def _names_parameters(value: Value) -> bool:
    """Whether a condition's text has a ``;`` or ``=``: it is about the parameters too."""
    if not isinstance(value, ValueSpec):
        return ";" in str(value) or "=" in str(value)
    texts = [value.matches, value.contains]
    if value.equals is not msgspec.UNSET:
        texts.append(str(value.equals))
    nested = [*(value.any or ()), *(value.all or ())]
    if value.not_ is not None:
        nested.append(value.not_)
    return any(text is not None and (";" in text or "=" in text) for text in texts) or any(
        _names_parameters(inner) for inner in nested
    )
