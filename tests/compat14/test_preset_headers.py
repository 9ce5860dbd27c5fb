"""Preset reply headers are kept and listed as given; the wire adds 1.4's default type."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from pretenders.server.core.presets import DEFAULT_CONTENT_TYPE, SANDBOX, Reply


def add(admin: httpx.Client, mock_id: str, **preset: object) -> None:
    response = admin.post(f"/preset/{mock_id}", json={"times": "FOREVER", **preset})
    assert response.status_code == 200, response.text


def test_listed_headers_are_exactly_those_given(
    admin: httpx.Client, new_mock: Callable[..., str]
) -> None:
    mock_id = new_mock()
    add(admin, mock_id, rule="GET /none")
    add(admin, mock_id, rule="GET /custom", headers={"X-Kind": "a"})
    add(admin, mock_id, rule="GET /json", headers={"content-type": "application/json"})
    listed = admin.get(f"/preset/{mock_id}").json()
    assert [p["headers"] for p in listed] == [
        {},
        {"X-Kind": "a"},
        {"content-type": "application/json"},
    ]


def test_the_reply_on_the_wire_defaults_to_1_4s_content_type(
    admin: httpx.Client, new_mock: Callable[..., str]
) -> None:
    mock_id = new_mock()
    add(admin, mock_id, rule="GET /none", body="aGk=")
    add(admin, mock_id, rule="GET /custom", headers={"X-Kind": "a"})
    add(admin, mock_id, rule="GET /json", headers={"content-type": "application/json"})
    served = {
        path: admin.get(f"/mockhttp/{mock_id}/{path}").headers.get_list("content-type")
        for path in ("none", "custom", "json")
    }
    assert served == {
        "none": ["text/html; charset=UTF-8"],
        "custom": ["text/html; charset=UTF-8"],
        "json": ["application/json"],
    }


@pytest.mark.parametrize("status", [204, 304])
def test_no_default_type_where_1_4_sent_none(
    admin: httpx.Client, new_mock: Callable[..., str], status: int
) -> None:
    mock_id = new_mock()
    add(admin, mock_id, status=status)
    served = admin.get(f"/mockhttp/{mock_id}/x")
    assert served.status_code == status
    assert "content-type" not in served.headers


def test_reply_keeps_headers_and_computes_what_it_sends_once() -> None:
    reply = Reply(headers=(("X-A", "1"),))
    assert reply.headers == (("X-A", "1"),)
    assert reply.sent_headers == (("X-A", "1"), ("Content-Type", DEFAULT_CONTENT_TYPE), *SANDBOX)
    typed = Reply(headers=(("CONTENT-TYPE", "text/plain"),))
    assert typed.sent_headers == (*typed.headers, *SANDBOX)
    assert Reply(status=204).sent_headers == SANDBOX
