"""Shared by the sequence and state tests: presets over the admin API, requests to the mock."""

from __future__ import annotations

import base64
from collections import Counter
from typing import Any

import httpx


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def reply(body: str, status: int = 200, **fields: Any) -> dict[str, Any]:
    return {"status": status, "body": b64(body), **fields}


def add(admin: httpx.Client, mock_id: str, **payload: Any) -> dict[str, Any]:
    response = admin.post(f"/preset/{mock_id}", json=payload)
    assert response.status_code == 200, response.text
    added: dict[str, Any] = response.json()
    return added


def refused(admin: httpx.Client, mock_id: str, **payload: Any) -> dict[str, Any]:
    """The error item of a preset the server refuses with a 400."""
    response = admin.post(f"/preset/{mock_id}", json=payload)
    assert response.status_code == 400, response.text
    error: dict[str, Any] = response.json()["errors"][0]
    return error


def bodies(responses: list[httpx.Response]) -> list[str]:
    return [response.text for response in responses]


def counted(responses: list[httpx.Response]) -> Counter[str]:
    return Counter(bodies(responses))
