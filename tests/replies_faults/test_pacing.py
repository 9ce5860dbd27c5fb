"""Paced bodies: pieces arriving over time, a bandwidth cap, a client that leaves, the
server's shutdown, and bad pacing refused naming the field."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable

import httpx
import pytest

from pretenders.server.core.pacing import MAX_CHUNKS, PacingSpec, schedule
from pretenders.server.embedded import EmbeddedServer
from tests.replies_faults.helpers import add, paced_body, preset, raw_get, task_count
from tests.waiting import wait_until

EARLY = 0.02
"""Seconds a timer may fire before its time (clock granularity); never a speed bound."""


def test_schedule_splits_the_body_evenly_over_the_time() -> None:
    pieces = list(schedule(PacingSpec(chunks=4, over=2.0), b"abcdefghij"))
    assert [at for at, _ in pieces] == [0.5, 1.0, 1.5, 2.0]
    assert b"".join(piece for _, piece in pieces) == b"abcdefghij"
    assert [len(piece) for _, piece in pieces] == [2, 3, 2, 3]


def test_schedule_of_a_cap_sends_a_twentieth_of_a_second_at_a_time() -> None:
    pieces = list(schedule(PacingSpec(bytes_per_second=200), bytes(95)))
    assert [len(piece) for _, piece in pieces] == [10] * 9 + [5]
    assert pieces[-1][0] == pytest.approx(95 / 200)


def test_schedule_of_more_chunks_than_bytes_still_ends_at_the_time() -> None:
    pieces = list(schedule(PacingSpec(chunks=5, over=1.0), b"ab"))
    assert b"".join(p for _, p in pieces) == b"ab"
    assert pieces[-1][0] == 1.0


def test_chunks_arrive_one_by_one_over_the_time(
    admin: httpx.Client, new_mock: Callable[..., str]
) -> None:
    mock_id = new_mock()
    body = b"0123456789" * 4
    add(admin, mock_id, rule="GET /slow", body=body, pacing={"chunks": 4, "over": 0.8})
    port = admin.base_url.port or 80
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(raw_get(f"/mockhttp/{mock_id}/slow"))
        head, reads = paced_body(sock)
    assert head.startswith(b"HTTP/1.1 200 OK")
    assert b"".join(data for _, data in reads) == body
    assert len(reads) == 4, [(round(at, 3), data) for at, data in reads]
    for k, (at, data) in enumerate(reads, start=1):
        assert data == body[(k - 1) * 10 : k * 10]
        assert at >= 0.2 * k - EARLY, f"piece {k} came at {at:.3f} s, before its time"


def test_a_bandwidth_cap_spreads_the_body(
    admin: httpx.Client, new_mock: Callable[..., str]
) -> None:
    mock_id = new_mock()
    body = bytes(range(256)) * 4
    add(admin, mock_id, rule="GET /capped", body=body, pacing={"bytes_per_second": 2048})
    with httpx.Client(timeout=10) as client:
        started = time.monotonic()
        with client.stream("GET", f"{admin.base_url}/mockhttp/{mock_id}/capped") as response:
            reads = [(time.monotonic() - started, piece) for piece in response.iter_raw()]
    assert b"".join(piece for _, piece in reads) == body
    assert len(reads) > 1, "the body came in one piece"
    assert reads[-1][0] >= len(body) / 2048 - EARLY


def test_httpx_reads_a_paced_reply_whole(admin: httpx.Client, new_mock: Callable[..., str]) -> None:
    mock_id = new_mock()
    add(
        admin,
        mock_id,
        rule="GET /json",
        body='{"a": 1}',
        headers={"Content-Type": "application/json"},
        pacing={"chunks": 3, "over": 0.1},
    )
    answer = admin.get(f"/mockhttp/{mock_id}/json")
    assert (answer.status_code, answer.json()) == (200, {"a": 1})
    assert answer.headers["content-length"] == "8"
    assert admin.get(f"/preset/{mock_id}").json() == []  # served once: used up


def test_a_client_that_leaves_stops_the_pacing(own_server: EmbeddedServer) -> None:
    with httpx.Client(base_url=own_server.url, timeout=10) as admin:
        mock_id = admin.post("/http", json={}).json()["id"]
        add(
            admin,
            mock_id,
            rule="GET /long",
            body=bytes(3600),
            pacing={"chunks": 3600, "over": 3600},
        )
        before = task_count(own_server)
        with socket.create_connection(("127.0.0.1", own_server.port), timeout=10) as sock:
            sock.sendall(raw_get(f"/mockhttp/{mock_id}/long"))
            assert sock.recv(65536).startswith(b"HTTP/1.1 200")
            assert task_count(own_server) > before, "the paced reply was not under way"
        wait_until(lambda: task_count(own_server) <= before, timeout=10)


def test_the_shutdown_cuts_a_paced_reply() -> None:
    server = EmbeddedServer(shutdown_timeout=0.2).start()
    thread = server._thread
    assert thread is not None
    with httpx.Client(base_url=server.url, timeout=10) as admin:
        mock_id = admin.post("/http", json={}).json()["id"]
        add(admin, mock_id, rule="GET /long", body=bytes(100), pacing={"chunks": 100, "over": 3600})
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(raw_get(f"/mockhttp/{mock_id}/long"))
        assert sock.recv(65536).startswith(b"HTTP/1.1 200")
        server.stop()
        assert not thread.is_alive()
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
        assert len(received) < 100, "the paced body was sent whole"


@pytest.mark.parametrize(
    ("pacing", "field", "words"),
    [
        ({"chunks": 0, "over": 1}, "pacing.chunks", f"from 1 to {MAX_CHUNKS}"),
        ({"chunks": MAX_CHUNKS + 1, "over": 1}, "pacing.chunks", f"from 1 to {MAX_CHUNKS}"),
        ({"chunks": 2, "over": 3601}, "pacing.over", "from 0 to 3600"),
        ({"chunks": 2, "over": -1}, "pacing.over", "from 0 to 3600"),
        ({"chunks": 2}, "pacing", '"chunks" and "over" together'),
        ({}, "pacing", '"chunks" and "over" together'),
        ({"bytes_per_second": 0}, "pacing.bytes_per_second", "from 1 to"),
        ({"bytes_per_second": 1, "chunks": 2, "over": 1}, "pacing", "not both"),
        ({"bytes_per_second": 1}, "pacing.bytes_per_second", "would take 4000 s"),
        ({"chunks": "two", "over": 1}, "pacing.chunks", "Expected `int | null`"),
        ({"chunk": 2, "over": 1}, "pacing", "unknown field `chunk`"),
    ],
)
def test_bad_pacing_is_a_400_naming_the_field(
    admin: httpx.Client,
    new_mock: Callable[..., str],
    pacing: dict[str, object],
    field: str,
    words: str,
) -> None:
    mock_id = new_mock()
    answer = preset(admin, mock_id, rule="GET /x", body=bytes(4000), pacing=pacing)
    assert answer.status_code == 400, answer.text
    (error,) = answer.json()["errors"]
    assert error["field"] == field
    assert words in error["message"]
