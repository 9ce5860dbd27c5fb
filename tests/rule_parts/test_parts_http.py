"""``parts`` over real HTTP: uploads matched by part name, filename, type and content; near
misses in the 404 text and history; 400s; and a ``--load`` file."""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from pretenders.server.embedded import EmbeddedServer

pytestmark = pytest.mark.deployments

UPLOAD_RULE = {
    "rule": "POST /upload",
    "parts": [
        {"name": "title", "content": "Q3"},
        {"name": "file", "filename": {"matches": r".*\.csv"}, "content_type": "text/csv"},
    ],
}


@pytest.fixture
def mock_id(new_mock: Callable[..., str]) -> str:
    return new_mock()


def add_preset(admin: httpx.Client, mock_id: str, rule: dict[str, object], body: bytes) -> None:
    payload = {"rule": rule, "body": base64.b64encode(body).decode(), "times": "FOREVER"}
    response = admin.post(f"/preset/{mock_id}", json=payload)
    assert response.status_code == 200, response.text


def upload(
    client: httpx.Client, url: str, title: str, filename: str, content_type: str
) -> httpx.Response:
    return client.post(
        url, data={"title": title}, files={"file": (filename, b"a,b\n1,2\n", content_type)}
    )


def test_an_upload_matches_by_part_and_a_near_miss_names_the_part(
    admin: httpx.Client, mock_id: str
) -> None:
    add_preset(admin, mock_id, UPLOAD_RULE, b"stored")
    url = f"/mockhttp/{mock_id}/upload"
    assert upload(admin, url, "Q3", "r.csv", "text/csv").text == "stored"
    missed = upload(admin, url, "Q3", "r.csv", "application/vnd.ms-excel")
    assert missed.status_code == 404
    assert (
        'part file content_type: expected "text/csv", got "application/vnd.ms-excel"' in missed.text
    )
    missed = upload(admin, url, "Q4", "r.csv", "text/csv")
    assert 'part title content: expected "Q3", got "Q4"' in missed.text
    missed = admin.post(url, data={"title": "Q3"})
    assert 'part title: expected "a part named title", got (not a multipart body)' in missed.text
    history = admin.get(f"/history/{mock_id}").json()
    fields = [r["near_misses"][0]["differences"][0]["field"] for r in history[1:]]
    assert fields == ["part file content_type", "part title content", "part title"]
    assert history[1]["near_misses"][0]["rule"]["parts"] == UPLOAD_RULE["parts"]


def test_a_missing_part_is_absent(admin: httpx.Client, mock_id: str) -> None:
    add_preset(admin, mock_id, {"rule": "POST /upload", "parts": [{"name": "file"}]}, b"ok")
    missed = admin.post(
        f"/mockhttp/{mock_id}/upload", files={"other": ("a.txt", b"x", "text/plain")}
    )
    assert missed.status_code == 404
    assert 'part file: expected "a part named file", got (absent)' in missed.text


@pytest.mark.parametrize(
    ("parts", "field", "message"),
    [
        ([{"name": ""}], "parts", "parts: a part needs a name"),
        (
            [{"name": "f", "content": {"matches": "("}}],
            "parts.f.content",
            "parts.f.content: invalid regular expression",
        ),
        ([{"filename": "x"}], None, "missing required field `name`"),
    ],
    ids=["empty name", "bad regex", "no name"],
)
def test_bad_parts_are_a_400_naming_the_field(
    admin: httpx.Client, mock_id: str, parts: object, field: str | None, message: str
) -> None:
    response = admin.post(f"/preset/{mock_id}", json={"rule": {"rule": "POST /u", "parts": parts}})
    assert response.status_code == 400, response.text
    (error,) = response.json()["errors"]
    assert message in error["message"]
    if field is not None:
        assert error["field"] == field
    assert admin.get(f"/preset/{mock_id}").json() == []


LOADED = r"""
mocks:
  - name: files
    presets:
      - rule:
          rule: POST /upload
          parts:
            - {name: file, filename: {matches: '.*\.csv'}, content: {contains: '1,2'}}
        body: stored
        times: FOREVER
"""


@pytest.mark.memory_only
def test_a_load_file_with_parts(tmp_path: Path) -> None:
    path = tmp_path / "files.yaml"
    path.write_text(LOADED)
    with (
        EmbeddedServer(load=(str(path),)).start() as server,
        httpx.Client(base_url=server.url, timeout=10) as client,
    ):
        url = "/mockhttp/files/upload"
        assert upload(client, url, "any", "r.csv", "text/csv").text == "stored"
        missed = upload(client, url, "any", "r.txt", "text/csv")
        assert missed.status_code == 404
        assert (
            """part file filename: expected "matches '.*\\\\.csv'", got "r.txt\"""" in missed.text
        )
