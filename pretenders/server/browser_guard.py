"""Keeps web pages of other sites away from the admin API and the UI.

A browser lets any page send requests to ``http://127.0.0.1:8000``: a ``text/plain``
POST or a form post needs no permission. Two checks stop those requests before any
handler (or the admin token, which a browser may have cached) sees them:

- **Where the browser says the request comes from.** ``Sec-Fetch-Site`` other than
  ``same-origin`` or ``none`` (typed in the address bar), or an ``Origin`` other than
  this server's own (``null`` included, which sandboxed pages and mock replies send),
  is refused.
- **The name the request was sent to.** DNS rebinding points a name the attacker owns at
  127.0.0.1, after which the browser treats the server as that name's own origin; the
  ``Host`` header still carries the name. Only loopback names, IP addresses (rebinding
  needs a name), the address the server listens on, this machine's own name and the
  names given with ``--allowed-host`` are answered.

Programs (curl, the clients) send no ``Origin`` nor ``Sec-Fetch-Site``, and send the
name they were given, so they pass. The mock endpoints and ``/health`` are not checked:
the fake services must answer whoever the code under test is, and the health check
tells nothing.
"""

from __future__ import annotations

import html
import ipaddress
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

import msgspec
from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from pretenders.server import wire

ALLOWED_HOSTS_VARIABLE = "PRETENDERS_ALLOWED_HOSTS"
"""Comma-separated names the server answers to, on top of ``--allowed-host``."""

ANY_HOST = "*"

_OWN_SITE = frozenset({"same-origin", "none"})
_DEFAULT_PORTS = {"http": 80, "https": 443}


def host_name(header: str) -> str:
    """The name in a ``Host`` header: lower case, without port, brackets or final dot."""
    header = header.strip().lower()
    if header.startswith("["):
        name, _, rest = header[1:].partition("]")
        if rest and not rest.startswith(":"):
            return header  # not an address in brackets: no name a browser would send
    elif header.count(":") == 1:
        name = header.partition(":")[0]
    else:
        name = header  # no port, or a bare IPv6 address
    return name.removesuffix(".")


def is_ip_address(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


class AllowedHosts:
    """The names in ``Host`` headers that the server answers to."""

    def __init__(self, names: Iterable[str], bound: str = "") -> None:
        wanted = {host_name(name) for name in names if name.strip()}
        self.any = ANY_HOST in wanted
        own = {host_name(bound), host_name(socket.gethostname())}
        self.names = frozenset(name for name in wanted | own if name and name != ANY_HOST)

    def allows(self, name: str) -> bool:
        """Whether a request sent to ``name`` (as :func:`host_name` gives it) is answered."""
        return (
            self.any
            or name in self.names
            or name == "localhost"
            or name.endswith(".localhost")  # browsers resolve these to loopback themselves
            or is_ip_address(name)
        )


GUARD_HOSTS = web.AppKey("pretenders_allowed_hosts", AllowedHosts)


def answered_names(hosts: AllowedHosts) -> str:
    """What the start-up log says of the names answered, when clients may come from afar."""
    if hosts.any:
        return "the admin API and the UI answer to any name (--allowed-host '*')"
    names = ", ".join(sorted(hosts.names))
    return (
        f"the admin API and the UI answer to IP addresses, loopback names and {names}; "
        "clients reaching this server by another name get 403 until it is given with "
        f"--allowed-host NAME (or {ALLOWED_HOSTS_VARIABLE})"
    )


def same_origin(origin: str, host: str) -> bool:
    """Whether ``origin`` is the origin of a page served under this ``Host`` header."""
    try:
        sent = urlsplit(origin)
        here = urlsplit("//" + host)
        default = _DEFAULT_PORTS.get(sent.scheme)
        if default is None or not sent.hostname or sent.path or sent.query:
            return False
        return (sent.hostname, sent.port or default) == (here.hostname, here.port or default)
    except ValueError:  # an unreadable port or address
        return False


@dataclass(frozen=True)
class Refusal:
    """Why a request was refused, and what (if anything) would allow it."""

    code: str
    message: str


def check(request: web.BaseRequest, hosts: AllowedHosts) -> Refusal | None:
    """The reason to refuse ``request``, or None when it may go on."""
    host = request.headers.get("Host", "")
    name = host_name(host)
    if host and not hosts.allows(name):
        return Refusal(
            "host_not_allowed",
            f"this server does not answer to the name {name!r} (Host: {host}): a page of "
            "another site could reach it under such a name by DNS rebinding. If clients "
            f"really reach it by that name, start the server with --allowed-host {name} "
            f"(or add it to {ALLOWED_HOSTS_VARIABLE}); loopback names and IP addresses "
            "are always answered",
        )
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None and site not in _OWN_SITE:
        return Refusal(
            "cross_site",
            f"cross-site request (Sec-Fetch-Site: {site}): the browser says a page of "
            "another site sent it, and only this server's own pages may use its admin API "
            "and UI. No option allows that; programs (curl, the pretenders clients) send "
            "no Sec-Fetch-Site and are not refused, and the UI opens when its address is "
            "typed or followed from its own pages",
        )
    origin = request.headers.get("Origin")
    if origin is not None and not same_origin(origin, host):
        where = (
            "a sandboxed page, such as a mock's reply, or a local file"
            if origin == "null"
            else "a page of another site"
        )
        return Refusal(
            "cross_site",
            f"cross-site request (Origin: {origin}): it comes from {where}, not from "
            f"this server's own pages ({request.scheme}://{host}). No option allows that; "
            "programs (curl, the pretenders clients) send no Origin and are not refused",
        )
    return None


def is_ui(path: str) -> bool:
    return path == "/" or path.startswith("/ui/")


def refused(request: web.BaseRequest, refusal: Refusal) -> web.Response:
    """A 403 saying why: the admin error document for the API, a short page for the UI."""
    if not is_ui(request.path):
        item = wire.ErrorItem(code=refusal.code, message=refusal.message)
        return web.Response(
            body=msgspec.json.encode(wire.ErrorOut(errors=[item])),
            status=403,
            content_type="application/json",
        )
    from pretenders.server.ui.security import secure  # the UI's module imports this one

    onward = ""
    if request.method == "GET" and refusal.code == "cross_site":
        # A link followed from another site: one click on this page makes it our own.
        onward = f'<p><a href="{html.escape(str(request.rel_url))}">Open this page</a></p>\n'
    page = (
        '<!doctype html>\n<html lang="en">\n<head><meta charset="utf-8">'
        "<title>Refused</title></head>\n<body>\n<h1>Refused</h1>\n"
        f"<p>Refused: {html.escape(refusal.message)}.</p>\n{onward}</body>\n</html>\n"
    )
    response = web.Response(text=page, status=403, content_type="text/html", charset="utf-8")
    secure(response)
    return response


def browser_guard(hosts: AllowedHosts, is_open: Callable[[web.Request], bool]) -> Middleware:
    """A middleware refusing (403) what :func:`check` refuses, on every route but the open ones.

    It must come before the admin token's middleware: Basic credentials a browser has
    cached would otherwise let a cross-site request through.
    """

    @web.middleware
    async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not is_open(request):
            refusal = check(request, hosts)
            if refusal is not None:
                return refused(request, refusal)
        return await handler(request)

    return guard
