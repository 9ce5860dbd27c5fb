"""The sync client's keep-alive connections: reconnects, threads, timeouts."""

from __future__ import annotations

import threading

import httpx
import pytest

from pretenders.client.http import HTTPMock
from pretenders.common.constants import FOREVER
from pretenders.common.exceptions import ServerUnreachable
from pretenders.server.embedded import EmbeddedServer


def test_a_connection_the_server_closed_while_idle_is_replaced() -> None:
    first = EmbeddedServer().start()
    port = first.port
    mock = HTTPMock(first.host, port, timeout=FOREVER, name="survives-restart")
    try:
        first.stop()  # closes the client's idle keep-alive connection from the server side
        second = EmbeddedServer(port=port, mock_timeout=None).start()
        try:
            # The new server has no such mock: a clean answer, not a transport error.
            assert mock.get_request() == []
            again = HTTPMock(second.host, port, name="survives-restart")
            again.when("GET /x").reply("back")
            assert httpx.get(f"{again.pretend_url}/x").text == "back"
            again.close()
        finally:
            second.stop()
    finally:
        mock.close()


def test_threads_sharing_one_client(mock: HTTPMock) -> None:
    mock.when("GET /t").reply("t", times=FOREVER)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(25):
                mock.count("GET /t")
                mock.get_request()
        except BaseException as error:  # collected for the assertion below
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []


def test_server_gone_is_server_unreachable() -> None:
    server = EmbeddedServer().start()
    mock = HTTPMock(server.host, server.port)
    server.stop()
    with pytest.raises(ServerUnreachable, match="cannot reach the pretenders server"):
        mock.get_request()
    mock.close()
