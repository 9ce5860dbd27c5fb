"""Text templates rendered with a request's data (Jinja2's sandbox).

A minimal engine: :func:`check_template` when a preset is added, :func:`request_context`
and :func:`render_text` when it is used. ``request`` holds ``method``, ``path``, ``query``
(first value of each name), ``headers`` (any case), ``body`` (text) and ``json`` (parsed,
or None); ``uuid()`` gives a fresh UUID.
"""

from __future__ import annotations

import functools
import json
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import jinja2
from jinja2.sandbox import SandboxedEnvironment
from multidict import CIMultiDict

from pretenders.server.core.errors import InvalidInput
from pretenders.server.core.records import RequestRecord

MAX_OUTPUT = 1024 * 1024
"""The most characters one render may give."""

_ENVIRONMENT = SandboxedEnvironment(autoescape=False, undefined=jinja2.StrictUndefined)
_ENVIRONMENT.globals["uuid"] = lambda: str(uuid.uuid4())


@dataclass(frozen=True, slots=True)
class TemplateContext:
    """What a template sees: ``request``, plus the engine's helpers."""

    request: dict[str, Any]


class RenderError(Exception):
    """A template failed at render time (the message says why)."""


@functools.lru_cache(maxsize=1024)
def _compiled(source: str) -> jinja2.Template:
    return _ENVIRONMENT.from_string(source)


def check_template(source: str, field: str) -> None:
    """Refuse a template that does not compile, naming the field."""
    try:
        _compiled(source)
    except jinja2.TemplateSyntaxError as error:
        raise InvalidInput(
            f"{field}: not a valid template (line {error.lineno}): {error.message}", field=field
        ) from None


def request_context(record: RequestRecord) -> TemplateContext:
    """The context of a template rendered for the request ``record``."""
    parts = urlsplit(record.url)
    text = record.body.decode("utf-8", errors="replace")
    try:
        parsed: Any = json.loads(text) if text else None
    except ValueError:
        parsed = None
    query: dict[str, str] = {}
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        query.setdefault(name, value)
    request = {
        "method": record.method,
        "path": parts.path,
        "query": query,
        "headers": CIMultiDict(record.headers),
        "body": text,
        "json": parsed,
    }
    return TemplateContext(request=request)


def render_text(source: str, context: TemplateContext) -> str:
    """``source`` rendered with ``context`` (:class:`RenderError` says why it failed)."""
    try:
        text = _compiled(source).render(request=context.request)
    except jinja2.TemplateError as error:
        raise RenderError(f"{type(error).__name__}: {error}") from None
    except (ArithmeticError, LookupError, TypeError, ValueError) as error:
        raise RenderError(f"{type(error).__name__}: {error}") from None
    if len(text) > MAX_OUTPUT:
        raise RenderError(f"the rendered text is over {MAX_OUTPUT} characters")
    return text
