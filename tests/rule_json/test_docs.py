"""The example of docs/limits.md's "JSON rules" section, run against a real server."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx

DOC = Path(__file__).parents[2] / "docs" / "limits.md"


def blocks() -> list[str]:
    section = DOC.read_text().split("## JSON rules", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```[a-z]*\n(.*?)```", section, re.S)


def payloads(commands: str) -> list[tuple[str, str]]:
    """(path, body) of each ``curl ... localhost:8000/PATH -d 'BODY'`` of a block."""
    return [
        (path, body)
        for path, body in re.findall(r"localhost:8000(/\S+) -d '(.*?)'", commands, re.S)
    ]


def test_the_documented_near_miss_and_400_are_what_the_server_says(admin: httpx.Client) -> None:
    commands, not_found, bad_command, error = blocks()
    (create, preset, request) = payloads(commands)
    assert admin.post(create[0], content=create[1]).status_code == 200
    try:
        assert admin.post(preset[0], content=preset[1]).status_code == 200
        answer = admin.post(request[0], content=request[1])
        assert (answer.status_code, answer.text) == (404, not_found)

        ((path, body),) = payloads(bad_command)
        refused = admin.post(path, content=body)
        assert refused.status_code == 400
        assert refused.json() == json.loads(error)
    finally:
        admin.delete("/http/shop")
