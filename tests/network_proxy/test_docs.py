"""docs/network.md's proxy section: its Python examples run, in order, against a real
server and a local upstream; the recording they export replays with the upstream gone."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from pretenders.server.embedded import EmbeddedServer
from tests.conftest import Deployed
from tests.network_proxy.upstream import Upstream

DOC = Path(__file__).parents[2] / "docs" / "network.md"


def _examples() -> list[str]:
    text = DOC.read_text(encoding="utf-8")
    section = text[text.index("<!-- proxy -->") : text.index("<!-- end proxy -->")]
    return re.findall(r"```python\n(.*?)```", section, re.DOTALL)


def test_the_section_has_its_examples() -> None:
    assert len(_examples()) == 3


def test_the_examples_run(
    server: Deployed, upstream: Upstream, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    made: list[object] = []
    for example in _examples():
        namespace = {"HOST": server.host, "PORT": server.port, "UPSTREAM": upstream.url}
        exec(compile(example, str(DOC), "exec"), namespace)
        made.append(namespace["mock"])
    upstream.stop()
    with EmbeddedServer(port=0, load=("recorded-api.yaml",)) as offline:
        replayed = httpx.get(
            f"{offline.url}/mockhttp/recorded-api/status/201", headers={"Accept": "text/plain"}
        )
    assert (replayed.status_code, replayed.text) == (201, "as asked")
    for mock in made:
        mock.delete_mock()  # type: ignore[attr-defined]
        mock.close()  # type: ignore[attr-defined]
