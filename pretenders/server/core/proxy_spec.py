"""Proxy replies as data: where a preset forwards its requests, and what a recording keeps.

A preset whose reply has a :class:`ProxySpec` answers with what a real upstream answers
(``pretenders/server/proxying.py`` does the forwarding). A :class:`RecordSpec` on it makes
it a recorder: each exchange becomes a preset of the mock. Both are plain data, so they
travel in :class:`~pretenders.server.core.reply_spec.ReplySpec` through the wire and the
stores like any other reply field.
"""

from __future__ import annotations

import math
from urllib.parse import urlsplit

import msgspec

from pretenders.server.core.errors import InvalidInput

DEFAULT_PROXY_TIMEOUT = 10.0
"""Seconds an upstream has to answer a forwarded request, by default."""
MAX_PROXY_TIMEOUT = 300.0
"""The longest ``timeout`` a proxy preset may ask for."""
MAX_RECORDED_HEADERS = 50
"""The most header names a recording may match on."""

HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "trailers",
        "transfer-encoding",
        "upgrade",
    }
)
"""Headers that describe one connection, not the message: never forwarded (RFC 9110 7.6.1)."""


class RecordSpec(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    """What a recorded preset's rule matches on, besides the method and the path."""

    query: bool = True
    """The query parameters, each with the value recorded."""
    headers: tuple[str, ...] = ()
    """These request headers, with the values recorded (when the request had them)."""
    json_body: bool = False
    """The JSON body, equal to the one recorded (bodies that are not JSON: not matched)."""
    body: bool = False
    """The body as text, exactly (for bodies that are not JSON, or with ``json_body`` off)."""


class ProxySpec(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    """Forward matching requests to ``to`` and answer what it answers."""

    to: str
    """The upstream's base URL (http or https); the path below the mock is appended."""
    add_headers: dict[str, str] | None = None
    """Request headers set (replacing any sent) before forwarding."""
    remove_headers: tuple[str, ...] = ()
    """Request headers left out when forwarding (case-insensitive)."""
    timeout: float = DEFAULT_PROXY_TIMEOUT
    """Seconds the upstream has to answer; past it the client gets a 504."""
    record: RecordSpec | None = None
    """Set by ``POST /record/<id>``: each exchange becomes a preset of the mock."""


def check_proxy(proxy: ProxySpec) -> None:
    """Refuse a proxy that could not forward anything, naming the field."""
    try:
        parts = urlsplit(proxy.to)
        parts.port  # noqa: B018 - read for its check: a port that is no number raises
    except ValueError as error:
        raise InvalidInput(f"proxy.to is not a URL: {error}", field="proxy.to") from None
    if parts.scheme not in ("http", "https"):
        raise InvalidInput(
            f"proxy.to must be an http:// or https:// URL, got {proxy.to!r}", field="proxy.to"
        )
    if not parts.hostname:
        raise InvalidInput(f"proxy.to names no host: {proxy.to!r}", field="proxy.to")
    if parts.query or parts.fragment:
        raise InvalidInput(
            "proxy.to is a base URL: the request's own query is sent; leave out ?query "
            f"and #fragment, got {proxy.to!r}",
            field="proxy.to",
        )
    if not math.isfinite(proxy.timeout) or not 0 < proxy.timeout <= MAX_PROXY_TIMEOUT:
        raise InvalidInput(
            f"proxy.timeout must be a number of seconds above 0, at most "
            f"{MAX_PROXY_TIMEOUT:g}, got {proxy.timeout:g}",
            field="proxy.timeout",
        )
    for name in (*(proxy.add_headers or {}), *proxy.remove_headers):
        if name.lower() in HOP_BY_HOP or name.lower() == "host":
            raise InvalidInput(
                f"proxy: header {name} belongs to the connection and is set by the server",
                field="proxy.add_headers",
            )
    if proxy.record is not None and len(proxy.record.headers) > MAX_RECORDED_HEADERS:
        raise InvalidInput(
            f"match.headers names {len(proxy.record.headers)} headers, at most "
            f"{MAX_RECORDED_HEADERS}",
            field="match.headers",
        )


def upstream_url(base: str, url: str) -> str:
    """The upstream URL of a request: ``base`` then the path below the mock and query."""
    if not url or url[0] == "?":
        return base + url
    return base.rstrip("/") + url
