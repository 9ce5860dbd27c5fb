"""The reply language as data: what a preset answers, in one model.

The wire format (``POST /preset``'s reply fields), ``--load`` files and the stores carry
:class:`ReplySpec`; :class:`~pretenders.server.core.presets.Reply` is built from it,
checked and with its headers computed once. A new reply field is added here and in
``Reply.from_spec``.
"""

from __future__ import annotations

import msgspec

from pretenders.server.core.proxy_spec import ProxySpec

HeaderPairs = tuple[tuple[str, str], ...]


class ReplySpec(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    """One reply: status, headers (as given, in order), body bytes, and a delay."""

    status: int = 200
    headers: HeaderPairs = ()
    body: bytes = b""
    after: float = 0.0
    """Seconds to wait before answering."""
    proxy: ProxySpec | None = None
    """Answer with what an upstream answers (a proxy preset; see ``core/proxy_spec.py``)."""
