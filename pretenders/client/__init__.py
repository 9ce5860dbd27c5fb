"""The test writer's clients: ``HTTPMock`` and ``SMTPMock`` (and their async twins in ``aio``)."""

from __future__ import annotations

from typing import Any, TypeVar

from pretenders.client import _operations as ops
from pretenders.client._admin import AdminConnection, Operation, token_or_default
from pretenders.client.models import HistoryStats
from pretenders.common.pretender import PretenderModel

T = TypeVar("T")


class MockFacts:
    """What a client knows of its mock without asking the server (sync and async alike)."""

    boss_mock_type = ""

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
    ) -> None:
        super().__init__(host, port, timeout, name)
        self.admin = AdminConnection(host, port, token=token_or_default(token))
        try:
            self.pretender_details = self._run(ops.create_mock(self.boss_mock_type, name, timeout))
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


__all__ = ["BossClient", "MockFacts"]
