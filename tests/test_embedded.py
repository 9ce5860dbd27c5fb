"""The embedded server: the real server in a thread, started and stopped as often as needed."""

from __future__ import annotations

import os
import smtplib
import socket
import threading

import httpx
import pytest

from pretenders.client.http import HTTPMock
from pretenders.client.smtp import SMTPMock
from pretenders.server.embedded import EmbeddedServer


def open_descriptors() -> int:
    return len(os.listdir("/proc/self/fd"))


def refused(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except ConnectionRefusedError:
        return True
    return False


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc to count descriptors")
def test_twenty_starts_and_stops_leak_no_threads_ports_or_descriptors() -> None:
    with EmbeddedServer():  # warm-up: first imports, TLS set-up, loop machinery
        pass
    threads, descriptors = threading.active_count(), open_descriptors()
    ports: list[int] = []
    for number in range(20):
        with EmbeddedServer() as server:
            http = HTTPMock(server.host, server.port)
            http.when("GET /n").reply(str(number))
            assert httpx.get(f"{http.pretend_url}/n").text == str(number)
            smtp = SMTPMock(server.host, server.port)
            with smtplib.SMTP("127.0.0.1", smtp.pretend_port, timeout=5) as client:
                client.sendmail("a@x", ["b@y"], "Subject: hi\r\n\r\nhi")
            http.close()
            smtp.close()
            ports += [server.port, smtp.pretend_port]
        assert not server.running
    assert threading.active_count() == threads
    assert open_descriptors() <= descriptors
    assert all(refused(port) for port in ports)


def test_start_stop_methods_and_properties() -> None:
    server = EmbeddedServer()
    with pytest.raises(RuntimeError, match="not running"):
        _ = server.port
    server.start()
    try:
        assert server.start() is server  # already running: nothing new
        assert server.url == f"http://127.0.0.1:{server.port}"
        assert httpx.get(f"{server.url}/http").json() == []
        port = server.port
    finally:
        server.stop()
    server.stop()  # stopping twice is harmless
    assert refused(port)


def test_port_in_use_fails_with_the_reason() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(OSError, match="address already in use"):
            EmbeddedServer(port=port).start()
