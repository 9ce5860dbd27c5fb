"""docs/replies.md's section on faults, pacing and delays: its examples run, its bounds
are the code's."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from pretenders.server.core.delays import MAX_DELAY, MAX_SIGMA
from pretenders.server.core.pacing import MAX_CHUNKS, MAX_PACING, TICK
from pretenders.server.embedded import EmbeddedServer
from pretenders.server.faults import GARBAGE_SIZE
from tests.first_hour.doc_blocks import ROOT, Block, blocks_of, with_address

DOC = ROOT / "docs" / "replies.md"
TEXT = DOC.read_text()
START, END = TEXT.index("<!-- part C -->"), TEXT.index("<!-- end part C -->")
SECTION = TEXT[START:END]


def _blocks(language: str) -> list[Block]:
    first = TEXT.count("\n", 0, START) + 1
    last = TEXT.count("\n", 0, END) + 1
    return [
        block
        for block in blocks_of(DOC)
        if block.language == language and first <= block.line <= last
    ]


def test_the_python_example_runs(server: EmbeddedServer) -> None:
    (block,) = _blocks("python")
    namespace: dict[str, Any] = {"__name__": "__doc_example__"}
    exec(compile(with_address(block.code, server.host, server.port), block.name, "exec"), namespace)
    namespace["mock"].close()
    with httpx.Client(base_url=server.url) as admin:
        assert admin.get("/http/flaky-payments").status_code == 404  # it cleaned up


def test_the_load_file_example_serves_what_it_says(tmp_path: Path) -> None:
    (block,) = _blocks("yaml")
    path = tmp_path / "mocks.yaml"
    path.write_text(block.code)
    with EmbeddedServer(load=[path]) as running, httpx.Client(base_url=running.url) as http:
        assert http.get("/mockhttp/slow-catalogue/items").json() == [{"id": 1}]
        (record,) = http.get("/history/slow-catalogue").json()
        assert 0.1 <= record["delay"] <= 0.3
        with pytest.raises(httpx.RemoteProtocolError, match="illegal chunk header"):
            http.get("/mockhttp/slow-catalogue/broken")


def test_the_bounds_written_are_the_codes() -> None:
    assert GARBAGE_SIZE == 1024 and "1 KiB of random bytes" in SECTION
    assert MAX_CHUNKS == 10_000 and "`N` from 1 to 10000" in SECTION
    assert MAX_PACING == MAX_DELAY == 3600 and "from 0 to\n  3600 seconds" in SECTION
    assert TICK == 0.05 and "a\n  twentieth of a second" in SECTION
    assert MAX_SIGMA == 5 and "`sigma` (0 to 5)" in SECTION


def test_the_pacing_error_in_limits_md_is_the_one_answered(
    admin: httpx.Client, new_mock: Callable[..., str]
) -> None:
    limits = (ROOT / "docs" / "limits.md").read_text()
    shown = next(
        json.loads(line) for line in limits.splitlines() if "pacing.bytes_per_second:" in line
    )
    mock_id = new_mock()
    body = base64.b64encode(bytes(4000)).decode()
    pacing = {"bytes_per_second": 1}
    answer = admin.post(f"/preset/{mock_id}", json={"body": body, "pacing": pacing})
    assert (answer.status_code, answer.json()) == (400, shown)
