"""The examples of docs/limits.md's "Regular expressions" section, checked against a real
server with the default budget."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

DOC = Path(__file__).parents[2] / "docs" / "limits.md"
TRIPS = "/" + "a" * 40 + "!"


def blocks() -> list[str]:
    section = DOC.read_text().split("## Regular expressions", 1)[1]
    return re.findall(r"```[a-z]*\n(.*?)```", section, re.S)


def test_the_documented_404_log_line_and_400_are_what_the_server_says(
    admin: httpx.Client, new_mock: Callable[..., str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, "pretenders.server")
    not_found, log_line, command, error = blocks()[:4]
    mock_id = new_mock()
    preset = {"rule": "GET /(a|aa)+$", "times": "FOREVER"}
    assert admin.post(f"/preset/{mock_id}", json=preset).status_code == 200

    answer = admin.get(f"/mockhttp/{mock_id}{TRIPS}")

    assert answer.status_code == 404
    assert answer.text == not_found
    (logged,) = [r.getMessage() for r in caplog.records if mock_id in r.getMessage()]
    assert f"WARNING pretenders.server: {logged}\n" == log_line.replace("orders", mock_id)

    query = command.split("?", 1)[1].split("'")[0]
    filtered = admin.get(f"/history/{mock_id}?{query}")
    assert filtered.status_code == 400
    assert filtered.json() == json.loads(error)
