"""One keep-alive connection to the admin API, shared by a mock and its ``when()`` copies."""

from __future__ import annotations

from typing import Any

import httpx

from pretenders.common.exceptions import (
    ConfigurationError,
    ResourceNotFound,
    ServerUnreachable,
    UnexpectedResponseStatus,
)


class AdminConnection:
    """Calls the admin API of one server and turns failures into pretenders exceptions."""

    def __init__(self, host: str, port: int, timeout: float = 30.0) -> None:
        self.base_url = f"http://{host}:{port}"
        self._http = httpx.Client(base_url=self.base_url, timeout=timeout)

    def call(
        self,
        method: str,
        path: str,
        json: Any = None,
        params: dict[str, str] | None = None,
        timeout: float | None = None,
    ) -> httpx.Response:
        """One call; ``timeout`` (seconds) overrides the connection's for calls that wait."""
        try:
            if timeout is None:
                return self._http.request(method, path, json=json, params=params)
            return self._http.request(method, path, json=json, params=params, timeout=timeout)
        except httpx.TransportError as error:
            raise ServerUnreachable(
                f"cannot reach the pretenders server at {self.base_url} ({error}); "
                "is it running? Start one with: pretenders --port <port>"
            ) from error

    def expect(self, response: httpx.Response, *ok: int) -> httpx.Response:
        """Return the response if its status is one of ``ok`` (default 200), else raise."""
        if response.status_code in (ok or (200,)):
            return response
        message = error_message(response)
        if response.status_code == 404:
            raise ResourceNotFound(message)
        if 400 <= response.status_code < 500:
            raise ConfigurationError(message)
        raise UnexpectedResponseStatus(f"{response.status_code}: {message}")

    def close(self) -> None:
        self._http.close()


def error_message(response: httpx.Response) -> str:
    """The message of an admin error body, or the body's text."""
    try:
        return "; ".join(item["message"] for item in response.json()["errors"])
    except (ValueError, KeyError, TypeError):
        return response.text or f"HTTP {response.status_code}"


WAIT_MARGIN = 10.0
"""Seconds the HTTP call of a wait may outlast the wait itself (the server answers at its end)."""


def wait(admin: AdminConnection, mock_id: str, payload: dict[str, Any]) -> dict[str, Any]:
    """``POST /wait/<id>``: block until the server says the wait is met or timed out."""
    timeout = float(payload.get("timeout", 5))
    response = admin.call("POST", f"/wait/{mock_id}", json=payload, timeout=timeout + WAIT_MARGIN)
    answer: dict[str, Any] = admin.expect(response).json()
    return answer
