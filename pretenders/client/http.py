"""``HTTPMock``: preset replies on a fake HTTP service, then read what it received."""

from __future__ import annotations

import base64
import copy
from collections.abc import Mapping
from typing import Any, overload

from pretenders.client import BossClient
from pretenders.common.constants import Forever

__all__ = ["HTTPMock", "HeaderDict", "RecordedRequest"]


class HeaderDict(dict[str, str]):
    """A plain dict of headers whose lookups ignore the case of the name."""

    def __init__(self, headers: Mapping[str, str]) -> None:
        super().__init__(headers)
        self._by_lower = {name.lower(): name for name in headers}

    def __getitem__(self, name: str) -> str:
        return super().__getitem__(self._by_lower.get(name.lower(), name))

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._by_lower

    def get(self, name: str, default: Any = None) -> Any:
        return super().get(self._by_lower.get(name.lower(), name), default)


class RecordedRequest:
    """A request the mock received: ``method``, ``url``, ``headers``, ``body`` (bytes)."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    @property
    def method(self) -> str:
        return str(self.data["method"])

    @property
    def url(self) -> str:
        """The path below the mock, with the query string: ``/weather?city=barcelona``."""
        return str(self.data["url"])

    @property
    def headers(self) -> HeaderDict:
        return HeaderDict(self.data["headers"])

    @property
    def body(self) -> bytes:
        return base64.b64decode(self.data["body"])

    def as_dict(self) -> dict[str, Any]:
        return self.data

    def __getattr__(self, name: str) -> Any:
        # Any other recorded field (rule, time, status, ...), as the 1.4 client allowed.
        try:
            return self.__dict__["data"][name]
        except KeyError:
            raise AttributeError(name) from None

    def __repr__(self) -> str:
        return f"<RecordedRequest {self.method} {self.url}>"


class HTTPMock(BossClient):
    """A fake HTTP service as seen from the test writer.

    Example::

        mock = HTTPMock('localhost', 8000)
        mock.when('GET /hello').reply('Hello')
        # ... exercise the code under test against mock.pretend_url ...
        assert mock.get_request(0).url == '/hello'

    ``timeout`` is how long the mock may go without being called before the server
    removes it (seconds or FOREVER; the server's default otherwise). Mocks with the same
    ``name`` are the same mock, reachable at a URL known in advance.
    """

    boss_mock_type = "http"

    def __init__(
        self,
        host: str,
        port: int,
        timeout: float | Forever | None = None,
        name: str | None = None,
    ) -> None:
        super().__init__(host, port, timeout, name)
        self.rule: dict[str, Any] | str = ""

    @property
    def pretend_access_path(self) -> str:
        """``/mockhttp/<id>``."""
        return str(self.pretender_details["path"])

    @property
    def pretend_url(self) -> str:
        """The base URL of the fake service, to give to the code under test."""
        host = self.host if self.port == 80 else f"{self.host}:{self.port}"
        return f"http://{host}{self.pretend_access_path}"

    def when(
        self,
        rule: str = "",
        headers: Mapping[str, str] | None = None,
        body: str | None = None,
        data: Mapping[str, str] | None = None,
    ) -> HTTPMock:
        """A copy of this mock whose next ``reply`` applies to matching requests only.

        ``rule`` is a regex matched at the start of ``"METHOD /path?query"``;
        ``headers`` must all be sent with these values; ``body`` is a regex matched at
        the start of the body; ``data`` is a dict of form fields the posted form must
        equal (it replaces ``body``).
        """
        bound = copy.copy(self)
        bound.rule = {
            "rule": rule,
            "headers": dict(headers) if headers else None,
            "body": body,
            "data": dict(data) if data else None,
        }
        return bound

    def reply(
        self,
        body: bytes | str = b"",
        status: int = 200,
        headers: Mapping[str, str] | None = None,
        times: int | Forever = 1,
        after: float = 0,
    ) -> HTTPMock:
        """Add a canned reply: served ``times`` times (or FOREVER), ``after`` seconds late."""
        raw = body.encode("utf-8") if isinstance(body, str) else body
        preset = {
            "rule": self.rule,
            "status": status,
            "headers": dict(headers or {}),
            "body": base64.b64encode(raw).decode("ascii"),
            "times": times,
            "after": after,
        }
        path = f"/preset/{self.pretend_access_point_id}"
        self.admin.expect(self.admin.call("POST", path, json=preset))
        return self

    @overload
    def get_request(self, sequence_id: int) -> RecordedRequest | None: ...

    @overload
    def get_request(self, sequence_id: None = None) -> list[RecordedRequest]: ...

    def get_request(
        self, sequence_id: int | None = None
    ) -> RecordedRequest | list[RecordedRequest] | None:
        """The ``sequence_id``-th request received (None if there is none), or all of them."""
        history = f"/history/{self.pretend_access_point_id}"
        if sequence_id is None:
            found = self.admin.expect(self.admin.call("GET", history)).json()
            return [RecordedRequest(item) for item in found]
        response = self.admin.call("GET", f"{history}/{sequence_id}")
        if response.status_code != 200:
            return None
        return RecordedRequest(response.json())
