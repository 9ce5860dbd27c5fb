"""The example of docs/replies.md's sequences and state section runs as written."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
import yaml

from pretenders.server.embedded import EmbeddedServer
from pretenders.server.settings import Settings

DOC = Path(__file__).parents[2] / "docs" / "replies.md"


def section() -> str:
    text = DOC.read_text(encoding="utf-8")
    return text.split("<!-- part B -->", 1)[1].split("<!-- end part B -->", 1)[0]


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", section(), flags=re.DOTALL)


def test_the_python_example_runs() -> None:
    (example,) = blocks("python")
    exec(compile(example, str(DOC), "exec"), {})


def test_the_load_file_example_loads(tmp_path: Path) -> None:
    (example,) = blocks("yaml")
    assert yaml.safe_load(example)["mocks"][0]["name"] == "shop"
    path = tmp_path / "shop.yaml"
    path.write_text(example)
    settings = Settings(port=0, load=(str(path),))
    with EmbeddedServer(settings) as server, httpx.Client(base_url=server.url) as client:
        assert client.get("/mockhttp/shop/status").status_code == 503
        assert client.get("/mockhttp/shop/status").text == "ok"


@pytest.mark.parametrize("number", [0, 1])
def test_the_json_examples_are_accepted(
    number: int, admin: httpx.Client, new_mock: Callable[..., str]
) -> None:
    response = admin.post(f"/preset/{new_mock()}", content=blocks("json")[number])
    assert response.status_code == 200, response.text
