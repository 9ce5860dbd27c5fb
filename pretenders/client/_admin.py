"""Connections to the admin API, and the runners that carry out client operations.

Every client operation is written once, in ``_operations``, as a generator that yields the
:class:`Call`s it needs and receives their responses. :class:`AdminConnection` runs one with
blocking I/O, :class:`AsyncAdminConnection` with ``await``: the sync and async clients
share all their logic.

The blocking side talks over keep-alive connections of its own (``_http1``): a test sets up
its mocks in a handful of sequential calls, and httpx's per-call overhead (about 200 us
here) doubled the time of a typical per-test cycle.
"""

from __future__ import annotations

import atexit
import functools
import http.client
import os
import ssl
from collections.abc import Generator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar
from urllib.parse import urlencode

import httpx
import msgspec

from pretenders.client._http1 import Connection
from pretenders.common.exceptions import (
    AuthenticationRequired,
    ConfigurationError,
    ResourceNotFound,
    ServerUnreachable,
    UnexpectedResponseStatus,
)
from pretenders.common.wire_names import TOKEN_VARIABLE

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


class Response(Protocol):
    """What operations read of an answer (``httpx.Response`` has it too)."""

    @property
    def status_code(self) -> int: ...

    @property
    def text(self) -> str: ...

    @property
    def headers(self) -> Mapping[str, str]:
        """Looked up by lower-case name."""

    def json(self) -> Any: ...


@dataclass(frozen=True)
class PlainResponse:
    """An answer read by :class:`AdminConnection`."""

    status_code: int
    content: bytes
    headers: Mapping[str, str] = field(default_factory=dict)
    """Header names in lower case."""

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        return msgspec.json.decode(self.content)


Operation = Generator[Call, Response, T]
"""A client operation: yields calls, receives their responses, returns its result."""

R = TypeVar("R", bound=Response)


def check(response: R, *ok: int) -> R:
    """Return the response if its status is one of ``ok`` (default 200), else raise."""
    if response.status_code in (ok or (200,)):
        return response
    message = error_message(response)
    if response.status_code == 404:
        raise ResourceNotFound(message)
    if 400 <= response.status_code < 500:
        raise ConfigurationError(message)
    raise UnexpectedResponseStatus(f"{response.status_code}: {message}")


def error_message(response: Response) -> str:
    """The message of an admin error body, or the body's text."""
    try:
        return "; ".join(item["message"] for item in response.json()["errors"])
    except (ValueError, KeyError, TypeError, msgspec.DecodeError):
        return response.text or f"HTTP {response.status_code}"


def token_or_default(token: str | None) -> str | None:
    """The token given, else ``$PRETENDERS_ADMIN_TOKEN``; None when neither is set."""
    if token is None:
        token = os.environ.get(TOKEN_VARIABLE)
    return token or None


def _auth_headers(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


def _refused(base_url: str, token: str | None, response: Response) -> AuthenticationRequired:
    """The error of a 401: say whether a token was missing or wrong, and where it goes."""
    if token:
        advice = "refused the admin token given: pass the token the server was started with"
    else:
        advice = "requires its admin token: pass token=... to the client"
    return AuthenticationRequired(
        f"the pretenders server at {base_url} {advice} (or set {TOKEN_VARIABLE}); the "
        f"server said: {error_message(response)}"
    )


def _unreachable(base_url: str, error: Exception) -> ServerUnreachable:
    return ServerUnreachable(
        f"cannot reach the pretenders server at {base_url} ({error}); "
        "is it running? Start one with: pretenders --port <port>"
    )


@functools.cache
def _shared_tls() -> ssl.SSLContext:
    """httpx loads a CA bundle for each new client (tens of ms); every async mock shares one."""
    return httpx.create_ssl_context()


def _options(call: Call) -> dict[str, Any]:
    options: dict[str, Any] = {"json": call.json, "params": call.params}
    if call.timeout is not None:
        options["timeout"] = call.timeout
    return options


MAX_IDLE = 8
"""Idle connections kept per server; one more returned is closed."""

_IDLE: dict[tuple[str, int], list[Connection]] = {}
"""Idle connections by server, shared by every blocking client in this process: a test
suite makes a mock or two per test, and a new connection for each cost a TCP handshake
and the server's set-up of a connection, a tenth of a short test's calls."""


def _close_idle() -> None:
    for idle in _IDLE.values():
        while idle:
            idle.pop().close()


atexit.register(_close_idle)
if hasattr(os, "register_at_fork"):  # a child must not speak on its parent's connections
    os.register_at_fork(after_in_child=_close_idle)


class AdminConnection:
    """Keep-alive connections to one server's admin API, with blocking calls.

    Idle connections wait in a small pool shared by the clients of that server, so
    threads each get their own and a new mock needs no new connection.
    """

    def __init__(
        self, host: str, port: int, timeout: float = DEFAULT_TIMEOUT, token: str | None = None
    ) -> None:
        self.base_url = f"http://{host}:{port}"
        self.host, self.port, self.timeout = host, port, timeout
        self.token = token
        """The admin token sent with every call (None: none)."""
        self._headers = _auth_headers(token)
        self._json_headers = {**self._headers, "Content-Type": "application/json"}
        self._idle = _IDLE.setdefault((host, port), [])

    def run(self, operation: Operation[T]) -> T:
        """Carry out an operation, one call at a time."""
        try:
            call = next(operation)
            while True:
                response = self._send(call)
                if response.status_code == 401:
                    operation.close()
                    raise _refused(self.base_url, self.token, response)
                call = operation.send(response)
        except StopIteration as done:
            result: T = done.value
            return result

    def _send(self, call: Call) -> PlainResponse:
        target = call.path + (f"?{urlencode(call.params)}" if call.params else "")
        body = msgspec.json.encode(call.json) if call.json is not None else None
        headers = self._headers if body is None else self._json_headers
        timeout = call.timeout if call.timeout is not None else self.timeout
        retried = False
        while True:
            connection = None if retried else self._idle_connection()
            reused = connection is not None
            sent = False
            try:
                if connection is None:
                    connection = Connection(self.host, self.port, self.timeout)
                connection.send(call.method, target, headers, body, timeout)
                sent = True
                answer = connection.answer(call.method)
            except (http.client.HTTPException, OSError) as error:
                if connection is not None:
                    connection.close()
                if (
                    reused
                    and isinstance(error, _STALE)
                    and (call.method in _IDEMPOTENT or not sent)
                ):
                    retried = True  # once, on a new connection
                    continue
                raise _unreachable(self.base_url, error) from error
            except BaseException:  # a bad header value, an interrupt: the answer is not read
                if connection is not None:
                    connection.close()
                raise
            if answer.will_close or len(self._idle) >= MAX_IDLE:
                connection.close()
            else:
                self._idle.append(connection)
            return PlainResponse(answer.status, answer.body, answer.headers)

    def _idle_connection(self) -> Connection | None:
        """An idle connection the server has not closed, or None."""
        while True:
            try:
                connection = self._idle.pop()
            except IndexError:
                return None
            if not connection.dropped():
                return connection
            connection.close()

    def close(self) -> None:
        """Close the idle connections to this server (a later call opens a new one)."""
        while self._idle:
            try:
                connection = self._idle.pop()
            except IndexError:  # another thread took the last one
                return
            connection.close()


_STALE = (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError)
"""How a reused keep-alive connection fails when the server closed it just as it was
taken (an idle connection the server had closed is noticed and replaced before use).
The call is made again once on a new connection when that cannot apply it twice: it is
idempotent, or its request could not even be written."""
_IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})


class AsyncAdminConnection:
    """A keep-alive connection to one server's admin API, for asyncio code."""

    def __init__(
        self, host: str, port: int, timeout: float = DEFAULT_TIMEOUT, token: str | None = None
    ) -> None:
        self.base_url = f"http://{host}:{port}"
        self.token = token
        """The admin token sent with every call (None: none)."""
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            timeout=timeout,
            verify=_shared_tls(),
            headers=_auth_headers(token),
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
                if response.status_code == 401:
                    operation.close()
                    raise _refused(self.base_url, self.token, response)
                call = operation.send(response)
        except StopIteration as done:
            result: T = done.value
            return result

    async def aclose(self) -> None:
        await self._http.aclose()
