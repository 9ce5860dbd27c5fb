"""Proxy presets over real sockets: a mock forwards to a local upstream and answers what
it answers; unreachable and slow upstreams get 502 and 504, recorded."""

from __future__ import annotations

import base64
from collections.abc import Callable

import httpx
import pytest

from pretenders.server.embedded import EmbeddedServer
from tests.network_proxy.upstream import Upstream


def _proxy_preset(admin: httpx.Client, mock_id: str, **fields: object) -> httpx.Response:
    return admin.post(f"/preset/{mock_id}", json={"times": "FOREVER", **fields})


def test_forwards_method_path_query_headers_and_body(
    admin: httpx.Client, new_mock: Callable[..., str], upstream: Upstream
) -> None:
    mock_id = new_mock()
    proxy = {
        "to": f"{upstream.url}/base",
        "add_headers": {"X-Api-Key": "secret"},
        "remove_headers": ["X-Drop"],
    }
    assert _proxy_preset(admin, mock_id, rule="POST /orders", proxy=proxy).status_code == 200

    answer = admin.post(
        f"/mockhttp/{mock_id}/orders/7?page=2&q=a%20b",
        content=b'{"n": 1}',
        headers={"X-Drop": "1", "X-Keep": "2", "Content-Type": "application/json"},
    )

    assert answer.status_code == 200
    assert answer.headers["X-Upstream"] == "yes"
    assert "keep-alive" not in answer.headers.get("Connection", "")  # hop-by-hop: not passed
    assert answer.headers["Content-Security-Policy"].startswith("sandbox")
    seen = answer.json()
    assert seen["method"] == "POST"
    assert seen["raw_path"] == "/base/orders/7?page=2&q=a%20b"
    assert seen["query"] == {"page": "2", "q": "a b"}
    assert seen["body"] == '{"n": 1}'
    assert seen["headers"]["X-Api-Key"] == "secret"
    assert seen["headers"]["X-Keep"] == "2"
    assert "X-Drop" not in seen["headers"]
    assert seen["headers"]["Host"] == f"127.0.0.1:{upstream.port}"


def test_the_request_is_recorded_with_the_upstream_status(
    admin: httpx.Client, new_mock: Callable[..., str], upstream: Upstream
) -> None:
    mock_id = new_mock()
    preset = _proxy_preset(admin, mock_id, proxy={"to": upstream.url}).json()

    answer = admin.get(f"/mockhttp/{mock_id}/status/418")

    assert answer.status_code == 418
    assert answer.text == "as asked"
    record = admin.get(f"/history/{mock_id}/0").json()
    assert record["preset"] == preset["id"]
    assert record["status"] == 418
    assert record["proxied"] == f"{upstream.url}/status/418"
    assert record["proxy_error"] is None
    listed = admin.get(f"/preset/{mock_id}").json()[0]
    assert listed["proxy"] == {"to": upstream.url}


def test_an_unreachable_upstream_is_a_502_that_says_why(
    admin: httpx.Client, new_mock: Callable[..., str], upstream: Upstream
) -> None:
    mock_id = new_mock()
    gone = upstream.url
    upstream.stop()
    _proxy_preset(admin, mock_id, proxy={"to": gone})

    answer = admin.get(f"/mockhttp/{mock_id}/anything")

    assert answer.status_code == 502
    assert "could not be reached" in answer.text
    assert gone in answer.text
    record = admin.get(f"/history/{mock_id}/0").json()
    assert record["status"] == 502
    assert "could not be reached" in record["proxy_error"]


def test_a_slow_upstream_is_a_504_naming_the_timeout(
    admin: httpx.Client, new_mock: Callable[..., str], upstream: Upstream
) -> None:
    mock_id = new_mock()
    _proxy_preset(admin, mock_id, proxy={"to": upstream.url, "timeout": 0.3})

    answer = admin.get(f"/mockhttp/{mock_id}/slow")

    assert answer.status_code == 504
    assert "within 0.3 s (proxy.timeout)" in answer.text
    assert admin.get(f"/history/{mock_id}/0").json()["status"] == 504


def test_an_upstream_body_over_the_limit_is_a_502(upstream: Upstream) -> None:
    with (
        EmbeddedServer(port=0, max_body_size=1000) as small,
        httpx.Client(base_url=small.url) as client,
    ):
        mock_id = client.post("/http", json={}).json()["id"]
        client.post(f"/preset/{mock_id}", json={"proxy": {"to": upstream.url}})

        answer = client.get(f"/mockhttp/{mock_id}/big")

        assert answer.status_code == 502
        assert "--max-body-size" in answer.text


def test_encoded_bodies_and_repeated_headers_pass_as_they_are(
    admin: httpx.Client, new_mock: Callable[..., str], upstream: Upstream
) -> None:
    mock_id = new_mock()
    _proxy_preset(admin, mock_id, proxy={"to": upstream.url})

    squeezed = admin.get(f"/mockhttp/{mock_id}/gzip")
    cookies = admin.get(f"/mockhttp/{mock_id}/cookies")

    assert squeezed.headers["Content-Encoding"] == "gzip"
    assert squeezed.text == "squeezed"  # httpx undid the upstream's own encoding
    assert cookies.headers.get_list("Set-Cookie") == ["a=1", "b=2"]


def test_after_delays_the_forwarded_request(
    admin: httpx.Client, new_mock: Callable[..., str], upstream: Upstream
) -> None:
    mock_id = new_mock()
    assert _proxy_preset(admin, mock_id, proxy={"to": upstream.url}, after=0.01).status_code == 200
    assert admin.get(f"/mockhttp/{mock_id}/status/201").status_code == 201


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"proxy": {"to": "ftp://127.0.0.1/x"}}, "proxy.to"),
        ({"proxy": {"to": "http:///nohost"}}, "proxy.to"),
        ({"proxy": {"to": "http://[::1"}}, "proxy.to"),
        ({"proxy": {"to": "http://127.0.0.1:99999"}}, "proxy.to"),
        ({"proxy": {"to": "http://127.0.0.1/x?q=1"}}, "proxy.to"),
        ({"proxy": {"to": "http://127.0.0.1", "timeout": 0}}, "proxy.timeout"),
        ({"proxy": {"to": "http://127.0.0.1", "timeout": 301}}, "proxy.timeout"),
        ({"proxy": {"to": "http://127.0.0.1", "add_headers": {"Connection": "x"}}}, "proxy"),
        ({"proxy": {"to": "http://127.0.0.1", "add_headers": {"X": "a\nb"}}}, "headers"),
        ({"proxy": {"to": "http://127.0.0.1"}, "status": 201}, "status"),
        ({"proxy": {"to": "http://127.0.0.1"}, "body": base64.b64encode(b"x").decode()}, "body"),
        ({"proxy": {"to": "http://127.0.0.1"}, "headers": {"A": "b"}}, "headers"),
        ({"proxy": {"to": "http://127.0.0.1", "colour": 1}}, "colour"),
    ],
)
def test_bad_proxy_presets_are_refused_naming_the_field(
    admin: httpx.Client, new_mock: Callable[..., str], fields: dict[str, object], named: str
) -> None:
    mock_id = new_mock()

    answer = admin.post(f"/preset/{mock_id}", json=fields)

    assert answer.status_code == 400
    error = answer.json()["errors"][0]
    assert named in f"{error['field']} {error['message']}"
    assert admin.get(f"/preset/{mock_id}").json() == []


def test_a_proxy_preset_from_another_site_is_refused(
    admin: httpx.Client, new_mock: Callable[..., str], upstream: Upstream
) -> None:
    mock_id = new_mock()

    answer = admin.post(
        f"/preset/{mock_id}",
        json={"proxy": {"to": upstream.url}},
        headers={"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
    )

    assert answer.status_code == 403
    assert admin.get(f"/preset/{mock_id}").json() == []
