"""Webhooks: requests a preset has the server send once its reply is sent.

Checked when the preset is added (a bad one is a 400 naming ``webhooks[<i>].<field>``);
:meth:`Webhook.request` gives the request to send for one served request, rendered when
the webhook is templated. Sending is the server's job (``pretenders/server/webhooks.py``).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from pretenders.server.core.errors import InvalidInput
from pretenders.server.core.records import Headers, RequestRecord
from pretenders.server.core.reply_spec import WebhookSpec

MAX_WEBHOOKS = 10
"""The most webhooks one preset may send."""
MAX_TIMEOUT = 60.0
"""The longest a webhook call may take, in seconds."""
MAX_AFTER = 3600.0
"""The longest a webhook may wait after the reply, in seconds (as a reply's ``after``)."""
SCHEMES = ("http", "https")
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_NOT_IN_VALUES = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


class WebhookError(Exception):
    """A webhook that cannot be sent as rendered (the message says why)."""


@dataclass(frozen=True, slots=True)
class OutboundRequest:
    """One webhook request, ready to send."""

    method: str
    url: str
    headers: Headers
    body: bytes


@dataclass(frozen=True, slots=True)
class Webhook:
    """A checked webhook (see :class:`WebhookSpec` for its fields)."""

    spec: WebhookSpec

    @classmethod
    def of(cls, spec: WebhookSpec, index: int = 0) -> Webhook:
        """Check ``spec`` (InvalidInput names ``webhooks[index].<field>``)."""
        where = f"webhooks[{index}]"
        if not _TOKEN.fullmatch(spec.method):
            raise InvalidInput(
                f"{where}.method must be an HTTP method such as POST, got {spec.method!r}",
                field=f"{where}.method",
            )
        if spec.template:
            for field, source in (
                ("url", spec.url),
                ("body", spec.body),
                *(("headers", value) for _, value in spec.headers),
            ):
                from pretenders.server.core.templating import check_template  # jinja2

                check_template(source, f"{where}.{field}")
        # A templated URL must still name its scheme and host as written: only the rest
        # of it comes from the request.
        check_url(spec.url, f"{where}.url", templated=spec.template)
        for name, value in spec.headers:
            if not _TOKEN.fullmatch(name):
                raise InvalidInput(
                    f"{where}.headers: {name!r} is not an HTTP header name",
                    field=f"{where}.headers",
                )
            if not spec.template and _NOT_IN_VALUES.search(value):
                raise InvalidInput(
                    f"{where}.headers: the value of {name} may not contain control characters",
                    field=f"{where}.headers",
                )
        if not math.isfinite(spec.after) or not 0 <= spec.after <= MAX_AFTER:
            raise InvalidInput(
                f"{where}.after must be a number of seconds from 0 to {MAX_AFTER:g}, "
                f"got {spec.after:g}",
                field=f"{where}.after",
            )
        if not math.isfinite(spec.timeout) or not 0 < spec.timeout <= MAX_TIMEOUT:
            raise InvalidInput(
                f"{where}.timeout must be a number of seconds above 0 and at most "
                f"{MAX_TIMEOUT:g}, got {spec.timeout:g}",
                field=f"{where}.timeout",
            )
        return cls(spec)

    @property
    def size(self) -> int:
        """Bytes it counts for against the server's --preset-bytes."""
        spec = self.spec
        headers = sum(len(name) + len(value) for name, value in spec.headers)
        return len(spec.method) + len(spec.url) + len(spec.body) + headers

    def request(self, record: RequestRecord) -> OutboundRequest:
        """The request to send after serving ``record`` (WebhookError: not sendable)."""
        spec = self.spec
        if not spec.template:
            return OutboundRequest(spec.method, spec.url, spec.headers, spec.body.encode())
        from pretenders.server.core.templating import render_text, request_context  # jinja2

        context = request_context(record)
        try:
            url = render_text(spec.url, context)
            headers = tuple((name, render_text(value, context)) for name, value in spec.headers)
            body = render_text(spec.body, context)
        except Exception as error:  # the engine's render errors, whatever their type
            raise WebhookError(f"the template failed: {error}") from None
        try:
            check_url(url, "url", templated=False)
        except InvalidInput as error:
            raise WebhookError(f"the rendered {error}") from None
        for name, value in headers:
            if _NOT_IN_VALUES.search(value):
                raise WebhookError(f"the rendered header {name} holds control characters")
        return OutboundRequest(spec.method, url, headers, body.encode())


def webhooks_of(specs: tuple[WebhookSpec, ...]) -> tuple[Webhook, ...]:
    """Check a preset's webhooks: at most :data:`MAX_WEBHOOKS`, each one sendable."""
    if len(specs) > MAX_WEBHOOKS:
        raise InvalidInput(
            f"webhooks: a preset may send at most {MAX_WEBHOOKS}, got {len(specs)}",
            field="webhooks",
        )
    return tuple(Webhook.of(spec, index) for index, spec in enumerate(specs))


def check_url(url: str, field: str, *, templated: bool) -> None:
    """Refuse a URL that is not ``http://`` or ``https://`` with a host."""
    head = url.split("{", 1)[0] if templated else url
    try:
        parts = urlsplit(head)
        host = parts.hostname
    except ValueError as error:
        raise InvalidInput(f"{field}: not a URL ({error}): {url!r}", field=field) from None
    if parts.scheme not in SCHEMES or not host:
        raise InvalidInput(
            f"{field} must start with http:// or https:// and a host"
            f"{' (written out, not templated)' if templated else ''}, got {url!r}",
            field=field,
        )
    if not templated and (_NOT_IN_VALUES.search(url) or " " in url):
        raise InvalidInput(f"{field}: a URL may not hold spaces or control characters", field=field)
