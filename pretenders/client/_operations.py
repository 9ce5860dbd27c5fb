"""Every client operation, once, free of I/O: generators that yield admin calls.

The sync clients run them with ``AdminConnection.run`` and the async clients with
``await AsyncAdminConnection.run``, so both behave the same by construction.
"""

from __future__ import annotations

import base64
import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pretenders.client import _report
from pretenders.client._admin import Call, Operation, Response, check, error_message
from pretenders.client._rules import rule_wire
from pretenders.client.models import HistoryStats, RecordedRequest, SMTPMessage
from pretenders.client.replies import REPLY_OPTIONS, ReplyOptions, States, replies_wire, states_of
from pretenders.common.exceptions import (
    ConfigurationError,
    HistoryLimitWarning,
    MockGone,
    ResourceNotFound,
    VerificationError,
    WaitTimeout,
)
from pretenders.common.pretender import PretenderModel
from pretenders.common.wire_names import DROPPED_HEADER

if TYPE_CHECKING:
    from typing_extensions import Unpack

WAIT_MARGIN = 10.0
"""Seconds the HTTP call of a wait may outlast the wait itself (the server answers at its end)."""


def rule_payload(
    rule: str,
    headers: Mapping[str, Any] | None,
    body: str | None,
    data: Mapping[str, str] | None,
    fields: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The request side of a preset (or a count / wait filter), as the admin API takes it:
    1.4's four fields, then the rule keywords given (see ``_rules.RuleKeywords``)."""
    return rule_wire(rule, headers, body, data, fields or {})


# Any mock


def create_mock(
    protocol: str,
    name: str | None,
    timeout: Any,
    options: Mapping[str, Any] | None = None,
    presets: list[dict[str, Any]] | None = None,
) -> Operation[dict[str, Any]]:
    """Create the mock, or join the one with that name: its id and where it answers.
    ``options``: further fields of the create call (an HTTP mock's ``port``, ``tls``...);
    ``presets`` (HTTP): added in the same call, all or none."""
    body: dict[str, Any] = {"name": name}
    if timeout:
        body["pretender_timeout"] = timeout
    body.update(options or {})
    if presets:
        body["presets"] = presets
    details: dict[str, Any] = check((yield Call("POST", f"/{protocol}", json=body))).json()
    return details


def reset(mock_id: str) -> Operation[None]:
    """Forget what the mock received and remove its presets."""
    yield Call("DELETE", f"/history/{mock_id}")
    yield Call("DELETE", f"/preset/{mock_id}")


def delete_mock(protocol: str, mock_id: str) -> Operation[None]:
    check((yield Call("DELETE", f"/{protocol}/{mock_id}")))


def get_pretender(protocol: str, mock_id: str) -> Operation[PretenderModel]:
    response = yield Call("GET", f"/{protocol}/{mock_id}")
    if response.status_code == 404:
        raise ResourceNotFound("The mock server for this client was shutdown.")
    return PretenderModel.from_dict(check(response).json())


def history_stats(mock_id: str) -> Operation[HistoryStats]:
    """How many records the mock received, kept and dropped (``GET /stats/<id>``)."""
    return HistoryStats.from_dict(check((yield Call("GET", f"/stats/{mock_id}"))).json())


def _dropped(response: Response) -> int:
    """The records the history limit dropped, as a history answer says (0 from servers
    that have no limit)."""
    return int(response.headers.get(DROPPED_HEADER.lower()) or 0)


def warn_dropped(what: str, dropped: int, noun: str = "request") -> None:
    """Warn that ``what`` (a client method, the caller of this) only saw the kept records."""
    if dropped:
        warnings.warn(
            f"{what} only sees the records the mock kept: {_report.dropped_note(dropped, noun)} "
            "(start the server with a higher --history-limit, or reset the mock more often)",
            HistoryLimitWarning,
            stacklevel=3,
        )


def _wait(mock_id: str, payload: dict[str, Any]) -> Operation[dict[str, Any]]:
    """``POST /wait/<id>``: the server holds the call until the wait is met or times out."""
    timeout = float(payload.get("timeout", 5)) + WAIT_MARGIN
    answer: dict[str, Any] = check(
        (yield Call("POST", f"/wait/{mock_id}", json=payload, timeout=timeout))
    ).json()
    return answer


def _preset_added(response: Response) -> None:
    """Check the answer to ``POST /preset/<id>``: a 404 means the mock is gone."""
    if response.status_code == 404:
        raise MockGone(
            f"{error_message(response)}: the mock was deleted, or timed out after staying "
            "idle past its timeout; create it again, or give it a longer timeout"
        )
    check(response)


# HTTP mocks


def add_preset(mock_id: str, preset: dict[str, Any]) -> Operation[None]:
    """``POST /preset/<id>`` with a :func:`preset_payload`."""
    _preset_added((yield Call("POST", f"/preset/{mock_id}", json=preset)))


def preset_payload(
    rule: dict[str, Any] | str,
    body: bytes | str = b"",
    status: int | str = 200,
    headers: Mapping[str, str] | None = None,
    times: Any = 1,
    after: float = 0,
    **options: Unpack[ReplyOptions],
) -> dict[str, Any]:
    """A preset as ``POST /preset/<id>`` (and ``presets`` of ``POST /http``) takes it, from
    ``reply(...)``'s arguments: 1.4's fields always, the ``options`` only when given."""
    unknown = options.keys() - REPLY_OPTIONS
    if unknown:
        raise TypeError(f"reply() got an unexpected keyword argument {min(unknown)!r}")
    raw = body.encode("utf-8") if isinstance(body, str) else body
    preset: dict[str, Any] = {
        "rule": rule,
        "status": status,
        "headers": dict(headers or {}),
        "body": base64.b64encode(raw).decode("ascii"),
        "times": times,
        "after": after,
    }
    if options.get("template"):
        preset["template"] = True
    for name in ("priority", "body_file", "fault", "pacing", "delay"):
        value = options.get(name)
        if value is not None:  # left out otherwise: the 1.4 payload, as 1.4 sent it
            preset[name] = value
    extra = replies_wire(
        options.get("replies"), options.get("pick"), options.get("seed"), options.get("state")
    )
    if "replies" in extra:  # the preset's own reply is left out, unless one was given
        defaults = {"status": 200, "headers": {}, "body": "", "after": 0}
        for name, default in defaults.items():
            if preset[name] == default:
                del preset[name]
    preset.update(extra)
    webhooks = options.get("webhooks")
    if webhooks:
        preset["webhooks"] = [dict(webhook) for webhook in webhooks]
    return preset


def states(mock_id: str) -> Operation[States]:
    """The mock's state machine instances (``GET /state/<id>``)."""
    return states_of(check((yield Call("GET", f"/state/{mock_id}"))).json())


def set_state(mock_id: str, machine: str, state: str, key: str | None) -> Operation[None]:
    body: dict[str, Any] = {"machine": machine, "state": state}
    if key is not None:
        body["key"] = key
    check((yield Call("PUT", f"/state/{mock_id}", json=body)))


def reset_state(mock_id: str, machine: str | None, key: str | None) -> Operation[None]:
    params = {
        name: value for name, value in (("machine", machine), ("key", key)) if value is not None
    }
    check((yield Call("DELETE", f"/state/{mock_id}", params=params or None)))


def add_proxy(
    mock_id: str,
    rule: dict[str, Any] | str,
    proxy: dict[str, Any],
    times: Any,
    after: float,
    priority: int | None = None,
) -> Operation[None]:
    """A proxy preset: matching requests are forwarded to ``proxy["to"]``."""
    preset: dict[str, Any] = {"rule": rule, "proxy": proxy, "times": times, "after": after}
    if priority is not None:
        preset["priority"] = priority
    _preset_added((yield Call("POST", f"/preset/{mock_id}", json=preset)))


def proxy_fields(
    to: str,
    add_headers: Mapping[str, str] | None,
    remove_headers: tuple[str, ...] | list[str],
    timeout: float | None,
) -> dict[str, Any]:
    """The ``proxy`` object of a preset (or the fields of a recording), defaults left out."""
    fields: dict[str, Any] = {"to": to}
    if add_headers:
        fields["add_headers"] = dict(add_headers)
    if remove_headers:
        fields["remove_headers"] = list(remove_headers)
    if timeout is not None:
        fields["timeout"] = timeout
    return fields


def recording_match(
    query: bool, headers: tuple[str, ...] | list[str], json_body: bool, body: bool
) -> dict[str, Any]:
    """The ``match`` object of a recording: what each recorded preset's rule matches."""
    return {"query": query, "headers": list(headers), "json_body": json_body, "body": body}


def start_recording(mock_id: str, fields: dict[str, Any]) -> Operation[dict[str, Any]]:
    """``POST /record/<id>``: every request is proxied and kept as a preset."""
    answer: dict[str, Any] = check((yield Call("POST", f"/record/{mock_id}", json=fields))).json()
    return answer


def stop_recording(mock_id: str) -> Operation[int]:
    """``DELETE /record/<id>``: how many recorders were removed."""
    answer = check((yield Call("DELETE", f"/record/{mock_id}"))).json()
    return int(answer.get("stopped", 0))


def recording(mock_id: str) -> Operation[dict[str, Any]]:
    """``GET /record/<id>``: whether the mock records, and through what."""
    answer: dict[str, Any] = check((yield Call("GET", f"/record/{mock_id}"))).json()
    return answer


def export(mock_id: str, form: str) -> Operation[str]:
    """``GET /export/<id>``: the mock's presets as a ``--load`` file (JSON or YAML)."""
    return check((yield Call("GET", f"/export/{mock_id}", params={"format": form}))).text


def import_stubs(mock_id: str, document: Any, form: str) -> Operation[dict[str, Any]]:
    """``POST /import/<id>``: WireMock mappings or mountebank imposters as presets."""
    call = Call("POST", f"/import/{mock_id}", json=document, params={"format": form})
    answer: dict[str, Any] = check((yield call)).json()
    return answer


def requests(mock_id: str, **filters: str) -> Operation[list[RecordedRequest]]:
    """Recorded requests, oldest first, optionally filtered by the server."""
    found, _ = yield from history(mock_id, **filters)
    return found


def history(mock_id: str, **filters: str) -> Operation[tuple[list[RecordedRequest], int]]:
    """Recorded requests (optionally filtered), and how many older records were dropped."""
    response = check((yield Call("GET", f"/history/{mock_id}", params=filters or None)))
    return [RecordedRequest(item) for item in response.json()], _dropped(response)


def request(mock_id: str, position: int) -> Operation[RecordedRequest | None]:
    response = yield Call("GET", f"/history/{mock_id}/{position}")
    return RecordedRequest(response.json()) if response.status_code == 200 else None


def count(mock_id: str, payload: dict[str, Any]) -> Operation[tuple[int, int]]:
    """How many kept records match, and how many older records were dropped."""
    answer = check((yield Call("POST", f"/count/{mock_id}", json=payload))).json()
    return int(answer["count"]), int(answer.get("dropped", 0))


def unused_presets(mock_id: str) -> Operation[list[dict[str, Any]]]:
    call = Call("GET", f"/preset/{mock_id}", params={"unused": "true"})
    found: list[dict[str, Any]] = check((yield call)).json()
    return found


def assert_called(mock_id: str, payload: dict[str, Any], times: int | None) -> Operation[None]:
    """Fail unless ``times`` requests match (None: at least one).

    An exact count is only proven when no record was dropped: with some dropped, the
    true count may be higher than the kept records show.
    """
    found, dropped = yield from count(mock_id, payload)
    if (found >= 1) if times is None else (found == times and not dropped):
        return
    wanted = "at least 1 request" if times is None else _report.plural(times, "request")
    described = _report.describe_rule(**payload)
    got = f"got {found}"
    if dropped:
        got += f" among the kept requests, and {_report.dropped_note(dropped)}"
        if times is not None and found <= times:
            got += f" (matching or not), so the count is {found} to {found + dropped}"
    received, dropped = yield from history(mock_id)
    raise VerificationError(
        f"expected {wanted} matching {described}, {got}\n"
        + _report.describe_requests(received, dropped)
    )


def assert_no_unmatched(mock_id: str) -> Operation[int]:
    """Fail if a kept request matched no preset; returns how many older ones were dropped
    (and went unchecked)."""
    unmatched, dropped = yield from history(mock_id, matched="false")
    if unmatched:
        note = f" ({_report.dropped_note(dropped)}, unchecked)" if dropped else ""
        raise VerificationError(
            f"{_report.plural(len(unmatched), 'request')} matched no preset{note}:\n"
            + "\n".join(_report.describe_request(r) for r in unmatched)
        )
    return dropped


def assert_no_unused_presets(mock_id: str) -> Operation[None]:
    unused = yield from unused_presets(mock_id)
    if unused:
        raise VerificationError(
            f"{_report.plural(len(unused), 'preset')} not used up:\n"
            + "\n".join(_report.describe_preset(p) for p in unused)
        )


def wait_for_request(
    mock_id: str, payload: dict[str, Any], wanted: int, timeout: float
) -> Operation[list[RecordedRequest]]:
    answer = yield from _wait(mock_id, {**payload, "count": wanted, "timeout": timeout})
    seen = [RecordedRequest(item) for item in answer["requests"]]
    if answer["met"]:
        return seen
    described = _report.describe_rule(**payload)
    message = f"waiting for {_report.plural(wanted, 'request')} matching {described}: "
    message += str(answer["message"])
    if seen:
        message += "\nmatching:\n" + "\n".join(_report.describe_request(r) for r in seen)
    received, dropped = yield from history(mock_id)
    message += "\n" + _report.describe_requests(received, dropped)
    raise WaitTimeout(message, list(seen))


# SMTP mocks


def add_smtp_preset(mock_id: str, stage: str, match: str | None, **fields: Any) -> Operation[None]:
    preset = {"stage": stage, "match": match, **fields}
    _preset_added((yield Call("POST", f"/preset/{mock_id}", json=preset)))


def emails(mock_id: str) -> Operation[list[SMTPMessage]]:
    found, _ = yield from mail_history(mock_id)
    return found


def mail_history(mock_id: str) -> Operation[tuple[list[SMTPMessage], int]]:
    """Accepted mails, oldest first, and how many older ones were dropped."""
    response = check((yield Call("GET", f"/history/{mock_id}")))
    return [SMTPMessage(item) for item in response.json()], _dropped(response)


def email(mock_id: str, position: int) -> Operation[SMTPMessage | None]:
    response = yield Call("GET", f"/history/{mock_id}/{position}")
    return SMTPMessage(response.json()) if response.status_code == 200 else None


def wait_for_email(
    mock_id: str, wanted: int, timeout: float, to: str | None, subject: str | None
) -> Operation[list[SMTPMessage]]:
    payload = {"count": wanted, "timeout": timeout, "to": to, "subject": subject}
    answer = yield from _wait(mock_id, payload)
    seen = [SMTPMessage(item) for item in answer["mails"]]
    if answer["met"]:
        return seen
    filters = {"to": to, "subject": subject}
    described = " and ".join(f"{k} {v!r}" for k, v in filters.items() if v is not None)
    message = f"waiting for {_report.plural(wanted, 'mail')}"
    message += f"{' with ' + described if described else ''}: {answer['message']}"
    received, dropped = yield from mail_history(mock_id)
    note = f" ({_report.dropped_note(dropped, 'mail')})" if dropped else ""
    message += f"\nThe mock {'kept' if dropped else 'accepted'} {len(received)}{note}" + "".join(
        f"\n  from {m.mail_from} to {', '.join(m.rcpt_tos)}: {m.subject!r}"
        for m in received[-_report.SHOWN :]
    )
    raise WaitTimeout(message, list(seen))


STAGES = ("connect", "helo", "mail", "rcpt", "data")


def pick_stage(stage: str | None, patterns: Mapping[str, str | None]) -> tuple[str, str | None]:
    """``when('data')`` or ``when(rcpt='bob@.*')``: the stage and its regex, or a clear error."""
    given = {name: value for name, value in patterns.items() if value is not None}
    if stage is not None and not given:
        return stage, None
    if stage is None and len(given) == 1:
        ((chosen, pattern),) = given.items()
        return chosen, pattern
    raise ConfigurationError(
        "when() takes one stage: a name (one of " + ", ".join(STAGES) + ") or one keyword "
        "with a regex, e.g. when(rcpt='bob@.*')"
    )


def smtp_reply(status: int | None, message: str, times: Any, after: float) -> dict[str, Any]:
    return {"action": "reply", "status": status, "message": message, "times": times, "after": after}


def smtp_disconnect(times: Any, after: float) -> dict[str, Any]:
    return {"action": "disconnect", "times": times, "after": after}
