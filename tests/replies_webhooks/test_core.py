"""The core of webhooks, in-process: checks at preset time, rendering, and the reply's
round trip through its spec (what the stores keep)."""

from __future__ import annotations

import msgspec
import pytest

from pretenders.server.core.errors import InvalidInput
from pretenders.server.core.presets import Reply
from pretenders.server.core.records import RequestRecord
from pretenders.server.core.reply_spec import ReplySpec, WebhookSpec
from pretenders.server.core.webhooks import Webhook, WebhookError

SERVED = RequestRecord(
    method="POST",
    url="/orders/7?note=a%20b",
    headers=(("X-Id", "abc"),),
    body=b'{"id": 7}',
    time=0.0,
)


def test_a_templated_webhook_renders_from_the_request() -> None:
    spec = WebhookSpec(
        url="https://example.test/hook{{ request.path }}",
        headers=(("X-Echo", "{{ request.headers['x-id'] }}"),),
        body="{{ request.json.id }} {{ request.query.note }} {{ request.method }}",
        template=True,
    )
    outbound = Webhook.of(spec).request(SERVED)
    assert outbound.url == "https://example.test/hook/orders/7"
    assert outbound.headers == (("X-Echo", "abc"),)
    assert outbound.body == b"7 a b POST"


def test_the_sandbox_refuses_python_internals() -> None:
    spec = WebhookSpec(
        url="http://127.0.0.1/x", body="{{ request.__class__.__mro__ }}", template=True
    )
    with pytest.raises(WebhookError, match="the template failed"):
        Webhook.of(spec).request(SERVED)


def test_a_rendered_url_is_checked_again() -> None:
    spec = WebhookSpec(url="http://127.0.0.1/{{ request.body }}", template=True)
    record = msgspec.structs.replace(SERVED, body=b"a\nb")
    with pytest.raises(WebhookError, match="control characters"):
        Webhook.of(spec).request(record)


def test_an_untemplated_webhook_is_sent_as_written() -> None:
    spec = WebhookSpec(url="http://127.0.0.1/x", body="{{ request.path }}", method="PUT")
    outbound = Webhook.of(spec).request(SERVED)
    assert (outbound.method, outbound.body) == ("PUT", b"{{ request.path }}")


def test_the_reply_keeps_its_webhooks_through_its_spec() -> None:
    spec = ReplySpec(status=202, webhooks=(WebhookSpec(url="http://127.0.0.1/x", after=1.5),))
    stored = msgspec.msgpack.decode(msgspec.msgpack.encode(spec), type=ReplySpec)
    reply = Reply.from_spec(stored)
    assert reply.spec == spec
    assert reply.webhooks[0].spec.after == 1.5
    assert Reply.from_spec(ReplySpec()).webhooks == ()


def test_a_bad_webhook_names_its_index() -> None:
    specs = (WebhookSpec(url="http://127.0.0.1/x"), WebhookSpec(url="gopher://x"))
    with pytest.raises(InvalidInput) as refused:
        Reply.from_spec(ReplySpec(webhooks=specs))
    assert refused.value.field == "webhooks[1].url"
