"""The rule keywords of ``when(...)`` and the verification helpers, and the wire JSON they
become: the flat fields of the server's rule model (``POST /preset``'s ``rule``, and the
count, wait and history filters).

A keyword is added here, in :class:`RuleKeywords` and :data:`WIRE_NAMES`; every client
method that takes a rule takes it through ``**fields: Unpack[RuleKeywords]``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypedDict

from pretenders.client.matchers import Part, Rule, ValueLike, rules_wire, value_wire


class RuleKeywords(TypedDict, total=False):
    """The rule fields past 1.4's ``rule``, ``headers``, ``body`` and ``data``; every one
    given must hold (see docs/matching.md)."""

    method: str
    """The method, exactly (any case)."""
    path: str
    """A path template below the mock, without the query: ``/users/{id}`` (``{name}``
    takes one segment, ``{name*}`` the rest), the whole path."""
    path_params: Mapping[str, ValueLike]
    """Conditions on the template's parameters: ``{"id": m.regex(r"\\d+")}``."""
    query: Mapping[str, ValueLike | Sequence[ValueLike]]
    """Query parameters by name, in any order; a list: each must match one of the values."""
    cookies: Mapping[str, ValueLike]
    """Cookies by name."""
    host: ValueLike
    """The host name the request is for (``Host`` without the port, lowercased, or the
    TLS name asked for): ``"api.example.com"`` or ``m.regex(r".*\\.example\\.com")``."""
    client_cert: ValueLike
    """The subject of the client's HTTPS certificate: ``"CN=alice"``, ``m.absent()``."""
    json: Any
    """The body parsed as JSON equals this (key order never matters)."""
    json_partial: bool
    """With ``json``: fields the request has beyond those given do not matter."""
    json_any_order: bool
    """With ``json``: array order does not matter."""
    jsonpath: Mapping[str, Any]
    """JSONPath (RFC 9535) -> a plain value or matcher for the first value it selects."""
    json_schema: Mapping[str, Any]
    """The JSON body is valid against this JSON Schema."""
    xml: str
    """The body parsed as XML equals this, whatever the formatting."""
    xpath: Mapping[str, ValueLike]
    """XPath -> a plain value or matcher for its first result."""
    namespaces: Mapping[str, str]
    """Prefixes used by ``xpath``: prefix -> namespace URI."""
    parts: Sequence[Part | Mapping[str, Any]]
    """Parts a multipart body must have: ``[m.part("file", filename="a.txt")]``."""
    all_of: Sequence[Rule | Mapping[str, Any]]
    """Every one of these rules (``m.rule(...)``) must match too."""
    any_of: Sequence[Rule | Mapping[str, Any]]
    """At least one of these rules must match."""
    not_: Rule | Mapping[str, Any]
    """This rule must not match."""


WIRE_NAMES = {
    "method": "method",
    "path": "path",
    "path_params": "path_params",
    "query": "query",
    "cookies": "cookies",
    "host": "host",
    "client_cert": "client_cert",
    "json": "json",
    "json_partial": "json_ignore_extra",
    "json_any_order": "json_ignore_order",
    "jsonpath": "jsonpath",
    "json_schema": "json_schema",
    "xml": "xml",
    "xpath": "xpath",
    "namespaces": "namespaces",
    "parts": "parts",
    "all_of": "all",
    "any_of": "any",
    "not_": "not",
}
"""Each keyword and the wire field it sets."""


def rule_wire(
    rule: str,
    headers: Mapping[str, ValueLike] | None,
    body: str | None,
    data: Mapping[str, Any] | None,
    fields: Mapping[str, Any],
    *,
    nested: bool = False,
) -> dict[str, Any]:
    """The rule as the server takes it. 1.4's four fields are always there at the top (as
    the 1.4 client sent them); a nested rule, and the newer fields, only when given."""
    wire: dict[str, Any] = {
        "rule": rule,
        "headers": {name: value_wire(value) for name, value in headers.items()}
        if headers
        else None,
        "body": body,
        "data": dict(data) if data else None,
    }
    if nested:
        wire = {name: value for name, value in wire.items() if value}
    for name, value in fields.items():
        if name not in WIRE_NAMES:
            raise TypeError(
                f"unknown rule keyword {name!r}; the rule keywords are "
                + ", ".join(["rule", "headers", "body", "data", *WIRE_NAMES])
            )
        wire[WIRE_NAMES[name]] = _field_wire(name, value)
    return wire


def _field_wire(name: str, value: Any) -> Any:
    if name in ("path_params", "cookies", "xpath", "jsonpath"):
        return {key: value_wire(item) for key, item in value.items()}
    if name in ("host", "client_cert"):
        return value_wire(value)
    if name == "query":
        return {key: _query_wire(item) for key, item in value.items()}
    if name == "parts":
        return [dict(item.wire if isinstance(item, Part) else item) for item in value]
    if name in ("all_of", "any_of"):
        return rules_wire(value)
    if name == "not_":
        return rules_wire([value])[0]
    if name in ("json_schema", "namespaces"):
        return dict(value)
    return value


def _query_wire(value: Any) -> Any:
    """One condition, or a list of them (each met by one of the parameter's values)."""
    if isinstance(value, (list, tuple)):
        return [value_wire(item) for item in value]
    return value_wire(value)
