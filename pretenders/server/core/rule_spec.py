"""The rule language as data: what a preset's request side says, in one model.

The wire format (``POST /preset``'s ``rule``, count, wait and history filters), ``--load``
files, the OpenAPI document, the stores and near misses all use :class:`RuleSpec` as it
is; :class:`~pretenders.server.core.matching.MatchRule` compiles it. A new rule field is
added here, and compiled there: nothing else lists the fields.

Every field is optional and additive: a 1.4 rule (``rule``, ``headers``, ``body``,
``data``) means what it meant.
"""

from __future__ import annotations

from typing import Any

import msgspec

Scalar = str | int | float
"""A value given as plain text (1.4 clients passed numbers for header and form values)."""


class ValueSpec(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    """How one value (a query parameter, header, cookie, JSONPath or XPath result, part)
    must look. All the conditions given must hold; a plain string instead of this object
    means ``equals``."""

    equals: Any = msgspec.UNSET
    """Equal to this (text, or for JSONPath results any JSON value)."""
    matches: str | None = None
    """A regex that must match the whole value."""
    contains: str | None = None
    absent: bool | None = None
    """True: the value must not be there at all; false: it must be there, with any value."""
    gt: float | None = None
    ge: float | None = None
    lt: float | None = None
    le: float | None = None
    """Numeric comparisons (the value read as a number)."""
    any: list[Value] | None = None
    """At least one of these must hold."""
    all: list[Value] | None = None
    not_: Value | None = msgspec.field(default=None, name="not")
    """This must not hold."""


Value = Scalar | ValueSpec
"""A plain value (equal to it) or a :class:`ValueSpec`."""


class PartSpec(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    """One part of a ``multipart/form-data`` body that must be there."""

    name: str
    filename: Value | None = None
    content_type: Value | None = None
    content: Value | None = None
    """The part's content as text (UTF-8, bytes that are not shown as U+FFFD)."""


class RuleSpec(
    msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True, gc=False
):
    """The request side of a preset (or a history filter): every condition given must hold."""

    rule: str | None = ""
    """1.4: a regex ``re.match``-ed against ``"METHOD /path?query"``."""
    headers: dict[str, Value] | None = None
    """1.4: a header with exactly this value (a plain string); or a :class:`ValueSpec`."""
    body: str | None = None
    """1.4: a regex ``re.match``-ed against the body as text."""
    data: dict[str, Scalar] | None = None
    """1.4: the posted form fields, all of them, exactly."""
    method: str | None = None
    """The method, exactly (case-insensitive)."""
    path: str | None = None
    """A path template, e.g. ``/users/{id}``: the path below the mock, without the query,
    segment by segment; ``{name}`` takes one segment, ``{name*}`` the rest."""
    path_params: dict[str, Value] | None = None
    """Conditions on the template's parameters."""
    query: dict[str, Value | list[Value]] | None = None
    """Query parameters by name, in any order: one condition, or a list of them (each must
    match one of the parameter's values)."""
    cookies: dict[str, Value] | None = None
    host: Value | None = None
    """The host name the request is for: its ``Host`` header without the port, lowercased
    (the TLS name asked for, SNI, when there is no ``Host``)."""
    client_cert: Value | None = None
    """The subject of the certificate the client presented over HTTPS (RFC 4514,
    ``CN=alice``); ``{"absent": true}``: none was presented."""
    json: Any = msgspec.UNSET
    """The body parsed as JSON equals this (key order never matters)."""
    json_ignore_extra: bool = False
    """With ``json``: fields the request has beyond those given do not matter."""
    json_ignore_order: bool = False
    """With ``json``: array order does not matter."""
    jsonpath: dict[str, Value] | None = None
    """JSONPath expressions (RFC 9535) on the JSON body, each with a condition on the first
    value it selects (``{"absent": true}``: it selects nothing)."""
    json_schema: dict[str, Any] | None = None
    """The JSON body is valid against this JSON Schema."""
    xml: str | None = None
    """The body parsed as XML equals this, whatever the formatting."""
    xpath: dict[str, Value] | None = None
    """XPath expressions on the XML body, each with a condition on its first result."""
    namespaces: dict[str, str] | None = None
    """Prefixes for ``xpath``: prefix -> namespace URI."""
    parts: list[PartSpec] | None = None
    """Parts of a multipart body that must be there."""
    all: list[RuleSpec] | None = None
    """Every one of these rules must match too."""
    any: list[RuleSpec] | None = None
    """At least one of these rules must match."""
    not_: RuleSpec | None = msgspec.field(default=None, name="not")
    """This rule must not match."""

    @property
    def is_1_4(self) -> bool:
        """Whether only 1.4's fields are used."""
        return self == RuleSpec(self.rule, self.headers, self.body, self.data) and not any(
            isinstance(value, ValueSpec) for value in (self.headers or {}).values()
        )


EMPTY = RuleSpec()
