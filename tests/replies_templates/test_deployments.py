"""A templated preset is served alike in memory, on Redis, and by two servers on one Redis
(the reply travels through the store as data; each server compiles and renders it)."""

from __future__ import annotations

import base64
from collections.abc import Callable

import httpx
import pytest

pytestmark = pytest.mark.deployments


def test_a_templated_preset_is_rendered_by_every_server(
    admin: httpx.Client, new_mock: Callable[..., str]
) -> None:
    mock_id = new_mock()
    body = '{"id": "{{ request.path_params.id }}", "q": "{{ request.query.q }}"}'
    added = admin.post(
        f"/preset/{mock_id}",
        json={
            "rule": {"method": "GET", "path": "/orders/{id}"},
            "template": True,
            "status": "{{ 200 + request.path_params.id | int }}",
            "headers": {"Location": "/orders/{{ request.path_params.id }}"},
            "body": base64.b64encode(body.encode()).decode(),
            "times": "FOREVER",
        },
    )
    assert added.status_code == 200, added.text

    ids = (1, 2, 3, 6)  # statuses 201, 202, 203, 206 (204 would have no body)
    answers = [admin.get(f"/mockhttp/{mock_id}/orders/{n}?q=v{n}") for n in ids]

    assert [a.status_code for a in answers] == [201, 202, 203, 206]
    assert [a.json() for a in answers] == [{"id": str(n), "q": f"v{n}"} for n in ids]
    assert [a.headers["Location"] for a in answers] == [f"/orders/{n}" for n in ids]
    history = admin.get(f"/history/{mock_id}").json()
    assert [record["status"] for record in history] == [201, 202, 203, 206]
    [listed] = admin.get(f"/preset/{mock_id}").json()
    assert (listed["template"], listed["status"]) == (
        True,
        "{{ 200 + request.path_params.id | int }}",
    )


def test_a_failed_render_is_recorded_as_a_500_by_every_server(
    admin: httpx.Client, new_mock: Callable[..., str]
) -> None:
    mock_id = new_mock()
    admin.post(
        f"/preset/{mock_id}",
        json={
            "template": True,
            "body": base64.b64encode(b"{{ request.json.a.b }}").decode(),
            "times": "FOREVER",
        },
    ).raise_for_status()

    answers = [admin.get(f"/mockhttp/{mock_id}/x") for _ in range(2)]

    assert [a.status_code for a in answers] == [500, 500]
    history = admin.get(f"/history/{mock_id}").json()
    assert [record["status"] for record in history] == [500, 500]
