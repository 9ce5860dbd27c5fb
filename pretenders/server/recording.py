"""Recording: a mock that proxies every request and keeps each exchange as a preset.

``POST /record/<id>`` adds a *recorder* to the mock: a proxy preset that matches any
request, tried first (priority 1), served FOREVER, with a :class:`RecordSpec` saying what
the recorded rules match on. Being a preset, it lives in the mock's store: with a shared
store every process records through it. Each exchange becomes a preset (the method, the
path, and the query, headers and body as asked; the reply as received), served FOREVER
once the recorder is gone. The same request recorded again keeps the first answer.
``DELETE /record/<id>`` removes the recorder.
"""

from __future__ import annotations

import json
import logging
import re
from urllib.parse import parse_qsl, unquote

from pretenders.common.constants import FOREVER
from pretenders.server.core.errors import CoreError
from pretenders.server.core.matching import MatchRule
from pretenders.server.core.presets import MIN_PRIORITY, Preset, Reply
from pretenders.server.core.proxy_spec import ProxySpec, RecordSpec
from pretenders.server.core.records import RequestRecord
from pretenders.server.core.registry import Mock
from pretenders.server.core.rule_spec import RuleSpec, Value
from pretenders.server.mocks import MockService

logger = logging.getLogger("pretenders.server")

RECORDER_PRIORITY = MIN_PRIORITY
"""The recorder is tried before any preset added after it, so every request is proxied."""


def is_recorder(preset: Preset) -> bool:
    """Whether the preset is a mock's recorder (and not a preset to replay)."""
    proxy = preset.reply.proxy
    return proxy is not None and proxy.record is not None


async def recorders(mocks: MockService, mock: Mock) -> list[Preset]:
    """The mock's recorders (one, while it records)."""
    return [preset for preset in await mocks.presets_of(mock) if is_recorder(preset)]


async def start_recording(mocks: MockService, mock: Mock, proxy: ProxySpec) -> Preset:
    """Make the mock a recorder through ``proxy`` (a recording already on is replaced)."""
    await stop_recording(mocks, mock)
    recorder = Reply(proxy=proxy if proxy.record is not None else _with_record(proxy))
    rule = MatchRule("", timeout=mocks.regex_timeout)
    return await mocks.add_preset(mock, rule, recorder, FOREVER, RECORDER_PRIORITY)


def _with_record(proxy: ProxySpec) -> ProxySpec:
    return ProxySpec(
        to=proxy.to,
        add_headers=proxy.add_headers,
        remove_headers=proxy.remove_headers,
        timeout=proxy.timeout,
        record=RecordSpec(),
    )


async def stop_recording(mocks: MockService, mock: Mock) -> int:
    """Remove the mock's recorders: how many there were (0: it was not recording)."""
    removed = 0
    for preset in await recorders(mocks, mock):
        removed += await mocks.remove_preset(mock, preset.id)
    return removed


def recorded_rule(record: RequestRecord, match: RecordSpec) -> RuleSpec:
    """The rule a recorded preset matches with: method and path, then what ``match`` asks."""
    path, _, query = record.url.partition("?")
    shown = unquote(path) if "%2F" not in path else path
    if shown.startswith("/") and "{" not in shown and "}" not in shown:
        fields: dict[str, object] = {"method": record.method, "path": shown}
    else:  # not a path template: the 1.4 regex, anchored at the query
        fields = {"rule": re.escape(f"{record.method} {path}") + r"(?:\?|\Z)"}
    if match.query and query:
        values: dict[str, list[str]] = {}
        for name, value in parse_qsl(query, keep_blank_values=True):
            values.setdefault(name, []).append(value)
        fields["query"] = {
            name: found[0] if len(found) == 1 else list(found) for name, found in values.items()
        }
    wanted = {name.lower() for name in match.headers}
    headers: dict[str, Value] = {}
    for name, value in record.headers:
        if name.lower() in wanted and name not in headers:
            headers[str(name)] = value
    if headers:
        fields["headers"] = headers
    body_text = _text(record.body)
    parsed = _json(body_text) if match.json_body and body_text else _NOT_JSON
    if parsed is not _NOT_JSON:
        fields["json"] = parsed
    elif match.body and body_text is not None:
        fields["body"] = re.escape(body_text) + r"\Z"
    return RuleSpec(**fields)  # type: ignore[arg-type]


_NOT_JSON = object()


def _text(body: bytes) -> str | None:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _json(text: str | None) -> object:
    if text is None:
        return _NOT_JSON
    try:
        return json.loads(text)
    except ValueError:
        return _NOT_JSON


async def record_exchange(
    mocks: MockService,
    mock: Mock,
    record: RequestRecord,
    match: RecordSpec,
    status: int,
    headers: list[tuple[str, str]],
    body: bytes,
) -> Preset | None:
    """Keep one proxied exchange as a preset served FOREVER; None when that request was
    recorded already (its first answer stays) or the preset could not be kept (logged)."""
    spec = recorded_rule(record, match)
    try:
        for preset in await mocks.presets_of(mock):
            if preset.reply.proxy is None and preset.rule.spec == spec:
                return None
        rule = MatchRule.of(spec, mocks.regex_timeout)
        reply = Reply(status=status, headers=tuple(headers), body=body)
        return await mocks.add_preset(mock, rule, reply, FOREVER)
    except CoreError as error:  # a limit reached, the mock deleted: the reply stands
        logger.warning(
            "HTTP mock %s: the exchange %s %s was not recorded: %s",
            mock.id,
            record.method,
            record.url[:200],
            error.message,
        )
        return None
