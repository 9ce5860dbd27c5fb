"""Fixtures for webhook tests: a local receiver, and waiting for a mock's webhook records."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.replies_webhooks.receiver import Receiver, running_receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    yield from running_receiver()


def webhook_records(
    admin: httpx.Client, mock_id: str, count: int, timeout: float = 10.0
) -> list[dict[str, Any]]:
    """The mock's history records of webhook calls, once there are ``count`` (or fail
    after ``timeout`` seconds)."""
    # A webhook record's rule line is "METHOD http://...": a received request's URL is a
    # path, so this rule waits on webhook calls alone.
    answer = admin.post(
        f"/wait/{mock_id}",
        json={"rule": r"\S+ https?://", "count": count, "timeout": timeout},
        timeout=timeout + 5,
    )
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert result["met"], result["message"]
    calls = [record for record in result["requests"] if record["webhook"]]
    assert len(calls) == len(result["requests"]), result
    return calls


@pytest.fixture
def calls(admin: httpx.Client) -> Callable[..., list[dict[str, Any]]]:
    def read(mock_id: str, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        return webhook_records(admin, mock_id, count, timeout)

    return read
