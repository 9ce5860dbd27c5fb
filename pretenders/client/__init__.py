"""The test writer's clients: ``HTTPMock`` and ``SMTPMock`` (and their async twins in ``aio``).

``APIHelper`` is 1.4's small helper for raw HTTP calls, kept for the fake clients and test
helpers built on it.
"""

from __future__ import annotations

from collections.abc import Mapping
from http import client as httplib
from types import MappingProxyType
from typing import Any, TypeVar
from urllib.parse import urlencode

from pretenders.client import _operations as ops
from pretenders.client._admin import AdminConnection, Operation, token_or_default
from pretenders.client.models import HistoryStats
from pretenders.common.pretender import PretenderModel

T = TypeVar("T")

_RECONNECT = (
    httplib.CannotSendRequest,
    httplib.BadStatusLine,  # RemoteDisconnected among them
    BrokenPipeError,
    ConnectionResetError,
)
"""How a kept-alive connection fails once the server has closed it while idle."""


class APIHelper:
    """Raw HTTP calls to ``path`` (and below) over a connection the caller gives, as in 1.4.

    Example, a fake client of a mock service as 1.4's own tests wrote it::

        class FakeClient(APIHelper):
            def get(self, url, **kwargs):
                return self.http("GET", url=self.path + url, **kwargs)

        fake = FakeClient(HTTPConnection(mock.pretend_access_point), mock.pretend_access_path)
        response, body = fake.get("/hello")

    Every call returns ``(response, body)``: the ``httplib.HTTPResponse``, already
    read, and its body as bytes.
    """

    def __init__(self, connection: httplib.HTTPConnection, path: str) -> None:
        self.connection = connection
        self.path = path

    def _get_response(self, method: str, *args: Any, **kwargs: Any) -> httplib.HTTPResponse:
        self.connection.request(method, *args, **kwargs)
        return self.connection.getresponse()

    def http(self, method: str, *args: Any, **kwargs: Any) -> tuple[httplib.HTTPResponse, bytes]:
        """Send one request (``url=``, ``body=``, ``headers=`` as ``HTTPConnection.request``
        takes them), reconnecting once if the server had closed the kept-alive connection."""
        try:
            response = self._get_response(method, *args, **kwargs)
        except _RECONNECT:
            self.connection.close()
            self.connection.connect()
            response = self._get_response(method, *args, **kwargs)
        return response, response.read()

    def get(self, id: object) -> tuple[httplib.HTTPResponse, bytes]:
        """``GET <path>/<id>``."""
        return self.http("GET", url=f"{self.path}/{id}")

    def list(self, filters: Mapping[str, str] | None = None) -> tuple[httplib.HTTPResponse, bytes]:
        """``GET <path>``, with ``filters`` as the query string."""
        query = f"?{urlencode(filters)}" if filters else ""
        return self.http("GET", url=f"{self.path}{query}")

    def reset(self) -> tuple[httplib.HTTPResponse, bytes]:
        """``DELETE <path>``."""
        return self.http("DELETE", url=self.path)


class MockFacts:
    """What a client knows of its mock without asking the server (sync and async alike)."""

    boss_mock_type = ""
    create_options: Mapping[str, Any] = MappingProxyType({})
    """Further fields of the create call (an HTTP mock's own port, TLS, hosts)."""

    def __init__(
        self, host: str, port: int, timeout: float | str | None = None, name: str | None = None
    ) -> None:
        self.host = host
        self.port = port
        self.timeout = timeout
        self.name = name
        self.full_host = f"{host}:{port}"
        self.pretender_details: dict[str, Any] = {}

    @property
    def pretend_access_point_id(self) -> str:
        """The mock's id on the server (its name, if it was given one)."""
        return str(self.pretender_details.get("id", ""))

    @property
    def pretend_access_point(self) -> str:
        return self.full_host


class BossClient(MockFacts):
    """Asks the server (the "boss") for a mock of ``boss_mock_type`` and talks about it."""

    def __init__(
        self,
        host: str,
        port: int,
        timeout: float | str | None = None,
        name: str | None = None,
        token: str | None = None,
        presets: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(host, port, timeout, name)
        self.admin = AdminConnection(host, port, token=token_or_default(token))
        try:
            self.pretender_details = self._run(
                ops.create_mock(self.boss_mock_type, name, timeout, self.create_options, presets)
            )
        except BaseException:
            self.admin.close()  # the connection would otherwise outlive the failed client
            raise

    def _run(self, operation: Operation[T]) -> T:
        return self.admin.run(operation)

    def reset(self) -> BossClient:
        """Forget the mock's history and remove its presets."""
        self._run(ops.reset(self.pretend_access_point_id))
        return self

    def delete_mock(self) -> None:
        """Delete the mock on the server, with its presets and history."""
        self._run(ops.delete_mock(self.boss_mock_type, self.pretend_access_point_id))

    def get_pretender(self) -> PretenderModel:
        """The server's description of the mock; ResourceNotFound once it is gone."""
        return self._run(ops.get_pretender(self.boss_mock_type, self.pretend_access_point_id))

    def history_stats(self) -> HistoryStats:
        """How many requests (or mails) the mock received since its last reset, how many
        its history keeps, and how many of the oldest the server's --history-limit dropped."""
        return self._run(ops.history_stats(self.pretend_access_point_id))

    def close(self) -> None:
        """Close the connection to the server (the mock itself stays)."""
        self.admin.close()

    def __enter__(self) -> BossClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


__all__ = ["APIHelper", "BossClient", "MockFacts"]
