"""Bodies from files under --files-root: served, re-read when changed, templated, and never
read from outside the root."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from pretenders.server.embedded import EmbeddedServer
from tests.replies_templates.conftest import LIMIT

Served = Callable[..., httpx.Response]


def add(client: httpx.Client, mock_id: str, **fields: object) -> httpx.Response:
    return client.post(f"/preset/{mock_id}", json={"times": "FOREVER", **fields})


def error_of(answer: httpx.Response) -> dict[str, str]:
    assert answer.status_code == 400, answer.text
    [error] = answer.json()["errors"]
    return error  # type: ignore[no-any-return]


def test_a_file_is_served_as_the_body(client: httpx.Client, mock_id: str, served: Served) -> None:
    answer = add(client, mock_id, body_file="greeting.txt", headers={"Content-Type": "text/plain"})

    assert answer.status_code == 200, answer.text
    assert answer.json()["body_file"] == "greeting.txt"
    assert "template" not in answer.json()
    assert served("GET", "/anything").text == "hello from a file\n"


def test_a_changed_file_is_served_as_it_is_now(
    client: httpx.Client, mock_id: str, served: Served, files_root: Path
) -> None:
    fixture = files_root / "changing.json"
    fixture.write_text('{"v": 1}')
    assert add(client, mock_id, body_file="changing.json").status_code == 200
    assert served("GET", "/c").json() == {"v": 1}

    fixture.write_text('{"v": 22}')
    os.utime(fixture, ns=(fixture.stat().st_atime_ns, fixture.stat().st_mtime_ns + 10**9))

    assert served("GET", "/c").json() == {"v": 22}


def test_a_file_in_a_subdirectory_is_a_template_when_asked(
    client: httpx.Client, mock_id: str, served: Served, files_root: Path
) -> None:
    (files_root / "orders").mkdir(exist_ok=True)
    (files_root / "orders" / "one.json").write_text('{"id": "{{ request.path_params.id }}"}')

    answer = add(
        client,
        mock_id,
        rule={"path": "/orders/{id}"},
        body_file="orders/one.json",
        template=True,
    )

    assert answer.status_code == 200, answer.text
    assert served("GET", "/orders/77").json() == {"id": "77"}


def test_a_file_that_went_away_is_a_500_recorded(
    client: httpx.Client, mock_id: str, served: Served, files_root: Path
) -> None:
    fixture = files_root / "brief.txt"
    fixture.write_text("here")
    assert add(client, mock_id, body_file="brief.txt").status_code == 200
    fixture.unlink()

    answer = served("GET", "/gone")

    assert answer.status_code == 500
    assert "body_file: 'brief.txt': no such file under --files-root" in answer.text
    [record] = client.get(f"/history/{mock_id}").json()
    assert record["status"] == 500


@pytest.mark.parametrize(
    ("path", "why"),
    [
        ("../outside.txt", "leads outside --files-root"),
        ("orders/../../outside.txt", "leads outside --files-root"),
        ("link-out.txt", "leads outside --files-root"),
        ("/etc/passwd", "is absolute"),
        ("nope.txt", "no such file under --files-root"),
        ("orders", "is not a regular file"),
        ("", "a path relative to --files-root is needed"),
    ],
)
def test_a_path_that_leaves_the_root_or_names_no_file_is_a_400(
    client: httpx.Client, mock_id: str, files_root: Path, path: str, why: str
) -> None:
    outside = files_root.parent / "outside.txt"
    outside.write_text("secret")
    (files_root / "orders").mkdir(exist_ok=True)
    link = files_root / "link-out.txt"
    if not link.is_symlink():
        link.symlink_to(outside)

    error = error_of(add(client, mock_id, body_file=path))

    assert error["field"] == "body_file"
    assert why in error["message"]


def test_a_file_larger_than_a_body_may_be_is_a_400(
    client: httpx.Client, mock_id: str, files_root: Path
) -> None:
    (files_root / "huge.bin").write_bytes(b"x" * (LIMIT + 1))

    error = error_of(add(client, mock_id, body_file="huge.bin"))

    assert "over the" in error["message"] and "--max-body-size" in error["message"]


def test_a_body_and_a_body_file_together_are_a_400(client: httpx.Client, mock_id: str) -> None:
    error = error_of(add(client, mock_id, body="eA==", body_file="greeting.txt"))

    assert error["field"] == "body_file"
    assert "not both" in error["message"]


@pytest.fixture(scope="module")
def rootless() -> Iterator[EmbeddedServer]:
    with EmbeddedServer() as running:
        yield running


def test_a_server_without_a_root_refuses_files_saying_how_to_start_it(
    rootless: EmbeddedServer,
) -> None:
    with httpx.Client(base_url=rootless.url) as admin:
        mock_id = admin.post("/http", json={}).json()["id"]
        error = error_of(add(admin, mock_id, body_file="greeting.txt"))

    assert error["field"] == "body_file"
    assert "start it with --files-root DIR" in error["message"]


def test_a_preset_from_another_server_without_the_file_answers_a_500() -> None:
    """A shared store's copy (files_checked=False) is compiled without the file: the
    request gets a 500 saying why, the mock's other presets keep working."""
    from pretenders.server.core.matching import MatchSubject
    from pretenders.server.core.presets import Reply
    from pretenders.server.core.records import RequestRecord
    from pretenders.server.core.reply_render import ReplyOptions
    from pretenders.server.core.reply_spec import ReplySpec

    spec = ReplySpec(body_file="elsewhere.json", template=True)
    reply = Reply.from_spec(spec, ReplyOptions(files_checked=False))
    record = RequestRecord(method="GET", url="/", headers=(), body=b"", time=0.0)

    assert reply.maker is not None
    made = reply.maker.answer(MatchSubject(record), None)

    assert made.status == 500
    assert b"no --files-root" in made.body
    assert "sandbox" in made.response_headers["Content-Security-Policy"]
