"""``pretenders import``: a WireMock folder and a mountebank file written as ``--load``
files that a fresh server loads and answers from."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
import yaml

from pretenders.server.embedded import EmbeddedServer
from pretenders.server.server import main
from tests.network_imports.helpers import MOUNTEBANK_FILE, WIREMOCK_ROOT


def test_a_wiremock_folder_becomes_a_load_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    written = tmp_path / "wiremock.yaml"

    assert (
        main(["import", "wiremock", str(WIREMOCK_ROOT), "-o", str(written), "--name", "api"]) == 0
    )

    told = capsys.readouterr().err
    assert "api: unmappable: imported without:" in told
    assert "  - request.multipartPatterns: not supported" in told
    document = yaml.safe_load(written.read_text())
    presets = document["mocks"][0]["presets"]
    assert len(presets) == len(list((WIREMOCK_ROOT / "mappings").glob("*.json")))
    catalogue = next(p for p in presets if p["rule"].get("path") == "/catalogue")
    assert catalogue["body"] == '{"items": ["tea", "cake"]}\n'  # read from __files
    logo = next(p for p in presets if p["rule"].get("path") == "/logo.png")
    assert "body_base64" in logo


def test_a_mountebank_file_loads_and_answers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    written = tmp_path / "shop.json"
    assert main(["import", "mountebank", str(MOUNTEBANK_FILE), "-o", str(written)]) == 0
    assert "shop: stub #18: imported without:" in capsys.readouterr().err
    document = yaml.safe_load(written.read_text())
    # the reply features of other parts (sequences, faults) are left out of this load
    document["mocks"][0]["presets"] = [
        p for p in document["mocks"][0]["presets"] if "replies" not in p and "fault" not in p
    ]
    written.write_text(json.dumps(document))

    with (
        EmbeddedServer(port=0, load=(str(written),)) as server,
        httpx.Client(base_url=server.url) as client,
    ):
        assert client.get("/mockhttp/shop/items/3").text == "an item"
        assert client.get("/mockhttp/shop/nowhere").text == "not in the imposter"


def test_an_unreadable_source_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["import", "mountebank", str(tmp_path / "missing.json")]) == 2
    assert "cannot read" in capsys.readouterr().err
