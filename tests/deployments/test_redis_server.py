"""The test Redis: started on a free port, paused, killed and restarted, stopped by PID."""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.deployments import matrix
from tests.deployments.redis_server import RedisServer, answers_ping, require_redis


def call(port: int, *words: str, timeout: float = 5.0) -> bytes:
    """Send one RESP command and return the first reply line."""
    command = f"*{len(words)}\r\n" + "".join(f"${len(w)}\r\n{w}\r\n" for w in words)
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as connection:
        connection.sendall(command.encode())
        reply = b""
        while reply.count(b"\r\n") < (
            2 if reply[:2] not in (b"", b"$-") and reply[:1] == b"$" else 1
        ):
            chunk = connection.recv(4096)
            if not chunk:
                break
            reply += chunk
        return reply


def test_the_session_redis_answers_and_hands_out_databases(redis_server: RedisServer) -> None:
    assert answers_ping(redis_server.port)
    assert redis_server.url(3) == f"redis://127.0.0.1:{redis_server.port}/3"
    first, second = redis_server.new_db(), redis_server.new_db()
    assert second == first + 1
    assert call(redis_server.port, "SELECT", str(second)) == b"+OK\r\n"


def test_pause_resume_kill_restart_and_stop(make_redis: Callable[..., RedisServer]) -> None:
    redis = make_redis(appendonly=True)
    assert call(redis.port, "SET", "kept", "yes") == b"+OK\r\n"
    redis.pause()
    assert not answers_ping(redis.port, timeout=0.3)
    redis.resume()
    assert answers_ping(redis.port)

    port, pid = redis.port, redis.pid
    redis.kill()
    assert not answers_ping(redis.port)
    redis.restart()
    assert (redis.port, answers_ping(redis.port)) == (port, True)
    assert redis.pid != pid
    assert call(redis.port, "GET", "kept") == b"$3\r\nyes\r\n", "the append-only file lost it"
    assert (redis.directory / "appendonlydir").is_dir()

    redis.stop()
    assert redis.process is not None and redis.process.returncode is not None
    assert not answers_ping(redis.port)


def test_a_paused_redis_is_still_stopped(redis_server: RedisServer, tmp_path: Path) -> None:
    redis = RedisServer(tmp_path).start()
    redis.pause()
    redis.stop(timeout=5)
    assert redis.process is not None and redis.process.returncode is not None


def test_without_append_only_file_a_kill_loses_the_data(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    with RedisServer(tmp_path) as redis:
        assert call(redis.port, "SET", "lost", "yes") == b"+OK\r\n"
        redis.restart()
        assert call(redis.port, "GET", "lost") == b"$-1\r\n"
    assert not list(tmp_path.glob("*.rdb")), "nothing is saved with --save ''"


def test_a_redis_that_cannot_start_says_why(redis_server: RedisServer, tmp_path: Path) -> None:
    taken = RedisServer(tmp_path / "again", port=redis_server.port)
    with pytest.raises(RuntimeError, match=f"port {redis_server.port} exited"):
        taken.start(timeout=10)


def test_deployments_are_chosen_by_option_then_environment() -> None:
    variable = matrix.VARIABLE
    assert matrix.chosen(None, {}) == ["memory", "redis", "redis-pair"]
    assert matrix.chosen(None, {variable: "memory, redis"}) == ["memory", "redis"]
    assert matrix.chosen("redis-pair", {variable: "memory"}) == ["redis-pair"]
    assert matrix.chosen("memory-front,memory,memory", {}) == ["memory-front", "memory"]
    with pytest.raises(ValueError, match=r"unknown deployment redis-cluster.*memory, redis"):
        matrix.chosen("memory,redis-cluster", {})


def test_a_missing_redis_skips_but_fails_under_ci() -> None:
    with pytest.raises(pytest.skip.Exception, match="no-such-redis is not installed"):
        require_redis("no-such-redis", {})
    with pytest.raises(pytest.fail.Exception, match="apt-get install redis-server"):
        require_redis("no-such-redis", {"CI": "true"})
    require_redis(environment={"CI": "true"})  # installed here: nothing raised
