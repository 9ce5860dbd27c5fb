"""The bound on own-port mocks per process, and the ports closing when the server stops."""

from __future__ import annotations

import httpx

from pretenders.server.embedded import EmbeddedServer
from tests.network_ports.helpers import refused, wait_refused


def test_one_more_own_port_than_the_limit_is_a_409_naming_the_option() -> None:
    with EmbeddedServer(max_own_ports=1) as server, httpx.Client(base_url=server.url) as admin:
        first = admin.post("/http", json={"port": 0})
        assert first.status_code == 200
        second = admin.post("/http", json={"port": 0})
        assert second.status_code == 409
        error = second.json()["errors"][0]
        assert error["code"] == "too_many_own_ports"
        assert "--max-own-ports" in error["message"]
        # Below /mockhttp/ there is no such limit, and a deleted mock makes room.
        assert admin.post("/http", json={}).status_code == 200
        admin.delete(f"/http/{first.json()['id']}")
        assert admin.post("/http", json={"port": 0}).status_code == 200


def test_the_ports_close_when_the_server_stops() -> None:
    server = EmbeddedServer().start()
    try:
        with httpx.Client(base_url=server.url) as admin:
            plain = admin.post("/http", json={"port": 0}).json()["url"]
            secure = admin.post("/http", json={"port": 0, "tls": True}).json()["url"]
        assert not refused(plain)
        assert not refused(secure)
    finally:
        server.stop()
    wait_refused(plain)
    wait_refused(secure)
