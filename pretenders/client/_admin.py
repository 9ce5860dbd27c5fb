"""Connections to the admin API, and the runners that carry out client operations.

Every client operation is written once, in ``_operations``, as a generator that yields the
:class:`Call`s it needs and receives their responses. :class:`AdminConnection` runs one with
blocking I/O, :class:`AsyncAdminConnection` with ``await``: the sync and async clients
share all their logic.
"""

from __future__ import annotations

import functools
import ssl
from collections.abc import Generator, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx

from pretenders.common.exceptions import (
    ConfigurationError,
    ResourceNotFound,
    ServerUnreachable,
    UnexpectedResponseStatus,
)

T = TypeVar("T")

DEFAULT_TIMEOUT = 30.0


@dataclass(frozen=True)
class Call:
    """One HTTP call to the admin API."""

    method: str
    path: str
    json: Any = None
    params: Mapping[str, str] | None = None
    timeout: float | None = None
    """Seconds to wait for the answer, when the default will not do (long polls)."""


Operation = Generator[Call, httpx.Response, T]
"""A client operation: yields calls, receives their responses, returns its result."""


def check(response: httpx.Response, *ok: int) -> httpx.Response:
    """Return the response if its status is one of ``ok`` (default 200), else raise."""
    if response.status_code in (ok or (200,)):
        return response
    message = error_message(response)
    if response.status_code == 404:
        raise ResourceNotFound(message)
    if 400 <= response.status_code < 500:
        raise ConfigurationError(message)
    raise UnexpectedResponseStatus(f"{response.status_code}: {message}")


def error_message(response: httpx.Response) -> str:
    """The message of an admin error body, or the body's text."""
    try:
        return "; ".join(item["message"] for item in response.json()["errors"])
    except (ValueError, KeyError, TypeError):
        return response.text or f"HTTP {response.status_code}"


def _unreachable(base_url: str, error: Exception) -> ServerUnreachable:
    return ServerUnreachable(
        f"cannot reach the pretenders server at {base_url} ({error}); "
        "is it running? Start one with: pretenders --port <port>"
    )


@functools.cache
def _shared_tls() -> ssl.SSLContext:
    """httpx loads a CA bundle for each new client (tens of ms); every mock shares one."""
    return httpx.create_ssl_context()


def _options(call: Call) -> dict[str, Any]:
    options: dict[str, Any] = {"json": call.json, "params": call.params}
    if call.timeout is not None:
        options["timeout"] = call.timeout
    return options


class AdminConnection:
    """A keep-alive connection to one server's admin API, with blocking calls."""

    def __init__(self, host: str, port: int, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.base_url = f"http://{host}:{port}"
        self._http = httpx.Client(base_url=self.base_url, timeout=timeout, verify=_shared_tls())

    def run(self, operation: Operation[T]) -> T:
        """Carry out an operation, one call at a time."""
        try:
            call = next(operation)
            while True:
                try:
                    response = self._http.request(call.method, call.path, **_options(call))
                except httpx.TransportError as error:
                    raise _unreachable(self.base_url, error) from error
                call = operation.send(response)
        except StopIteration as done:
            result: T = done.value
            return result

    def close(self) -> None:
        self._http.close()


class AsyncAdminConnection:
    """A keep-alive connection to one server's admin API, for asyncio code."""

    def __init__(self, host: str, port: int, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.base_url = f"http://{host}:{port}"
        self._http = httpx.AsyncClient(
            base_url=self.base_url, timeout=timeout, verify=_shared_tls()
        )

    async def run(self, operation: Operation[T]) -> T:
        """Carry out an operation, awaiting each call."""
        try:
            call = next(operation)
            while True:
                try:
                    response = await self._http.request(call.method, call.path, **_options(call))
                except httpx.TransportError as error:
                    raise _unreachable(self.base_url, error) from error
                call = operation.send(response)
        except StopIteration as done:
            result: T = done.value
            return result

    async def aclose(self) -> None:
        await self._http.aclose()
