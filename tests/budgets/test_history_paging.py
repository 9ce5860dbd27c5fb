"""GET /history paged with offset and limit, filters applied first, bad values refused."""

from __future__ import annotations

import json
import logging
import socket
import struct

import httpx
import pytest

from pretenders.server.embedded import EmbeddedServer
from pretenders.server.paging import MAX_INDEX, SLICE_ITEMS


@pytest.fixture
def traffic(admin: httpx.Client, new_mock: object) -> str:
    """A mock that received GET /0 ... /9, the odd ones answered by a preset."""
    mock_id = admin.post("/http", json={}).json()["id"]
    admin.post(f"/preset/{mock_id}", json={"rule": "GET /[13579]", "times": "FOREVER"})
    for n in range(10):
        admin.get(f"/mockhttp/{mock_id}/{n}")
    return str(mock_id)


def urls(answer: httpx.Response) -> list[str]:
    return [record["url"] for record in answer.json()]


def test_pages_follow_each_other_and_say_where_the_next_starts(
    admin: httpx.Client, traffic: str
) -> None:
    first = admin.get(f"/history/{traffic}", params={"limit": 4})
    assert urls(first) == ["/0", "/1", "/2", "/3"]
    assert first.headers["X-Pretenders-Next-Offset"] == "4"
    assert (first.headers["X-Pretenders-Total"], first.headers["X-Pretenders-Dropped"]) == (
        "10",
        "0",
    )
    last = admin.get(f"/history/{traffic}", params={"offset": 8, "limit": 4})
    assert urls(last) == ["/8", "/9"]
    assert "X-Pretenders-Next-Offset" not in last.headers
    assert urls(admin.get(f"/history/{traffic}", params={"offset": 20})) == []
    exact = admin.get(f"/history/{traffic}", params={"offset": 6, "limit": 4})
    assert urls(exact) == ["/6", "/7", "/8", "/9"]
    assert "X-Pretenders-Next-Offset" not in exact.headers


def test_offset_and_limit_apply_after_the_filter(admin: httpx.Client, traffic: str) -> None:
    page = admin.get(f"/history/{traffic}", params={"matched": "true", "offset": 1, "limit": 2})
    assert urls(page) == ["/3", "/5"]
    assert page.headers["X-Pretenders-Next-Offset"] == "3"
    assert page.headers["X-Pretenders-Total"] == "10"
    rest = admin.get(f"/history/{traffic}", params={"matched": "true", "offset": 3})
    assert urls(rest) == ["/7", "/9"]


def test_without_offset_and_limit_the_answer_is_the_whole_list(
    admin: httpx.Client, traffic: str
) -> None:
    whole = admin.get(f"/history/{traffic}")
    assert urls(whole) == [f"/{n}" for n in range(10)]
    assert whole.headers["Content-Length"] == str(len(whole.content))  # small: not chunked
    assert "X-Pretenders-Next-Offset" not in whole.headers


def test_a_long_history_is_written_in_slices_and_reads_back_the_same(
    admin: httpx.Client,
) -> None:
    mock_id = admin.post("/http", json={}).json()["id"]
    count = SLICE_ITEMS * 2 + 7
    for n in range(count):
        admin.get(f"/mockhttp/{mock_id}/{n}")
    with admin.stream("GET", f"/history/{mock_id}") as answer:
        assert answer.headers.get("Transfer-Encoding") == "chunked"
        body = answer.read()
    assert [r["url"] for r in json.loads(body)] == [f"/{n}" for n in range(count)]
    paged: list[str] = []
    offset: str | None = "0"
    while offset is not None:
        page = admin.get(f"/history/{mock_id}", params={"offset": offset, "limit": 300})
        paged += urls(page)
        offset = page.headers.get("X-Pretenders-Next-Offset")
    assert paged == [f"/{n}" for n in range(count)]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"offset": "-1"}, "offset"),
        ({"offset": "one"}, "offset"),
        ({"limit": "0"}, "limit"),
        ({"limit": "1.5"}, "limit"),
        ({"offset": str(MAX_INDEX + 1)}, "offset"),
        ({"limit": str(MAX_INDEX + 1)}, "limit"),
    ],
)
def test_bad_paging_values_are_refused_naming_the_parameter(
    admin: httpx.Client, traffic: str, params: dict[str, str], field: str
) -> None:
    refused = admin.get(f"/history/{traffic}", params=params)
    assert refused.status_code == 400
    error = refused.json()["errors"][0]
    assert error["field"] == field
    assert error["message"].startswith(f"{field} must be a whole number from ")
    assert error["message"].endswith(f" to {MAX_INDEX}, got {params[field]!r}")


def test_the_largest_offset_and_limit_are_past_any_list(admin: httpx.Client, traffic: str) -> None:
    largest = str(MAX_INDEX)
    assert urls(admin.get(f"/history/{traffic}", params={"offset": largest})) == []
    page = admin.get(f"/history/{traffic}", params={"offset": 9, "limit": largest})
    assert urls(page) == ["/9"]
    presets = admin.get(f"/preset/{traffic}", params={"offset": largest, "limit": largest})
    assert presets.json() == []


def test_the_openapi_document_describes_paging(admin: httpx.Client) -> None:
    paths = admin.get("/openapi.json").json()["paths"]
    for path in ("/history/{id}", "/preset/{id}"):
        operation = paths[path]["get"]
        schemas = {p["name"]: p["schema"] for p in operation["parameters"] if p["in"] == "query"}
        assert schemas["offset"] == {
            "type": "integer",
            "minimum": 0,
            "maximum": MAX_INDEX,
            "default": 0,
        }
        assert schemas["limit"] == {"type": "integer", "minimum": 1, "maximum": MAX_INDEX}
        assert "X-Pretenders-Next-Offset" in operation["responses"]["200"]["headers"]


def test_a_reader_leaving_mid_stream_is_no_server_error(
    admin: httpx.Client, server: EmbeddedServer, caplog: pytest.LogCaptureFixture
) -> None:
    mock_id = admin.post("/http", json={}).json()["id"]
    for n in range(SLICE_ITEMS * 3):
        admin.post(f"/mockhttp/{mock_id}/{n}", content=b"x" * 1000)
    with (
        caplog.at_level(logging.ERROR),
        socket.create_connection((server.host, server.port), timeout=10) as reader,
    ):
        reader.sendall(f"GET /history/{mock_id} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode())
        assert reader.recv(1000).startswith(b"HTTP/1.1 200")
        # Reset rather than close: the server's next write fails at once.
        reader.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    assert admin.get("/health").status_code == 200
    # The server went on to the next slices, found the reader gone, and stopped quietly.
    assert admin.get(f"/history/{mock_id}", params={"limit": 1}).status_code == 200
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
