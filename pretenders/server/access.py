"""Who may use the admin API and the UI: the admin token, and a warning when there is none.

With a token set, every route asks for it except the open ones: the fake services
under ``/mockhttp/`` (which mostly never reach the router at all) and the health check.
API clients send ``Authorization: Bearer <token>`` or ``X-Pretenders-Token``; a browser
answers the Basic challenge with any user name and the token as password.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import ipaddress
from collections.abc import Callable, Mapping

import msgspec
from aiohttp import web
from aiohttp.typedefs import Handler, Middleware
from multidict import CIMultiDict

from pretenders.common.wire_names import TOKEN_HEADER, TOKEN_VARIABLE
from pretenders.server import wire

CHALLENGES = ('Bearer realm="pretenders"', 'Basic realm="pretenders", charset="UTF-8"')
"""Both schemes are offered: browsers prompt for Basic, API clients read Bearer."""

HOW_TO_SEND = (
    f"send it as 'Authorization: Bearer <token>' or '{TOKEN_HEADER}: <token>' (in a "
    "browser: any user name, and the token as password)"
)
MISSING = (
    "this pretenders server requires its admin token: "
    + HOW_TO_SEND
    + f"; it is the server's --admin-token or {TOKEN_VARIABLE}"
)
WRONG = (
    "the admin token sent is not this server's: use the server's --admin-token (or "
    f"{TOKEN_VARIABLE}) and {HOW_TO_SEND}"
)


def presented_token(headers: Mapping[str, str]) -> str | None:
    """The token a request presents (Bearer, Basic password, or our header), if any."""
    scheme, _, credentials = headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() == "bearer":
        return credentials.strip()
    if scheme.lower() == "basic":
        try:
            pair = base64.b64decode(credentials.strip(), validate=True).decode("utf-8")
        except (binascii.Error, ValueError):
            return ""  # presented, but unreadable: a wrong token
        return pair.partition(":")[2]
    return headers.get(TOKEN_HEADER)


def unauthorized(presented: bool) -> web.Response:
    """A 401 with the admin error body, offering both ways to authenticate."""
    message = WRONG if presented else MISSING
    body = wire.ErrorOut(errors=[wire.ErrorItem(code="unauthorized", message=message)])
    headers = CIMultiDict(("WWW-Authenticate", challenge) for challenge in CHALLENGES)
    return web.Response(
        body=msgspec.json.encode(body),
        status=401,
        headers=headers,
        content_type="application/json",
    )


def require_token(token: str, is_open: Callable[[web.Request], bool]) -> Middleware:
    """A middleware that answers 401 to requests of non-open routes without ``token``."""
    expected = token.encode("utf-8")

    @web.middleware
    async def check_token(request: web.Request, handler: Handler) -> web.StreamResponse:
        if is_open(request):
            return await handler(request)
        presented = presented_token(request.headers)
        if presented is not None and hmac.compare_digest(
            presented.encode("utf-8", "surrogateescape"), expected
        ):
            return await handler(request)
        return unauthorized(presented is not None)

    return check_token


def is_loopback(host: str) -> bool:
    """Whether only this machine can reach ``host`` (a name other than localhost: no)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def exposure_warning(host: str, port: int, token: str | None) -> str | None:
    """What to say when the admin API listens beyond this machine without a token."""
    if token or is_loopback(host):
        return None
    shown = host or "all interfaces"
    return (
        f"listening on {shown} port {port} without an admin token: anyone who can reach "
        "this port can create, change and delete mocks and read everything they recorded. "
        f"Set a token with --admin-token TOKEN or the {TOKEN_VARIABLE} environment "
        "variable (the mock endpoints stay open), or listen on 127.0.0.1 only."
    )
