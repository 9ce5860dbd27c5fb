"""Readable failure messages, built from what the server recorded."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pretenders.client.http import RecordedRequest

SHOWN = 20
"""The most requests a message lists (the latest ones)."""


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def describe_rule(
    rule: str,
    headers: Mapping[str, str] | None = None,
    body: str | None = None,
    data: Mapping[str, str] | None = None,
    **fields: Any,
) -> str:
    """``rule "POST /orders" with body ".*qty"``, then the newer fields given
    (``with query {'page': '2'}``)."""
    parts = [f"rule {_quote(rule)}" if rule else "any method and path"]
    if headers:
        parts.append(f"headers {dict(headers)!r}")
    if data:
        parts.append(f"form data {dict(data)!r}")
    elif body:
        parts.append(f"body {_quote(body)}")
    parts.extend(_newer_fields(fields))
    return " with ".join(parts)


def _newer_fields(rule: Mapping[str, Any]) -> list[str]:
    """``path '/users/{id}'``, ``query {...}``... for the rule fields past 1.4's."""
    old = {"rule", "headers", "body", "data"}
    return [f"{name} {value!r}" for name, value in rule.items() if name not in old]


def describe_request(request: RecordedRequest) -> str:
    """``  GET /x -> 404`` then one indented line per near miss."""
    status = request.data.get("status")
    line = f"  {request.method} {request.url} -> {status if status is not None else '?'}"
    if request.matched:
        return f"{line} (preset {request.data.get('preset')})"
    if request.data.get("body_too_large"):
        return f"{line}: its body was over the server's --max-body-size"
    misses = request.near_misses
    if not misses:
        return f"{line}: the mock had no presets"
    return "\n".join([f"{line}, closest presets:", *(f"    {miss.text}" for miss in misses)])


def dropped_note(dropped: int, noun: str = "request") -> str:
    """``2 older requests were dropped by --history-limit``, or "" when none were."""
    if not dropped:
        return ""
    verb = "was" if dropped == 1 else "were"
    return f"{plural(dropped, f'older {noun}')} {verb} dropped by --history-limit"


def describe_requests(requests: Sequence[RecordedRequest], dropped: int = 0) -> str:
    """What the mock received, the latest ``SHOWN`` of it, near misses included, and how
    many older requests the history limit dropped."""
    if dropped:
        head = f"The mock kept {plural(len(requests), 'request')} ({dropped_note(dropped)})"
    elif requests:
        head = f"The mock received {plural(len(requests), 'request')}"
    else:
        return "The mock received no requests."
    if not requests:
        return head + "."
    if len(requests) > SHOWN:
        head += f", the last {SHOWN}"
    return head + ":\n" + "\n".join(describe_request(r) for r in requests[-SHOWN:])


def describe_preset(preset: Mapping[str, Any]) -> str:
    """``  preset 1 "GET /never": 3 uses left, served 0``."""
    rule = preset.get("rule") or {}
    label = _quote(rule.get("rule") or "") if rule.get("rule") else "(any method and path)"
    extras = [f"{name} {rule[name]!r}" for name in ("headers", "body", "data") if rule.get(name)]
    extras.extend(_newer_fields(rule))
    if extras:
        label += " with " + ", ".join(extras)
    times = preset.get("times")
    left = "FOREVER" if times == "FOREVER" else f"{times} uses left" if times != 1 else "1 use left"
    return f"  preset {preset.get('id')} {label}: {left}, served {preset.get('served', 0)}"


def _quote(text: str) -> str:
    return '"' + text.replace('"', '\\"') + '"'
