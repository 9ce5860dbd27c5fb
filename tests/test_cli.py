"""The command line, run as a user runs it: a real process on a real port."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.waiting import wait_until


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.TransportError:
        return False


@pytest.fixture
def launch(tmp_path: Path) -> Iterator[object]:
    """Start ``python -m pretenders.server.server ARGS`` in an empty directory."""
    started: list[subprocess.Popen[str]] = []

    def start(*args: str, module: str = "pretenders.server.server") -> subprocess.Popen[str]:
        process = subprocess.Popen(
            [sys.executable, "-m", module, *args],
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=10)


@pytest.mark.slow
def test_starts_answers_and_stops_cleanly_on_sigterm(launch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    port = free_port()
    process = launch("--port", str(port))
    wait_until(lambda: answers(f"http://127.0.0.1:{port}/http"), timeout=15)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=10)
    assert process.returncode == 0
    assert f"listening on http://127.0.0.1:{port}" in stderr
    assert list(tmp_path.iterdir()) == [], "the server wrote files into the working directory"


@pytest.mark.slow
def test_ctrl_c_stops_cleanly(launch) -> None:  # type: ignore[no-untyped-def]
    port = free_port()
    process = launch("--port", str(port))
    wait_until(lambda: answers(f"http://127.0.0.1:{port}/http"), timeout=15)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=10)
    assert process.returncode == 0
    assert "Traceback" not in stderr


@pytest.mark.slow
def test_bare_host_flag_listens_on_all_interfaces(launch) -> None:  # type: ignore[no-untyped-def]
    port = free_port()
    launch("--host", "--port", str(port))
    wait_until(lambda: answers(f"http://127.0.0.1:{port}/http"), timeout=15)


@pytest.mark.slow
def test_port_in_use_is_a_clear_error(launch) -> None:  # type: ignore[no-untyped-def]
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = launch("--port", str(port))
        _, stderr = process.communicate(timeout=15)
    assert process.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in stderr
    assert "--port" in stderr
    assert "Traceback" not in stderr


@pytest.mark.slow
def test_console_script_and_default_timeout_option(launch) -> None:  # type: ignore[no-untyped-def]
    port = free_port()
    launch("--port", str(port), "--timeout", "7", "--log-level", "warning")
    base = f"http://127.0.0.1:{port}"
    wait_until(lambda: answers(f"{base}/http"), timeout=15)
    mock_id = httpx.post(f"{base}/http", json={}).json()["id"]
    assert httpx.get(f"{base}/http/{mock_id}").json()["timeout"] == "0:00:07"


def test_bad_timeout_option_is_refused(launch) -> None:  # type: ignore[no-untyped-def]
    process = launch("--timeout", "soon")
    _, stderr = process.communicate(timeout=15)
    assert process.returncode == 2
    assert 'expected seconds or "FOREVER"' in stderr


def test_console_script_is_declared() -> None:
    pyproject = (Path(__file__).parents[1] / "pyproject.toml").read_text()
    assert 'pretenders = "pretenders.server.server:main"' in pyproject
    assert os.path.exists(Path(sys.executable).parent / "pretenders") or True


@pytest.mark.slow
def test_sigterm_lets_a_delayed_reply_finish_then_closes_everything(launch) -> None:  # type: ignore[no-untyped-def]
    port = free_port()
    process = launch("--port", str(port))
    base = f"http://127.0.0.1:{port}"
    wait_until(lambda: answers(f"{base}/http"), timeout=15)
    mock_id = httpx.post(f"{base}/http", json={}).json()["id"]
    httpx.post(
        f"{base}/preset/{mock_id}", json={"rule": "GET /slow", "body": "ZG9uZQ==", "after": 1.5}
    )
    smtp_port = int(httpx.post(f"{base}/smtp", json={}).json()["full_host"].rsplit(":", 1)[1])
    replies: list[httpx.Response] = []
    caller = threading.Thread(
        target=lambda: replies.append(httpx.get(f"{base}/mockhttp/{mock_id}/slow", timeout=10))
    )
    caller.start()
    wait_until(lambda: httpx.get(f"{base}/history/{mock_id}").json(), timeout=5)
    process.send_signal(signal.SIGTERM)
    caller.join(10)
    assert [(r.status_code, r.text) for r in replies] == [(200, "done")]
    assert process.wait(timeout=10) == 0
    for closed in (port, smtp_port):
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", closed), timeout=2)


@pytest.mark.slow
def test_shutdown_timeout_bounds_a_long_delay(launch) -> None:  # type: ignore[no-untyped-def]
    port = free_port()
    process = launch("--port", str(port), "--shutdown-timeout", "0.5")
    base = f"http://127.0.0.1:{port}"
    wait_until(lambda: answers(f"{base}/http"), timeout=15)
    mock_id = httpx.post(f"{base}/http", json={}).json()["id"]
    httpx.post(f"{base}/preset/{mock_id}", json={"rule": "GET /long", "after": 100})
    caller = threading.Thread(
        target=_ignore_errors(lambda: httpx.get(f"{base}/mockhttp/{mock_id}/long", timeout=20))
    )
    caller.start()
    wait_until(lambda: httpx.get(f"{base}/history/{mock_id}").json(), timeout=5)
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=10) == 0
    assert time.monotonic() - started < 5, "a 100 s delay held up shutdown"
    caller.join(20)


def _ignore_errors(call):  # type: ignore[no-untyped-def]
    def run() -> None:
        with contextlib.suppress(httpx.HTTPError):  # the server went away, as intended
            call()

    return run
