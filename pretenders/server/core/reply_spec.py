"""The reply language as data: what a preset answers, in one model.

The wire format (``POST /preset``'s reply fields), ``--load`` files and the stores carry
:class:`ReplySpec`; :class:`~pretenders.server.core.presets.Reply` is built from it,
checked and with its headers computed once. A new reply field is added here and in
``Reply.from_spec``.
"""

from __future__ import annotations

import msgspec

HeaderPairs = tuple[tuple[str, str], ...]


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

    status: int = 200
    headers: HeaderPairs = ()
    body: bytes = b""
    after: float = 0.0
    """Seconds to wait before answering."""
    webhooks: tuple[WebhookSpec, ...] = ()
    """Requests sent once the reply is sent (a preset-level field on the wire)."""
