"""``json_schema`` rules: the JSON body is valid against a JSON Schema (jsonschema), with
nothing ever fetched and the schema's regexes time-limited."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator, Mapping
from typing import Any, Final
from urllib.parse import urlsplit

from jsonschema import exceptions as schema_exceptions
from jsonschema import validators
from jsonschema.protocols import Validator
from referencing import Registry
from referencing.exceptions import NoSuchResource, Unresolvable

from pretenders.server.core import patterns as _patterns
from pretenders.server.core.errors import InvalidInput
from pretenders.server.core.json_fields import (
    NOT_JSON_BODY,
    RegexBudget,
    cut,
    gave_up_difference,
    json_of,
    member_path,
    shown_json,
)
from pretenders.server.core.matching import NOT_JSON, TOO_DEEP, MatchSubject
from pretenders.server.core.patterns import GaveUp, Pattern
from pretenders.server.core.records import Difference


def _no_retrieval(uri: str) -> Any:
    raise NoSuchResource(uri)


_OFFLINE: Final = Registry(retrieve=_no_retrieval)  # type: ignore[call-arg]
"""References resolve within the schema (and the drafts' meta-schemas) only: nothing is
ever fetched, from the network or the disk."""


def _strings_under(schema: object, key: str) -> Iterator[str]:
    """Every string given for ``key`` anywhere in a schema (a superset of keywords)."""
    if isinstance(schema, dict):
        for name, value in schema.items():
            if name == key and isinstance(value, str):
                yield value
            else:
                yield from _strings_under(value, key)
    elif isinstance(schema, list):
        for item in schema:
            yield from _strings_under(item, key)


def _keys_under(schema: object, key: str) -> Iterator[str]:
    """The property names of every ``key`` object (``patternProperties``) in a schema."""
    if isinstance(schema, dict):
        for name, value in schema.items():
            if name == key and isinstance(value, Mapping):
                yield from (k for k in value if isinstance(k, str))
            yield from _keys_under(value, key)
    elif isinstance(schema, list):
        for item in schema:
            yield from _keys_under(item, key)


def _validator_class(
    schema: Mapping[str, Any], patterns: dict[str, Pattern], budget: RegexBudget
) -> type[Validator]:
    """The draft ``$schema`` names (2020-12 by default), with ``pattern`` time-limited
    (``patterns``: the schema's regexes, compiled, by source)."""
    draft = validators.validator_for(schema, default=None)  # type: ignore[arg-type]
    if draft is None:
        if "$schema" in schema:
            raise InvalidInput(
                f"json_schema: unknown $schema {schema['$schema']!r}: use a JSON Schema "
                "draft (4, 6, 7, 2019-09 or 2020-12), or leave $schema out for 2020-12",
                field="json_schema",
            )
        draft = validators.Draft202012Validator

    def pattern(validator: Validator, source: str, instance: object, _: object) -> Any:
        if not isinstance(instance, str):
            return
        compiled = patterns.get(source)
        if compiled is None:
            compiled = patterns[source] = Pattern(source, "json_schema", budget.timeout)
        if not budget.run(compiled.search, compiled, instance):
            yield schema_exceptions.ValidationError(f"{instance!r} does not match {source!r}")

    extended: type[Validator] = validators.extend(draft, {"pattern": pattern})  # type: ignore[no-untyped-call]
    return extended


def compile_schema(schema: dict[str, Any], budget: RegexBudget) -> Validator:
    """A validator of ``schema``, checked against its draft's meta-schema; InvalidInput
    naming ``json_schema`` for a schema that is invalid, fetches references or whose
    regexes cannot be bounded in time."""
    try:
        return _compile_schema(schema, budget)
    except RecursionError:
        raise InvalidInput(
            "json_schema: the schema is nested too deeply to check", field="json_schema"
        ) from None


def _compile_schema(schema: dict[str, Any], budget: RegexBudget) -> Validator:
    patterns: dict[str, Pattern] = {}
    cls = _validator_class(schema, patterns, budget)
    try:
        cls.check_schema(schema)
    except schema_exceptions.SchemaError as error:
        where = "/".join(str(part) for part in error.absolute_path) or "the schema"
        raise InvalidInput(
            f"json_schema: invalid schema at {where}: {error.message}", field="json_schema"
        ) from None
    for reference in _strings_under(schema, "$ref"):
        if urlsplit(reference).scheme in ("http", "https", "file", "ftp"):
            raise InvalidInput(
                f"json_schema: $ref {reference!r} would be fetched: the server fetches "
                "nothing; put the schema it names under $defs and refer to it there",
                field="json_schema",
            )
    for source in _keys_under(schema, "patternProperties"):
        try:
            parsed = _patterns.sre_parse.parse(source)  # type: ignore[attr-defined]
        except re.error as error:
            raise InvalidInput(
                f"json_schema: invalid patternProperties regex {source!r}: {error}",
                field="json_schema",
            ) from None
        if not _patterns.linear(parsed):
            raise InvalidInput(
                f"json_schema: the patternProperties regex {source!r} could take unbounded "
                "time: use a simpler one, or propertyNames with a pattern (time-limited)",
                field="json_schema",
            )
    for source in _strings_under(schema, "pattern"):
        with contextlib.suppress(InvalidInput):  # a value that is no keyword's ("const")
            patterns[source] = Pattern(source, "json_schema", budget.timeout)
    return cls(schema, registry=_OFFLINE)


class JsonSchemaMatcher:
    """The body parsed as JSON is valid against a JSON Schema (`jsonschema`_; the draft
    its ``$schema`` names, 2020-12 by default; ``format`` is an annotation only).

    .. _jsonschema: https://python-jsonschema.readthedocs.io/
    """

    __slots__ = ("budget", "validator")

    def __init__(self, schema: dict[str, Any], timeout: float) -> None:
        self.budget = RegexBudget(timeout)
        self.validator = compile_schema(schema, self.budget)

    def difference(self, subject: MatchSubject) -> Difference | None:
        document = json_of(subject)
        if document is NOT_JSON_BODY:
            return Difference("json schema", "a JSON body valid against the schema", NOT_JSON)
        self.budget.start()
        try:
            errors = self.validator.iter_errors(document)  # type: ignore[arg-type]
            error = schema_exceptions.best_match(errors)
        except GaveUp as gave_up:
            return gave_up_difference("json schema", gave_up, "schema")
        except RecursionError:
            return Difference("json schema", "a JSON body valid against the schema", TOO_DEEP)
        except Unresolvable as unresolved:
            return Difference(
                "json schema",
                cut(f"a schema whose references resolve ({unresolved})"),
                "(not checked)",
            )
        if error is None:
            return None
        path = "$" + "".join(
            f"[{part}]" if isinstance(part, int) else member_path("", part)
            for part in error.absolute_path
        )
        return Difference(
            "json schema", cut(error.message), f"{path}: {shown_json(error.instance)}"
        )
