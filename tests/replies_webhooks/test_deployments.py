"""Webhooks on every deployment: on Redis, and with two servers on one Redis, each webhook
is sent once, by the process that served the request, and recorded once in the shared
history."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from tests.replies_webhooks.conftest import webhook_records
from tests.replies_webhooks.receiver import Receiver

pytestmark = pytest.mark.deployments


def test_each_served_request_sends_its_webhook_once(
    admin: httpx.Client, new_mock: Callable[..., str], receiver: Receiver
) -> None:
    mock_id = new_mock()
    webhook = {"url": receiver.url + "/cb{{ request.path }}", "template": True}
    preset = {"rule": "POST /orders/", "status": 202, "times": "FOREVER", "webhooks": [webhook]}
    assert admin.post(f"/preset/{mock_id}", json=preset).status_code == 200

    for order in range(4):  # two servers: each serves every other request
        assert admin.post(f"/mockhttp/{mock_id}/orders/{order}").status_code == 202

    calls = webhook_records(admin, mock_id, 4)
    assert sorted(call["url"] for call in calls) == [
        f"{receiver.url}/cb/orders/{order}" for order in range(4)
    ]
    assert all(call["status"] == 200 for call in calls)
    # Every call is recorded once it is answered: by then the receiver has them all,
    # and a call sent twice (by both servers) would show as a fifth.
    assert sorted(r.path for r in receiver.received) == [f"/cb/orders/{n}" for n in range(4)]
    history = admin.get(f"/history/{mock_id}").json()
    assert len(history) == 8
