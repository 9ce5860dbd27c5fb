"""The reply language as data: what a preset answers, in one model.

The wire format (``POST /preset``'s reply fields), ``--load`` files and the stores carry
:class:`ReplySpec`; :class:`~pretenders.server.core.presets.Reply` is built from it,
checked and with its headers computed once. A new reply field is added here and in
``Reply.from_spec``.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from pretenders.server.core.delays import DelaySpec
from pretenders.server.core.pacing import PacingSpec
from pretenders.server.core.proxy_spec import ProxySpec

HeaderPairs = tuple[tuple[str, str], ...]

Fault = Literal["reset", "empty", "garbage", "malformed_chunk"]
"""What a reply may do to its connection instead of answering: ``reset`` (a TCP reset),
``empty`` (close, nothing sent), ``garbage`` (random bytes, then close),
``malformed_chunk`` (a status line and chunked headers, then a bad chunk, then close)."""
FAULTS: tuple[Fault, ...] = ("reset", "empty", "garbage", "malformed_chunk")


class WebhookSpec(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """A request the server sends after serving the reply (see ``core/webhooks.py``)."""

    url: str
    method: str = "POST"
    headers: HeaderPairs = ()
    body: str = ""
    template: bool = False
    """Render ``url``, header values and ``body`` with the request's data first."""
    after: float = 0.0
    """Seconds to wait after the reply before sending it."""
    timeout: float = 10.0
    """Seconds the whole call may take."""


class ReplySpec(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    """One reply: status, headers (as given, in order), body bytes, and a delay."""

    status: int | str = 200
    """A status code; a template (text) when ``template`` is true."""
    headers: HeaderPairs = ()
    body: bytes = b""
    after: float = 0.0
    """Seconds to wait before answering."""
    template: bool = False
    """Status, header values and body (or body file) are templates, rendered per request."""
    body_file: str | None = None
    """The body is this file's, a path under the server's ``--files-root``, read per request."""
    fault: Fault | None = None
    """A network fault instead of the reply (see :data:`Fault`)."""
    pacing: PacingSpec | None = None
    """The body sent in pieces over time."""
    delay: DelaySpec | None = None
    """A delay drawn for each request (instead of ``after``)."""
    webhooks: tuple[WebhookSpec, ...] = ()
    """Requests sent once the reply is sent (a preset-level field on the wire)."""
    proxy: ProxySpec | None = None
    """Answer with what an upstream answers (a proxy preset; see ``core/proxy_spec.py``)."""
