"""Wire round-trips over a real server, for any bytes and text hypothesis can think of.

What goes in through the admin API or a mock endpoint comes back identical: reply bodies
and headers from the mock, request bodies, headers and paths through the history.
"""

from __future__ import annotations

import base64
import string
from collections.abc import Iterator
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pretenders.server.embedded import EmbeddedServer

ROUND_TRIPS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

# Header values as a client may send them: UTF-8 text without control characters, and
# without the surrounding spaces that HTTP strips.
header_values = st.text(
    st.characters(min_codepoint=0x20, exclude_categories=["Cs", "Cc"]), max_size=60
).map(str.strip)
form_texts = st.text(st.characters(exclude_categories=["Cs"]), max_size=30)
# Multipart field names travel in a quoted header parameter, where httpx (as browsers do)
# escapes quotes and control characters in a way servers do not undo.
multipart_names = st.text(
    st.characters(exclude_categories=["Cs", "Cc"], exclude_characters='"\\'), max_size=20
)


@pytest.fixture(scope="module")
def client(server: EmbeddedServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=10) as session:
        yield session


@pytest.fixture(scope="module")
def mock_id(client: httpx.Client) -> Iterator[str]:
    created = client.post("/http", json={"pretender_timeout": "FOREVER"})
    created.raise_for_status()
    identifier = str(created.json()["id"])
    yield identifier
    client.delete(f"/http/{identifier}")


def preset(client: httpx.Client, mock_id: str, **fields: object) -> dict[str, object]:
    response = client.post(f"/preset/{mock_id}", json={"times": 1, **fields})
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def latest(client: httpx.Client, mock_id: str) -> dict[str, object]:
    response = client.get(f"/history/{mock_id}/-1")
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


@ROUND_TRIPS
@given(body=st.binary(max_size=2000))
def test_a_reply_body_of_any_bytes_comes_back_identical(
    client: httpx.Client, mock_id: str, body: bytes
) -> None:
    encoded = base64.b64encode(body).decode("ascii")
    assert preset(client, mock_id, rule="GET /reply$", body=encoded)["body"] == encoded
    served = client.get(f"/mockhttp/{mock_id}/reply")
    assert served.status_code == 200
    assert served.content == body


@ROUND_TRIPS
@given(body=st.binary(max_size=2000), method=st.sampled_from(["POST", "PUT", "PATCH", "BREW"]))
def test_a_request_body_of_any_bytes_is_recorded_identical(
    client: httpx.Client, mock_id: str, body: bytes, method: str
) -> None:
    client.request(method, f"/mockhttp/{mock_id}/posted", content=body)
    record = latest(client, mock_id)
    assert (record["method"], record["url"]) == (method, "/posted")
    assert base64.b64decode(str(record["body"])) == body


@ROUND_TRIPS
@given(value=header_values)
def test_header_values_come_back_identical(client: httpx.Client, mock_id: str, value: str) -> None:
    preset(client, mock_id, rule="GET /header$", headers={"X-Reply": value})
    served = client.get(f"/mockhttp/{mock_id}/header", headers={"X-Sent": value.encode()})
    assert dict(served.headers.raw)[b"X-Reply"].decode("utf-8") == value
    assert latest(client, mock_id)["headers"]["X-Sent"] == value  # type: ignore[index]


@ROUND_TRIPS
@given(path=st.text(st.characters(exclude_categories=["Cs"]), max_size=30))
def test_paths_and_queries_are_recorded_as_sent(
    client: httpx.Client, mock_id: str, path: str
) -> None:
    # Dots encoded: httpx would drop "/./" and "/../" segments before sending.
    raw = "/" + quote(path, safe=string.ascii_letters + "/?&=;,:@!$'()*+-_~").replace(".", "%2E")
    sent = client.get(f"/mockhttp/{mock_id}{raw}")
    assert sent.request.url.raw_path.decode("ascii").endswith(raw)
    assert latest(client, mock_id)["url"] == raw


@ROUND_TRIPS
@given(
    fields=st.dictionaries(form_texts, form_texts, min_size=1, max_size=5),
    multipart_fields=st.dictionaries(multipart_names, form_texts, max_size=5),
)
def test_posted_forms_match_a_data_rule(
    client: httpx.Client, mock_id: str, fields: dict[str, str], multipart_fields: dict[str, str]
) -> None:
    preset(client, mock_id, rule={"rule": "POST /form$", "data": fields}, body="bWF0Y2hlZA==")
    urlencoded = client.post(f"/mockhttp/{mock_id}/form", data=fields)
    assert (urlencoded.status_code, urlencoded.content) == (200, b"matched"), urlencoded.text
    with_file = {**multipart_fields, "upload": "file content"}
    preset(client, mock_id, rule={"rule": "POST /form$", "data": with_file}, body="bWF0Y2hlZA==")
    upload = {"upload": ("name.txt", b"file content")}
    multipart = client.post(f"/mockhttp/{mock_id}/form", data=multipart_fields, files=upload)
    assert (multipart.status_code, multipart.content) == (200, b"matched"), multipart.text


@ROUND_TRIPS
@given(name=st.text(max_size=20), value=st.text(max_size=40))
def test_a_preset_header_is_refused_or_served_exactly(
    client: httpx.Client, mock_id: str, name: str, value: str
) -> None:
    """A preset the server takes is one it can serve: bad headers are refused up front."""
    added = client.post(
        f"/preset/{mock_id}", json={"rule": "GET /any-header$", "headers": {name: value}}
    )
    if added.status_code == 400:
        assert added.json()["errors"][0]["field"] == "headers", added.text
        return
    assert added.status_code == 200, added.text
    served = client.get(f"/mockhttp/{mock_id}/any-header")
    assert served.status_code == 200
    sent = [v for n, v in served.headers.raw if n.decode("latin-1").lower() == name.lower()]
    assert [v.decode("utf-8") for v in sent] == [value.strip(" \t")]  # HTTP trims SP and HTAB only
