"""What keeps the UI safe to point at hostile traffic.

Everything a mock records is chosen by whoever sent it. Templates escape it; these
headers make sure that anything that slipped through still cannot run or load
anything, and the CSRF checks make sure that only the UI's own pages can act.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from urllib.parse import unquote, urlsplit

from aiohttp import web

from pretenders.server.browser_guard import same_origin as is_origin_of

PAGE_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ]
)
"""The UI's own pages: their scripts and styles come from /ui/static, nothing inline."""

MAIL_FRAME_POLICY = "; ".join(
    [
        "default-src 'none'",
        "style-src 'unsafe-inline'",
        "img-src data:",
        "font-src data:",
        "form-action 'none'",
        "base-uri 'none'",
        "frame-ancestors 'self'",
        # Sandboxed even when opened on its own rather than in the UI's frame.
        "sandbox",
    ]
)
"""An HTML mail: its own styles may apply, but no script runs and nothing remote loads."""

CSRF_FIELD = "csrf_token"


def secure(
    response: web.StreamResponse, policy: str = PAGE_POLICY, framing: str = "DENY"
) -> web.StreamResponse:
    """Add the headers every UI response carries, and return the response."""
    headers = response.headers
    headers["Content-Security-Policy"] = policy
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = framing
    headers["Referrer-Policy"] = (
        "same-origin"  # "no-referrer" would send Origin: null on our own POSTs
    )
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    headers["Cross-Origin-Resource-Policy"] = "same-origin"
    headers.setdefault("Cache-Control", "no-store")
    return response


class CrossSiteRequest(web.HTTPForbidden):
    """An action that did not come from one of the UI's own pages."""

    def __init__(self, reason: str) -> None:
        super().__init__(text=f"Refused: {reason}. Use the form on the UI's own page.")


class Csrf:
    """CSRF tokens: an HMAC of the form's action path under a secret made per application.

    A token is only good for the action it was made for, and only for this run of the
    server. Pages of other sites cannot read it (the same-origin policy), and the
    Origin / Sec-Fetch-Site check refuses their requests before the token is looked at.
    """

    def __init__(self, secret: bytes | None = None) -> None:
        self._secret = secret or secrets.token_bytes(32)

    def use_secret(self, secret: bytes) -> None:
        """Sign with ``secret`` from now on: with a shared store, every process's, so that
        a form served by one process is accepted by another behind a load balancer."""
        self._secret = secret

    def token(self, action: str) -> str:
        """The token for a form posting to ``action`` (a path, percent-encoded or not)."""
        path = unquote(urlsplit(action).path)
        return hmac.new(
            self._secret, path.encode("utf-8", "surrogateescape"), hashlib.sha256
        ).hexdigest()

    def check(self, request: web.Request, form: Mapping[str, object]) -> None:
        """Raise :class:`CrossSiteRequest` unless this POST came from one of our pages."""
        if not same_origin(request):
            raise CrossSiteRequest("cross-site request")
        sent = form.get(CSRF_FIELD)
        if not isinstance(sent, str) or not hmac.compare_digest(sent, self.token(request.path)):
            raise CrossSiteRequest("missing or wrong CSRF token")


def same_origin(request: web.Request) -> bool:
    """Whether the browser says the request comes from a page of this very server.

    Browsers send ``Origin`` on every POST and ``Sec-Fetch-Site`` on every request;
    a client that sends neither is not a browser, and still needs the token.
    """
    origin = request.headers.get("Origin")
    if origin is not None:
        return is_origin_of(origin, request.headers.get("Host", ""))
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        return site in ("same-origin", "none")
    return True
