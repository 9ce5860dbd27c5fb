"""Export: a mock's presets as a ``--load`` file (JSON or YAML), to replay them offline.

The file has the mock's name and timeout and each preset as ``--load`` takes it: the
rule as the rule language writes it, the reply body as text (``body_base64`` when it is
not UTF-8), uses left, priority, and any further reply field (a proxy, ...) as the wire
spells it. A mock's recorder (``POST /record``) is left out: it is how the presets were
made, not one of them.
"""

from __future__ import annotations

import base64
from typing import Any, Literal

import msgspec
import yaml

from pretenders.common.constants import FOREVER
from pretenders.server.core.preset_extra import ExtraSpec
from pretenders.server.core.presets import Preset
from pretenders.server.core.registry import Mock
from pretenders.server.core.reply_spec import ReplySpec
from pretenders.server.recording import is_recorder

ExportFormat = Literal["json", "yaml"]
FORMATS: tuple[ExportFormat, ...] = ("json", "yaml")
_REPLY_BASICS = ("status", "headers", "body", "after")


def preset_entry(preset: Preset) -> dict[str, Any]:
    """One preset as a ``--load`` file writes it."""
    spec = preset.rule.spec
    entry: dict[str, Any] = {}
    if spec.is_1_4 and not spec.headers and spec.body is None and not spec.data:
        entry["rule"] = spec.rule or ""
    else:
        entry["rule"] = msgspec.to_builtins(spec)
    reply = preset.reply
    if reply.proxy is None or reply.status != 200:
        entry["status"] = reply.status
    if reply.headers:
        entry["headers"] = _header_object(reply.headers)
    try:
        text = reply.body.decode("utf-8")
    except UnicodeDecodeError:
        entry["body_base64"] = base64.b64encode(reply.body).decode("ascii")
    else:
        if text:
            entry["body"] = text
    entry["times"] = FOREVER if preset.times_left == FOREVER else preset.times_left
    if reply.after:
        entry["after"] = reply.after
    if preset.priority is not None:
        entry["priority"] = preset.priority
    further = msgspec.to_builtins(reply.spec)  # the reply fields past 1.4's, as the wire has them
    for name, value in further.items():
        if name not in _REPLY_BASICS:
            entry[name] = value
    for webhook in entry.get("webhooks", ()):
        webhook["headers"] = dict(webhook.get("headers", ()))
    if preset.extra is not None:
        _add_extra(entry, preset.extra.spec)
    return entry


def _add_extra(entry: dict[str, Any], extra: ExtraSpec) -> None:
    """A preset's several replies (in place of its own) and its state machine."""
    if extra.state is not None:
        entry["state"] = msgspec.to_builtins(extra.state)
    if not extra.replies:
        return
    for name in ("status", "headers", "body", "body_base64", "after"):
        entry.pop(name, None)
    weights = extra.weights or (1.0,) * len(extra.replies)
    entry["replies"] = [
        _reply_entry(reply, weight if extra.pick == "random" else None)
        for reply, weight in zip(extra.replies, weights, strict=True)
    ]
    entry["pick"] = extra.pick
    if extra.seed is not None:
        entry["seed"] = extra.seed


def _reply_entry(reply: ReplySpec, weight: float | None) -> dict[str, Any]:
    found: dict[str, Any] = {"status": reply.status}
    if reply.headers:
        found["headers"] = _header_object(reply.headers)
    try:
        text = reply.body.decode("utf-8")
    except UnicodeDecodeError:
        found["body_base64"] = base64.b64encode(reply.body).decode("ascii")
    else:
        if text:
            found["body"] = text
    if reply.after:
        found["after"] = reply.after
    if weight is not None:
        found["weight"] = weight
    return found


def _header_object(headers: tuple[tuple[str, str], ...]) -> dict[str, str | list[str]]:
    """Headers as one object; a repeated header (``Set-Cookie``) as the list of its values."""
    found: dict[str, list[str]] = {}
    for name, value in headers:
        found.setdefault(name, []).append(value)
    return {name: values[0] if len(values) == 1 else values for name, values in found.items()}


def export_document(mock: Mock, presets: list[Preset]) -> dict[str, Any]:
    """The ``--load`` document of one mock and its presets (recorders left out)."""
    timeout: float | str = FOREVER if mock.timeout is None else mock.timeout
    return {
        "mocks": [
            {
                "name": mock.name,
                "timeout": timeout,
                "presets": [preset_entry(p) for p in presets if not is_recorder(p)],
            }
        ]
    }


def render(document: dict[str, Any], form: ExportFormat) -> tuple[bytes, str]:
    """The file's bytes, and its content type."""
    if form == "yaml":
        text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
        return text.encode("utf-8"), "application/yaml"
    return msgspec.json.format(msgspec.json.encode(document), indent=2), "application/json"
