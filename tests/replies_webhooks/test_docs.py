"""The webhook examples of the docs: docs/limits.md's refusal is what the server says, and
docs/replies.md's section holds a Python example (run as written by
tests/first_hour/test_doc_examples.py; run here too, so this folder covers its feature)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx

from pretenders.client.http import HTTPMock
from pretenders.server.embedded import EmbeddedServer

DOCS = Path(__file__).parents[2] / "docs"


def section(document: str, start: str, end: str) -> str:
    return (DOCS / document).read_text().split(start, 1)[1].split(end, 1)[0]


def test_the_documented_refusal_is_what_the_server_answers(admin: httpx.Client) -> None:
    text = section("limits.md", "## Webhooks", "\n## ")
    command, error = re.findall(r"```\n\$ (.*?)\n(.*?)\n```", text, re.S)[0]
    path, body = re.findall(r"localhost:8000(/\S+) -d '(.*?)'", command)[0]
    assert admin.post("/http", json={"name": "shop"}).status_code == 200
    try:
        refused = admin.post(path, content=body)
        assert refused.status_code == 400
        assert refused.json() == json.loads(error)
    finally:
        admin.delete("/http/shop")


def test_the_replies_example_runs(server: EmbeddedServer) -> None:
    text = section("replies.md", "<!-- part D -->", "<!-- end part D -->")
    (code,) = re.findall(r"```python\n(.*?)```", text, re.S)
    address = f'"{server.host}", {server.port}'
    namespace: dict[str, object] = {}
    try:
        exec(compile(code.replace('"localhost", 8000', address), "replies.md", "exec"), namespace)
    finally:
        for value in namespace.values():
            if isinstance(value, HTTPMock):
                value.close()  # what a test would do; the example leaves it out
