"""The Python client against a real server: presets, matching, history."""

from __future__ import annotations

import httpx
import pytest

from pretenders.client.http import HTTPMock
from pretenders.common.constants import FOREVER
from pretenders.common.exceptions import ConfigurationError, ResourceNotFound

pytestmark = pytest.mark.deployments


def call(mock: HTTPMock, method: str, path: str, **kwargs: object) -> httpx.Response:
    return httpx.request(method, mock.pretend_url + path, **kwargs)  # type: ignore[arg-type]


def test_reply_then_read_back_the_request(mock: HTTPMock) -> None:
    mock.when("POST /fred/test/one").reply(b"You tested fred well", 200)
    response = call(mock, "POST", "/fred/test/one", content=b"payload")
    assert (response.status_code, response.content) == (200, b"You tested fred well")
    request = mock.get_request(0)
    assert request is not None
    assert (request.method, request.url, request.body) == ("POST", "/fred/test/one", b"payload")
    assert request.rule == "POST /fred/test/one"


def test_unmatched_request_is_404_and_still_recorded(mock: HTTPMock) -> None:
    mock.when("POST /fred").reply(b"x")
    response = call(mock, "GET", "/test/two?a=1&b=2")
    assert response.status_code == 404
    request = mock.get_request(0)
    assert request is not None
    assert (request.method, request.url) == ("GET", "/test/two?a=1&b=2")


def test_get_request_past_the_end_is_none_and_all_are_listed(mock: HTTPMock) -> None:
    assert mock.get_request(0) is None
    assert mock.get_request() == []
    call(mock, "GET", "/a")
    call(mock, "GET", "/b")
    assert [r.url for r in mock.get_request()] == ["/a", "/b"]
    assert mock.get_request(2) is None


def test_times_counts_down_then_404(mock: HTTPMock) -> None:
    mock.when("GET /x").reply(b"twice", times=2)
    assert [call(mock, "GET", "/x").status_code for _ in range(3)] == [200, 200, 404]


def test_forever_never_runs_out(mock: HTTPMock) -> None:
    mock.when("GET /x").reply(b"always", times=FOREVER)
    assert {call(mock, "GET", "/x").content for _ in range(20)} == {b"always"}


def test_presets_are_tried_in_the_order_added(mock: HTTPMock) -> None:
    mock.when(".* /test_500").reply(status=500)
    mock.when(".* /test_410").reply(status=410)
    mock.when(".* /test_200").reply(status=200)
    mock.when(".* /test_400").reply(status=400)
    statuses = [
        call(mock, "GET", path).status_code
        for path in ["/test_200", "/test_400", "/test_400", "/test_500", "/test_500", "/test_410"]
    ]
    assert statuses == [200, 400, 404, 500, 404, 410]


def test_first_added_wins_when_two_match(mock: HTTPMock) -> None:
    mock.when("GET /a").reply(b"first")
    mock.reply(b"any")
    mock.when("GET /a").reply(b"second")
    assert [call(mock, "GET", "/a").content for _ in range(3)] == [b"first", b"any", b"second"]


def test_rule_is_anchored_at_the_start_only(mock: HTTPMock) -> None:
    mock.when(
        "GET /item",
    ).reply(b"prefix", times=FOREVER)
    assert call(mock, "GET", "/item/42?x=1").status_code == 200
    assert call(mock, "POST", "/item").status_code == 404
    assert call(mock, "GET", "/other/item").status_code == 404


def test_reply_headers_status_and_default_content_type(mock: HTTPMock) -> None:
    mock.when("GET /json").reply(
        '{"a": 1}', status=201, headers={"Content-Type": "application/json", "X-Id": "7"}
    )
    mock.when("GET /plain").reply("hi")
    response = call(mock, "GET", "/json")
    assert response.status_code == 201
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-id"] == "7"
    assert response.json() == {"a": 1}
    assert call(mock, "GET", "/plain").headers["content-type"] == "text/html; charset=UTF-8"


BARE_INFORMATIONAL = pytest.mark.direct_only(reason="a proxy reads a 1xx as interim, not final")


@pytest.mark.parametrize(
    "status",
    [
        pytest.param(100, marks=BARE_INFORMATIONAL),
        pytest.param(199, marks=BARE_INFORMATIONAL),
        *[201, 299, 302, 418, 451, 599, 700, 999],
    ],
)
def test_any_status_from_100_to_999_passes_through(mock: HTTPMock, status: int) -> None:
    mock.when("GET /s").reply(status=status)
    if status < 200:
        # httpx cannot read a bare informational response; check the raw status line.
        import socket
        from urllib.parse import urlsplit

        url = urlsplit(mock.pretend_url)
        with socket.create_connection((url.hostname, url.port), timeout=5) as conn:
            conn.sendall(f"GET {url.path}/s HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            assert conn.recv(100).startswith(f"HTTP/1.1 {status}".encode())
    else:
        assert call(mock, "GET", "/s").status_code == status


@pytest.mark.parametrize(
    "method", ["GET", "DELETE", "PATCH", "OPTIONS", "PURGE", "BREW", "FOO-BAR"]
)
def test_any_method_token_passes_through(mock: HTTPMock, method: str) -> None:
    mock.when(f"{method} /pot").reply(b"ok")
    response = call(mock, method, "/pot")
    assert (response.status_code, response.content) == (200, b"ok")
    recorded = mock.get_request(0)
    assert recorded is not None and recorded.method == method


def test_unknown_method_on_a_kept_alive_connection(mock: HTTPMock) -> None:
    mock.when("GET /a").reply(b"a", times=FOREVER)
    mock.when("BREW /b").reply(b"b", times=FOREVER)
    with httpx.Client() as client:
        bodies = [
            client.request(m, mock.pretend_url + p).content
            for m, p in [("GET", "/a"), ("BREW", "/b"), ("GET", "/a"), ("BREW", "/b")]
        ]
    assert bodies == [b"a", b"b", b"a", b"b"]


def test_binary_bodies_round_trip(mock: HTTPMock) -> None:
    payload = bytes(range(256)) * 4
    mock.when("PUT /blob").reply(payload[::-1])
    response = call(mock, "PUT", "/blob", content=payload)
    assert response.content == payload[::-1]
    request = mock.get_request(0)
    assert request is not None and request.body == payload


def test_headers_match_case_insensitively(mock: HTTPMock) -> None:
    mock.when("GET /h", headers={"X-Token": "abc"}).reply(b"yes", times=FOREVER)
    assert call(mock, "GET", "/h", headers={"x-token": "abc"}).status_code == 200
    assert call(mock, "GET", "/h", headers={"X-TOKEN": "abc"}).status_code == 200
    assert call(mock, "GET", "/h", headers={"X-Token": "abd"}).status_code == 404
    assert call(mock, "GET", "/h").status_code == 404


def test_recorded_headers_are_read_case_insensitively(mock: HTTPMock) -> None:
    call(mock, "GET", "/h", headers={"x-custom-thing": "v"})
    request = mock.get_request(0)
    assert request is not None
    assert request.headers["X-Custom-Thing"] == "v"
    assert "X-CUSTOM-THING" in request.headers


def test_body_regex_selects_the_reply(mock: HTTPMock) -> None:
    mock.when("POST /body_requests", body="1.*").reply("First answer", times=FOREVER)
    mock.when("POST /body_requests", body="2.*").reply("Second answer", times=FOREVER)
    assert call(mock, "POST", "/body_requests", content=b"2 apples").text == "Second answer"
    assert call(mock, "POST", "/body_requests", content=b"1 pear").text == "First answer"
    assert call(mock, "POST", "/body_requests", content=b"3").status_code == 404


def test_binary_body_is_a_plain_miss_for_a_body_rule(mock: HTTPMock) -> None:
    mock.when("POST /b", body=".*").reply(b"text", times=FOREVER)
    assert call(mock, "POST", "/b", content=b"\xff\xfe\x00").status_code == 404
    assert call(mock, "POST", "/b", content=b"ok").status_code == 200


def test_urlencoded_form_with_plus_for_space(mock: HTTPMock) -> None:
    mock.when("POST /form", data={"name": "Ada Lovelace", "lang": "en"}).reply(b"ok")
    response = call(
        mock,
        "POST",
        "/form",
        content=b"name=Ada+Lovelace&lang=en",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 200


def test_urlencoded_form_from_a_real_client(mock: HTTPMock) -> None:
    mock.when("POST /form", data={"q": "a b&c", "empty": ""}).reply(b"ok")
    assert call(mock, "POST", "/form", data={"q": "a b&c", "empty": ""}).status_code == 200


def test_form_must_be_equal_not_a_subset(mock: HTTPMock) -> None:
    mock.when("POST /form", data={"a": "1"}).reply(b"ok", times=FOREVER)
    assert call(mock, "POST", "/form", data={"a": "1", "b": "2"}).status_code == 404
    assert call(mock, "POST", "/form", data={"a": "1"}).status_code == 200


def test_multipart_form_with_crlf_lines(mock: HTTPMock) -> None:
    mock.when("POST /upload", data={"title": "Report", "note": "two\r\nlines"}).reply(b"ok")
    response = call(
        mock,
        "POST",
        "/upload",
        data={"title": "Report", "note": "two\r\nlines"},
        files={"unused": ("f.txt", b"x")},
    )
    # the file field is part of the form, so this does not match...
    assert response.status_code == 404
    mock.when("POST /upload", data={"title": "Report", "file": "content"}).reply(b"ok")
    response = call(
        mock, "POST", "/upload", data={"title": "Report"}, files={"file": ("f.txt", b"content")}
    )
    assert response.status_code == 200


def test_handwritten_multipart_body(mock: HTTPMock) -> None:
    mock.when("POST /m", data={"a": "x y", "b": "2"}).reply(b"ok")
    body = (
        b'--XyZ\r\nContent-Disposition: form-data; name="a"\r\n\r\nx y\r\n'
        b'--XyZ\r\nContent-Disposition: form-data; name="b"\r\n\r\n2\r\n--XyZ--\r\n'
    )
    response = call(
        mock,
        "POST",
        "/m",
        content=body,
        headers={"Content-Type": "multipart/form-data; boundary=XyZ"},
    )
    assert response.status_code == 200


def test_data_replaces_the_body_rule(mock: HTTPMock) -> None:
    mock.when("POST /f", body="never", data={"a": "1"}).reply(b"ok")
    assert call(mock, "POST", "/f", data={"a": "1"}).status_code == 200


def test_reset_clears_presets_and_history(mock: HTTPMock) -> None:
    mock.when("GET /x").reply(b"x", times=FOREVER)
    call(mock, "GET", "/x")
    mock.reset()
    assert mock.get_request() == []
    assert call(mock, "GET", "/x").status_code == 404


def test_when_returns_a_copy_bound_to_its_rule(mock: HTTPMock) -> None:
    bound = mock.when("GET /only")
    assert bound is not mock and mock.rule == ""
    bound.reply(b"bound")
    mock.reply(b"anything")
    assert call(mock, "GET", "/other").content == b"anything"


def test_invalid_regex_is_refused_when_the_preset_is_added(mock: HTTPMock) -> None:
    with pytest.raises(ConfigurationError, match="invalid regular expression"):
        mock.when("GET /(unclosed").reply(b"x")
    with pytest.raises(ConfigurationError, match=r"rule\.body"):
        mock.when("GET /x", body="[").reply(b"x")


def test_times_must_be_positive_or_forever(mock: HTTPMock) -> None:
    for bad in (0, -1, "sometimes"):
        with pytest.raises(ConfigurationError, match="times must be a positive integer"):
            mock.when("GET /x").reply(b"x", times=bad)  # type: ignore[arg-type]


def test_same_name_is_the_same_mock(make_mock) -> None:  # type: ignore[no-untyped-def]
    first = make_mock(name="shared-service")
    second = make_mock(name="shared-service")
    assert first.pretend_url == second.pretend_url
    assert first.pretend_url.endswith("/mockhttp/shared-service")
    first.when("GET /x").reply(b"from first")
    assert call(second, "GET", "/x").content == b"from first"


def test_access_point_properties(mock: HTTPMock) -> None:
    mock_id = mock.pretend_access_point_id
    assert mock.pretend_access_path == f"/mockhttp/{mock_id}"
    assert mock.pretend_access_point == f"{mock.host}:{mock.port}"
    assert mock.pretend_url == f"http://{mock.host}:{mock.port}/mockhttp/{mock_id}"


def test_get_pretender_then_delete(make_mock) -> None:  # type: ignore[no-untyped-def]
    mock = make_mock(timeout=5, name="described")
    model = mock.get_pretender()
    assert (model.name, model.protocol) == ("described", "http")
    assert model.timeout.total_seconds() == 5
    assert model.start <= model.last_call
    mock.delete_mock()
    with pytest.raises(ResourceNotFound):
        mock.get_pretender()


def test_forever_timeout(make_mock) -> None:  # type: ignore[no-untyped-def]
    assert make_mock(timeout=FOREVER).get_pretender().timeout == FOREVER


def test_unreachable_server_says_how_to_start_one() -> None:
    from pretenders.common.exceptions import ServerUnreachable

    with pytest.raises(ServerUnreachable, match="Start one with: pretenders --port"):
        HTTPMock("127.0.0.1", 1)
