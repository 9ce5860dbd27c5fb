"""Templates and body files through every way in and out: the clients (sync and async),
``--load`` files, the preset listing, OpenAPI, the UI and the command line."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from pretenders.client.aio import AsyncHTTPMock
from pretenders.client.http import HTTPMock
from pretenders.server.embedded import EmbeddedServer
from pretenders.server.server import parse_args, settings_from
from pretenders.server.settings import Settings


def test_the_sync_client_adds_templates_and_body_files(
    templated_server: EmbeddedServer,
) -> None:
    mock = HTTPMock(templated_server.host, templated_server.port)
    try:
        mock.when(method="GET", path="/users/{id}").reply(
            '{"id": "{{ request.path_params.id }}"}',
            status="{{ 200 }}",
            headers={"X-Id": "{{ request.path_params.id }}"},
            template=True,
        )
        mock.when("GET /file").reply(body_file="greeting.txt")
        mock.when("GET /raw").reply("{{ as written }}")
        base = mock.pretend_url

        templated = httpx.get(f"{base}/users/5")
        assert (templated.json(), templated.headers["X-Id"]) == ({"id": "5"}, "5")
        assert httpx.get(f"{base}/file").text == "hello from a file\n"
        assert httpx.get(f"{base}/raw").text == "{{ as written }}"
    finally:
        mock.delete_mock()
        mock.close()


@pytest.mark.anyio
async def test_the_async_client_adds_templates_and_body_files(
    templated_server: EmbeddedServer,
) -> None:
    async with AsyncHTTPMock(templated_server.host, templated_server.port) as mock:
        await mock.when("GET /hi").reply("hi {{ request.query.name }}", template=True)
        await mock.when("GET /file").reply(body_file="greeting.txt", template=True)
        base = mock.pretend_url
        async with httpx.AsyncClient() as client:
            assert (await client.get(f"{base}/hi?name=Ann")).text == "hi Ann"
            assert (await client.get(f"{base}/file")).text == "hello from a file\n"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def test_the_listing_shows_template_and_file_only_when_set(
    client: httpx.Client, mock_id: str
) -> None:
    client.post(f"/preset/{mock_id}", json={"rule": "GET /plain"}).raise_for_status()
    client.post(
        f"/preset/{mock_id}",
        json={"rule": "GET /made", "template": True, "status": "{{ 201 }}"},
    ).raise_for_status()
    client.post(
        f"/preset/{mock_id}", json={"rule": "GET /file", "body_file": "greeting.txt"}
    ).raise_for_status()

    plain, made, from_file = client.get(f"/preset/{mock_id}").json()

    assert "template" not in plain and "body_file" not in plain
    assert (made["template"], made["status"]) == (True, "{{ 201 }}")
    assert from_file["body_file"] == "greeting.txt" and "template" not in from_file


def test_openapi_documents_the_fields(client: httpx.Client) -> None:
    document = client.get("/openapi.json").json()
    text = json.dumps(document)

    assert '"template"' in text and '"body_file"' in text
    schemas = document["components"]["schemas"]
    preset_in = next(s for name, s in schemas.items() if name.startswith("PresetIn"))
    assert {"template", "body_file"} <= set(preset_in["properties"])


def test_the_ui_lists_template_and_file(
    templated_server: EmbeddedServer, client: httpx.Client, mock_id: str
) -> None:
    client.post(
        f"/preset/{mock_id}",
        json={"rule": "GET /made", "template": True, "body_file": "greeting.txt"},
    ).raise_for_status()

    page = client.get(f"/ui/http/{mock_id}")

    assert page.status_code == 200
    row = page.text.split('data-preset="0"', 1)[1].split("</tr>", 1)[0]
    assert 'data-field="template"' in row
    assert 'data-field="file"' in row and "greeting.txt" in row


def test_a_load_file_adds_templated_presets_and_body_files(
    tmp_path: Path, files_root: Path
) -> None:
    loaded = tmp_path / "mocks.yaml"
    loaded.write_text(
        "mocks:\n"
        "  - name: loaded-templates\n"
        "    presets:\n"
        "      - rule: {method: GET, path: '/orders/{id}'}\n"
        "        template: true\n"
        "        status: '{{ 200 + 2 }}'\n"
        "        body: 'order {{ request.path_params.id }}'\n"
        "        times: FOREVER\n"
        "      - rule: GET /file\n"
        "        body_file: greeting.txt\n"
    )
    settings = Settings(port=0, load=(str(loaded),), files_root=str(files_root))
    with EmbeddedServer(settings) as server:
        base = f"{server.url}/mockhttp/loaded-templates"
        answer = httpx.get(f"{base}/orders/9")
        assert (answer.status_code, answer.text) == (202, "order 9")
        assert httpx.get(f"{base}/file").text == "hello from a file\n"


def test_a_load_file_with_a_bad_template_is_refused_naming_it(tmp_path: Path) -> None:
    from pretenders.server.loader import LoadError

    loaded = tmp_path / "mocks.yaml"
    loaded.write_text(
        "mocks:\n  - name: bad\n    presets:\n      - template: true\n        body: '{{ ('\n"
    )
    with pytest.raises(LoadError, match="body: not a valid template"):
        EmbeddedServer(Settings(port=0, load=(str(loaded),))).start()


def test_the_command_line_takes_a_files_root(tmp_path: Path) -> None:
    settings = settings_from(parse_args(["--files-root", str(tmp_path)]))

    assert settings.files_root == str(tmp_path)
    assert settings_from(parse_args([])).files_root is None


def test_the_command_line_refuses_a_files_root_that_is_no_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        parse_args(["--files-root", str(tmp_path / "nope")])

    assert "--files-root" in capsys.readouterr().err
