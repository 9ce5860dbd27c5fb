"""docs/limits.md's section on connections says what the server really does."""

from __future__ import annotations

import json
import logging
import re
import shlex
from pathlib import Path

import httpx
import pytest

from pretenders.server.connections import ConnectionBudget, default_max_connections, http_refusal
from pretenders.server.embedded import EmbeddedServer
from pretenders.server.server import parse_args
from tests.raw_socket import exchange

DOC = (Path(__file__).parents[2] / "docs" / "limits.md").read_text()
SECTION = DOC[DOC.index("## Connections") :].split("\n## ")[0]


def blocks(language: str) -> list[str]:
    """The section's code blocks in ``language`` ("" for plain ones)."""
    found = re.findall(r"^```(\w*)\n(.*?)^```$", SECTION, re.S | re.M)
    return [text for kind, text in found if kind == language]


def test_the_command_line_example_parses() -> None:
    (command,) = blocks("sh")
    args = parse_args(shlex.split(command)[1:])
    assert (args.header_timeout, args.keepalive_timeout, args.max_connections) == (5, 30, 2000)


def test_the_503_shown_is_the_one_sent() -> None:
    (shown,) = [b for b in blocks("") if b.startswith("HTTP/1.1 503")]
    budget = ConnectionBudget(890)
    budget.open = 890
    sent = http_refusal(budget).decode()
    head, body = sent.split("\r\n\r\n")
    assert shown.endswith(body)
    for line in shown.splitlines()[:4]:
        assert line in head.split("\r\n")


def test_the_default_limits_shown_are_derived_so() -> None:
    assert default_max_connections(1024) == 890
    assert "With the common limit of 1024 that is 890" in SECTION
    assert default_max_connections(128) == 84
    assert "`ulimit -n 128`, 84" in SECTION


def test_the_after_error_shown_is_the_one_answered(admin: httpx.Client) -> None:
    shown = json.loads(next(b for b in blocks("json") if "after must be" in b))
    mock_id = admin.post("/http", json={}).json()["id"]
    try:
        answer = admin.post(f"/preset/{mock_id}", json={"rule": "GET /", "after": 1e300})
        assert answer.json() == shown
    finally:
        admin.delete(f"/http/{mock_id}")


def test_the_embedded_example_starts() -> None:
    call = re.search(r"`(EmbeddedServer\(history_limit=.*?\))`", DOC, re.S)
    assert call is not None
    server = eval(" ".join(call.group(1).split()), {"EmbeddedServer": EmbeddedServer})
    with server:
        assert httpx.get(f"{server.url}/health").status_code == 200
        assert server.settings.max_connections == 200


def test_the_unparsable_request_line_shown_is_the_one_logged(
    server: EmbeddedServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="pretenders.server")
    exchange(server.port, b"GARBAGE\r\n\r\n")
    httpx.get(f"{server.url}/health")
    shown = re.search(r"`(unparsable request from 127\.0\.0\.1: [^`]*)`", SECTION)
    assert shown is not None
    assert shown.group(1) in [r.getMessage() for r in caplog.records]
