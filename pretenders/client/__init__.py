"""The test writer's clients: ``HTTPMock`` and ``SMTPMock``."""

from __future__ import annotations

from typing import Any

from pretenders.client._admin import AdminConnection
from pretenders.common.exceptions import ResourceNotFound
from pretenders.common.pretender import PretenderModel


class BossClient:
    """Asks the server (the "boss") for a mock of ``boss_mock_type`` and talks about it."""

    boss_mock_type = ""

    def __init__(
        self, host: str, port: int, timeout: float | str | None = None, name: str | None = None
    ) -> None:
        self.host = host
        self.port = port
        self.timeout = timeout
        self.name = name
        self.full_host = f"{host}:{port}"
        self.admin = AdminConnection(host, port)
        self.pretender_details: dict[str, Any] = self._request_mock_access()

    def _request_mock_access(self) -> dict[str, Any]:
        body: dict[str, Any] = {"name": self.name}
        if self.timeout:
            body["pretender_timeout"] = self.timeout
        response = self.admin.call("POST", f"/{self.boss_mock_type}", json=body)
        details: dict[str, Any] = self.admin.expect(response).json()
        return details

    @property
    def pretend_access_point_id(self) -> str:
        """The mock's id on the server (its name, if it was given one)."""
        return str(self.pretender_details.get("id", ""))

    @property
    def pretend_access_point(self) -> str:
        return self.full_host

    @property
    def _mock_path(self) -> str:
        return f"/{self.boss_mock_type}/{self.pretend_access_point_id}"

    def reset(self) -> BossClient:
        """Forget the mock's history and remove its presets."""
        self.admin.call("DELETE", f"/history/{self.pretend_access_point_id}")
        self.admin.call("DELETE", f"/preset/{self.pretend_access_point_id}")
        return self

    def delete_mock(self) -> None:
        """Delete the mock on the server, with its presets and history."""
        self.admin.expect(self.admin.call("DELETE", self._mock_path))

    def get_pretender(self) -> PretenderModel:
        """The server's description of the mock; ResourceNotFound once it is gone."""
        response = self.admin.call("GET", self._mock_path)
        if response.status_code == 404:
            raise ResourceNotFound("The mock server for this client was shutdown.")
        return PretenderModel.from_dict(self.admin.expect(response).json())

    def close(self) -> None:
        """Close the connection to the server (the mock itself stays)."""
        self.admin.close()

    def __enter__(self) -> BossClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


__all__ = ["BossClient"]
