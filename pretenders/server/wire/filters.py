"""The wire's filters: which records a history query, a count or a wait is about."""

from __future__ import annotations

from collections.abc import Mapping

import msgspec

from pretenders.server.core.errors import InvalidInput
from pretenders.server.core.filters import MailFilter, RecordFilter, RequestFilter
from pretenders.server.core.matching import MatchRule
from pretenders.server.core.patterns import Pattern
from pretenders.server.core.rule_spec import RuleSpec
from pretenders.server.wire.inputs import FilterIn, flag


def filter_of(payload: FilterIn, protocol: str, *, timeout: float) -> RecordFilter:
    """The filter a payload describes, for a mock of that protocol; ``timeout``: the
    server's ``--regex-timeout``."""
    request_fields = rule_fields_given(payload)
    mail_fields = [name for name in ("to", "subject") if getattr(payload, name) is not None]
    if protocol == "smtp":
        if request_fields:
            raise InvalidInput(
                f"{request_fields[0]} filters HTTP requests; mails filter by to and subject",
                field=request_fields[0],
            )
        return MailFilter(
            _regex(payload.to, "to", timeout), _regex(payload.subject, "subject", timeout)
        )
    if mail_fields:
        raise InvalidInput(
            f"{mail_fields[0]} filters mails; HTTP requests filter by rule, headers, body, data",
            field=mail_fields[0],
        )
    if not request_fields:
        return RequestFilter()
    spec = RuleSpec(**{name: getattr(payload, name) for name in request_fields})
    try:
        rule = MatchRule.of(spec, timeout)
    except InvalidInput as error:
        # MatchRule names fields as nested in a preset ("rule.body"); here they are flat.
        nested = error.field or ""
        flat = nested.removeprefix("rule.")
        raise InvalidInput(error.message.replace(nested, flat, 1), field=flat) from None
    return RequestFilter(rule)


_RULE_DEFAULTS = {field.name: field.default for field in msgspec.structs.fields(RuleSpec)}


def rule_fields_given(payload: FilterIn) -> list[str]:
    """The rule fields a filter sets (those not left at their default)."""
    return [
        name
        for name, default in _RULE_DEFAULTS.items()
        if getattr(payload, name) not in (default, None)
    ]


HISTORY_FILTERS = {
    "method": "HTTP requests with this method (any case)",
    "url": "HTTP requests whose URL (below the mock) contains a match of this regex",
    "matched": "true: HTTP requests a preset served; false: those that got the 404",
    "to": "Mails with a recipient (envelope, To or Cc) containing a match of this regex",
    "subject": "Mails whose decoded Subject contains a match of this regex",
}
"""The query parameters that filter ``GET /history/<id>``."""


def history_filter(
    query: Mapping[str, str], protocol: str | None, *, timeout: float
) -> RecordFilter | None:
    """The filter of a history query (None for none); ``protocol`` is None for unknown mocks,
    ``timeout`` the server's ``--regex-timeout``."""
    unknown = sorted(set(query) - set(HISTORY_FILTERS))
    if unknown:
        raise InvalidInput(
            f"{unknown[0]} is not a history filter; use {', '.join(HISTORY_FILTERS)}",
            field=unknown[0],
        )
    if not query:
        return None
    mail_fields = [name for name in ("to", "subject") if name in query]
    request_fields = [name for name in ("method", "url", "matched") if name in query]
    if mail_fields and request_fields:
        raise InvalidInput(
            f"{request_fields[0]} filters HTTP requests and {mail_fields[0]} filters mails: "
            "use one kind",
            field=mail_fields[0],
        )
    if mail_fields:
        found: RecordFilter = MailFilter(
            _regex(query.get("to"), "to", timeout),
            _regex(query.get("subject"), "subject", timeout),
        )
    else:
        matched = query.get("matched")
        found = RequestFilter(
            method=query.get("method"),
            url=_regex(query.get("url"), "url", timeout),
            matched=None if matched is None else flag(matched, "matched"),
        )
    if protocol is not None and found.protocol != protocol:
        field = (mail_fields or request_fields)[0]
        raise InvalidInput(
            f"{field} filters {'mails' if mail_fields else 'HTTP requests'}, "
            f"and this is an {protocol.upper()} mock",
            field=field,
        )
    return found


def _regex(pattern: str | None, field: str, timeout: float) -> Pattern | None:
    return None if pattern is None else Pattern(pattern, field, timeout)
