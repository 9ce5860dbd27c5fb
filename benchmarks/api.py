"""A small client for the pretenders wire protocol (shared by 1.4.5 and ours).

Standard library only, so each measurement depends on the server and not on a client.
"""

from __future__ import annotations

import base64
import http.client
import json
from dataclasses import dataclass
from typing import Any

from benchmarks.settings import HOST

FOREVER = "FOREVER"


class ApiError(RuntimeError):
    """The server answered a protocol call with an unexpected status."""


@dataclass(frozen=True)
class HttpMock:
    """An HTTP mock on the server: its id and the path it is served under."""

    id: str
    path: str


@dataclass(frozen=True)
class SmtpMock:
    """An SMTP mock: its id and the address it listens on."""

    id: str
    host: str
    port: int


class Api:
    """Protocol calls over one keep-alive connection, reopened when the server closes it."""

    def __init__(self, port: int, host: str = HOST, timeout_s: float = 30.0) -> None:
        self.host = host
        self.port = port
        self.timeout_s = timeout_s
        self._conn: http.client.HTTPConnection | None = None

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __enter__(self) -> Api:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def call(self, method: str, path: str, payload: Any = None) -> tuple[int, bytes]:
        """Send one request; return status and body."""
        body = None if payload is None else json.dumps(payload).encode()
        headers = {"Content-Type": "application/json"} if body is not None else {}
        for attempt in (1, 2):
            reused = self._conn is not None and self._conn.sock is not None
            if self._conn is None:
                self._conn = http.client.HTTPConnection(
                    self.host, self.port, timeout=self.timeout_s
                )
            try:
                self._conn.request(method, path, body=body, headers=headers)
                resp = self._conn.getresponse()
                data = resp.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.close()
                if reused and attempt == 1:
                    continue
                raise
            if resp.will_close:
                self.close()
            return resp.status, data
        raise AssertionError("unreachable")

    def _expect(self, method: str, path: str, payload: Any = None) -> bytes:
        status, data = self.call(method, path, payload)
        if status != 200:
            raise ApiError(f"{method} {path} -> {status}: {data[:200]!r}")
        return data

    def create_http_mock(self) -> HttpMock:
        data = json.loads(
            self._expect("POST", "/http", {"name": None, "pretender_timeout": FOREVER})
        )
        return HttpMock(id=data["id"], path=data["path"])

    def add_preset(
        self,
        mock_id: str,
        rule: str | dict[str, Any],
        reply: bytes,
        *,
        times: int | str = FOREVER,
        after: float = 0,
        status: int = 200,
    ) -> None:
        """Add a preset; ``rule`` is a 1.4 rule regex, or a whole rule object (whose fields
        beyond 1.4's only a server of the rule language takes)."""
        if isinstance(rule, str):
            rule = {"rule": rule, "headers": None, "body": None, "data": None}
        self._expect(
            "POST",
            f"/preset/{mock_id}",
            {
                "rule": rule,
                "status": status,
                "headers": {},
                "body": base64.b64encode(reply).decode("ascii"),
                "times": times,
                "after": after,
            },
        )

    def history(self, mock_id: str) -> bytes:
        return self._expect("GET", f"/history/{mock_id}")

    def history_len(self, mock_id: str) -> int:
        return len(json.loads(self.history(mock_id)))

    def reset_history(self, mock_id: str) -> None:
        self._expect("DELETE", f"/history/{mock_id}")

    def delete_http_mock(self, mock_id: str) -> None:
        self._expect("DELETE", f"/http/{mock_id}")

    def create_smtp_mock(self) -> SmtpMock:
        data = json.loads(self._expect("POST", "/smtp", {"name": None}))
        host, _, port = str(data["full_host"]).rpartition(":")
        if host in ("localhost", "", "0.0.0.0"):
            host = HOST
        if not host.startswith("127."):
            raise ApiError(f"SMTP mock is not on the loopback interface: {data['full_host']}")
        return SmtpMock(id=data["id"], host=host, port=int(port))

    def delete_smtp_mock(self, mock_id: str) -> None:
        self._expect("DELETE", f"/smtp/{mock_id}")

    def get(self, path: str) -> tuple[int, bytes]:
        return self.call("GET", path)


def http_mock_with_preset(api: Api, rule: str, reply: bytes) -> HttpMock:
    """Create a mock holding one FOREVER preset."""
    mock = api.create_http_mock()
    api.add_preset(mock.id, rule, reply)
    return mock


def expect_reply(api: Api, path: str, body: bytes) -> None:
    """Check that ``GET path`` answers 200 with ``body`` before any load is sent."""
    status, data = api.get(path)
    if status != 200 or data != body:
        raise ApiError(f"GET {path} -> {status} {data[:100]!r}, expected 200 {body!r}")
