"""The reply language as data: what a preset answers, in one model.

The wire format (``POST /preset``'s reply fields), ``--load`` files and the stores carry
:class:`ReplySpec`; :class:`~pretenders.server.core.presets.Reply` is built from it,
checked and with its headers computed once. A new reply field is added here and in
``Reply.from_spec``.
"""

from __future__ import annotations

import msgspec

HeaderPairs = tuple[tuple[str, str], ...]


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
