"""--max-body-size over real sockets: mock requests, preset bodies and admin calls."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from pretenders.client.http import HTTPMock
from pretenders.common.exceptions import ConfigurationError, VerificationError
from pretenders.server.embedded import EmbeddedServer
from pretenders.server.loader import LoadError
from pretenders.server.settings import Settings

LIMIT = 1024


@pytest.fixture(scope="module")
def limited() -> Iterator[EmbeddedServer]:
    with EmbeddedServer(max_body_size=LIMIT) as server:
        yield server


@pytest.fixture
def client(limited: EmbeddedServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=limited.url, timeout=10) as client:
        yield client


@pytest.fixture
def mock_id(client: httpx.Client) -> Iterator[str]:
    created = client.post("/http", json={}).json()["id"]
    client.post(f"/preset/{created}", json={"rule": "POST", "times": "FOREVER"})
    yield created
    client.delete(f"/http/{created}")


def refusal(size: int | None, limit: int = LIMIT) -> str:
    body = f"The request body ({size} bytes)" if size is not None else "The request body"
    return (
        f"{body} is over this pretenders server's limit of {limit} bytes; start the server "
        "with a higher --max-body-size. The request was recorded without its body.\n"
    )


def test_a_body_at_the_limit_is_served(client: httpx.Client, mock_id: str) -> None:
    response = client.post(f"/mockhttp/{mock_id}/in", content=b"x" * LIMIT)
    assert response.status_code == 200
    assert len(client.get(f"/history/{mock_id}/0").json()["body"]) > LIMIT


def test_a_body_over_the_limit_gets_413_and_is_recorded_without_it(
    client: httpx.Client, mock_id: str
) -> None:
    response = client.post(f"/mockhttp/{mock_id}/big?x=1", content=b"x" * (LIMIT + 1))
    assert response.status_code == 413
    assert response.text == refusal(LIMIT + 1)
    recorded = client.get(f"/history/{mock_id}/-1").json()
    assert (recorded["method"], recorded["url"], recorded["status"]) == ("POST", "/big?x=1", 413)
    assert (recorded["body"], recorded["body_too_large"], recorded["matched"]) == ("", True, False)
    assert recorded["headers"]["Content-Length"] == str(LIMIT + 1)


def test_the_connection_still_serves_after_a_refusal(client: httpx.Client, mock_id: str) -> None:
    assert client.post(f"/mockhttp/{mock_id}/a", content=b"x" * 50_000).status_code == 413
    assert client.post(f"/mockhttp/{mock_id}/b", content=b"small").status_code == 200


def chunks(total: int, size: int = 4096) -> Iterator[bytes]:
    while total > 0:
        yield b"y" * min(size, total)
        total -= size


@pytest.mark.parametrize("total", [LIMIT + 1, 3 * 1024 * 1024], ids=["just over", "far over"])
def test_a_chunked_body_over_the_limit_gets_413(
    client: httpx.Client, mock_id: str, total: int
) -> None:
    response = client.post(f"/mockhttp/{mock_id}/chunked", content=chunks(total))
    assert response.status_code == 413
    assert response.text == refusal(None)
    assert client.get(f"/history/{mock_id}/-1").json()["body_too_large"] is True


def test_a_preset_body_over_the_limit_is_refused(client: httpx.Client, mock_id: str) -> None:
    body = base64.b64encode(b"z" * (LIMIT + 1)).decode()
    response = client.post(f"/preset/{mock_id}", json={"body": body})
    assert response.status_code == 413
    assert response.json() == {
        "errors": [
            {
                "code": "too_large",
                "message": f"body: the reply body is {LIMIT + 1} bytes, over this server's "
                f"limit of {LIMIT} bytes; start the server with a higher --max-body-size",
                "field": "body",
            }
        ]
    }


def test_an_admin_call_over_the_payload_limit_is_a_json_413(
    client: httpx.Client, mock_id: str
) -> None:
    limit = Settings(max_body_size=LIMIT).admin_payload_limit
    response = client.post(
        f"/preset/{mock_id}",
        content=b'{"body": "' + b"A" * limit + b'"}',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["errors"] == [
        {
            "code": "too_large",
            "message": f"the request body is over {limit} bytes, the most an admin call may "
            f"send: a preset's reply body may be up to {LIMIT} bytes (base64-encoded); start "
            "the server with a higher --max-body-size",
            "field": None,
        }
    ]


def test_the_client_says_which_option_to_raise(limited: EmbeddedServer) -> None:
    with HTTPMock(limited.host, limited.port) as mock:
        with pytest.raises(ConfigurationError, match="higher --max-body-size"):
            mock.reply(b"z" * (LIMIT + 1))
        mock.reply("fine", times=1)
        httpx.post(mock.pretend_url + "/upload", content=b"x" * (LIMIT + 1))
        with pytest.raises(VerificationError) as failed:
            mock.assert_no_unmatched()
        assert "POST /upload -> 413: its body was over the server's --max-body-size" in str(
            failed.value
        )
        mock.delete_mock()


def test_the_ui_form_refuses_a_reply_body_over_the_limit(
    client: httpx.Client, mock_id: str
) -> None:
    from tests.ui.conftest import csrf_tokens

    page = client.get(f"/ui/http/{mock_id}").text
    action = f"/ui/http/{mock_id}/presets"
    form = {"csrf_token": csrf_tokens(page)[action], "status": "200", "times": "1"}
    refused = client.post(action, data={**form, "body": "z" * (LIMIT + 1)})
    assert refused.status_code == 413
    assert "higher --max-body-size" in refused.text
    too_big = client.post(action, data={**form, "body": "z" * (3 * 1024 * 1024)})
    assert too_big.status_code == 413
    assert "the most an admin call may send" in too_big.text


def test_the_default_limit_is_16_mib(admin: httpx.Client) -> None:
    mock = admin.post("/http", json={}).json()["id"]
    over = admin.post(f"/mockhttp/{mock}/x", content=b"x" * (16 * 1024 * 1024 + 1))
    assert over.status_code == 413
    assert "limit of 16777216 bytes" in over.text
    admin.delete(f"/http/{mock}")


def test_a_mock_file_with_a_reply_body_over_the_limit_stops_start_up(tmp_path: Path) -> None:
    path = tmp_path / "mocks.yaml"
    path.write_text(
        "mocks:\n  - name: big\n    presets:\n      - rule: GET /\n        body: '"
        + "z" * (LIMIT + 1)
        + "'\n"
    )
    with pytest.raises(LoadError) as refused:
        EmbeddedServer(Settings(port=0, load=(str(path),), max_body_size=LIMIT)).start()
    assert "the reply body is 1025 bytes, over this server's limit of 1024 bytes" in str(
        refused.value
    )
