"""Every value a template reads from the request, and every helper, over real sockets."""

from __future__ import annotations

import datetime
import re
import uuid
from collections.abc import Callable

import httpx
import pytest

from tests.replies_templates.conftest import Preset

Served = Callable[..., httpx.Response]


def added(response: httpx.Response) -> None:
    assert response.status_code == 200, response.text


def test_method_url_and_path(preset: Preset, served: Served) -> None:
    added(preset("{{ request.method }} {{ request.url }} {{ request.path }}"))

    answer = served("PATCH", "/a%20b/c?x=1")

    assert answer.status_code == 200
    assert answer.text == "PATCH /a%20b/c?x=1 /a b/c"


def test_path_parameters_of_the_rule_path_template(preset: Preset, served: Served) -> None:
    added(
        preset(
            '{"user": "{{ request.path_params.id }}", "rest": "{{ request.path_params.rest }}"}',
            rule={"method": "GET", "path": "/users/{id}/files/{rest*}"},
            headers={"Location": "/users/{{ request.path_params.id }}"},
        )
    )

    answer = served("GET", "/users/42/files/a/b.txt")

    assert answer.json() == {"user": "42", "rest": "a/b.txt"}
    assert answer.headers["Location"] == "/users/42"


def test_query_first_value_and_all_values(preset: Preset, served: Served) -> None:
    added(preset("{{ request.query.tag }} {{ request.query_all.tag | join(',') }}"))

    assert served("GET", "/q?tag=a&tag=b&other=1").text == "a a,b"


def test_headers_in_any_case(preset: Preset, served: Served) -> None:
    added(
        preset(
            "{{ request.headers['x-trace-id'] }} {{ request.headers['X-TRACE-ID'] }} "
            "{{ request.headers.getall('x-many') | join('+') }}"
        )
    )

    answer = served("GET", "/h", headers=[("X-Trace-Id", "t-1"), ("X-Many", "1"), ("X-Many", "2")])

    assert answer.text == "t-1 t-1 1+2"


def test_cookies(preset: Preset, served: Served) -> None:
    added(preset("{{ request.cookies.session }}"))

    assert served("GET", "/c", headers={"Cookie": "a=1; session=s-99"}).text == "s-99"


def test_urlencoded_and_multipart_form_fields(preset: Preset, served: Served) -> None:
    added(preset("{{ request.form.name }}/{{ request.form.city }}"))

    assert served("POST", "/f", data={"name": "Ann", "city": "Oslo"}).text == "Ann/Oslo"
    multipart = served("POST", "/f", files={"name": (None, "Bo"), "city": (None, "Rome")})
    assert multipart.text == "Bo/Rome"


def test_body_text_json_and_jsonpath(preset: Preset, served: Served) -> None:
    added(
        preset(
            '{"echo": {{ request.body | tojson }}, "id": {{ request.json.order.id }}, '
            '"sku": "{{ jsonpath("$.order.items[0].sku") }}"}'
        )
    )

    sent = '{"order": {"id": 7, "items": [{"sku": "X-1"}]}}'
    answer = served("POST", "/j", content=sent, headers={"Content-Type": "application/json"})

    assert answer.json() == {"echo": sent, "id": 7, "sku": "X-1"}


def test_json_is_none_when_the_body_is_not_json(preset: Preset, served: Served) -> None:
    added(preset("{{ request.json is none }} {{ jsonpath('$.a') is none }}"))

    assert served("POST", "/j", content=b"not json").text == "True True"


def test_groups_of_the_1_4_rule_regex(preset: Preset, served: Served) -> None:
    added(
        preset(
            "{{ request.groups[1] }}-{{ request.named_groups.item }}|{{ request.groups[0] }}",
            rule=r"GET /orders/(\d+)/(?P<item>\w+)",
        )
    )

    assert served("GET", "/orders/12/lamp").text == "12-lamp|GET /orders/12/lamp"


def test_status_and_headers_are_templates_too(preset: Preset, served: Served) -> None:
    added(
        preset(
            "made",
            status="{{ 201 if request.method == 'POST' else 200 }}",
            headers={"X-Echo": "{{ request.query.v }}", "X-Plain": "as {written}"},
        )
    )

    posted = served("POST", "/s?v=abc")
    got = served("GET", "/s?v=d")

    assert (posted.status_code, posted.headers["X-Echo"]) == (201, "abc")
    assert (got.status_code, got.headers["X-Echo"]) == (200, "d")
    assert posted.headers["X-Plain"] == "as {written}"


def test_now_in_formats(preset: Preset, served: Served) -> None:
    added(preset("{{ now() }}|{{ now('epoch') }}|{{ now('%Y-%m-%d') }}|{{ now('epoch', 60) }}"))

    iso, epoch, day, later = served("GET", "/t").text.split("|")

    parsed = datetime.datetime.fromisoformat(iso.replace("Z", "+00:00"))
    now = datetime.datetime.now(datetime.timezone.utc)
    assert abs((now - parsed).total_seconds()) < 60
    assert abs(int(epoch) - now.timestamp()) < 60
    assert int(later) - int(epoch) in (59, 60, 61)
    assert day == parsed.strftime("%Y-%m-%d") or day == now.strftime("%Y-%m-%d")


def test_uuid_random_int_and_random_string(preset: Preset, served: Served) -> None:
    added(
        preset(
            "{{ uuid() }} {{ random_int(5, 7) }} {{ random_string(12) }} "
            "{{ random_string(6, 'ab') }}"
        )
    )

    seen = [served("GET", "/r").text.split() for _ in range(20)]

    assert all(uuid.UUID(made[0]).version == 4 for made in seen)
    assert len({made[0] for made in seen}) == 20
    assert {int(made[1]) for made in seen} <= {5, 6, 7}
    assert all(re.fullmatch(r"[A-Za-z0-9]{12}", made[2]) for made in seen)
    assert all(re.fullmatch(r"[ab]{6}", made[3]) for made in seen)


def test_counter_counts_the_requests_of_its_preset(preset: Preset, served: Served) -> None:
    added(preset("first {{ counter() }}", rule="GET /one"))
    added(preset("second {{ counter() }}", rule="GET /two"))

    texts = [served("GET", path).text for path in ("/one", "/one", "/two", "/one")]

    assert texts == ["first 1", "first 2", "second 1", "first 3"]


def test_a_missing_value_renders_empty_and_default_fills_it(preset: Preset, served: Served) -> None:
    added(preset("[{{ request.query.nope }}] [{{ request.query.nope | default('none') }}]"))

    assert served("GET", "/m").text == "[] [none]"


@pytest.mark.parametrize("body", ["{{ 1 + 1 }}", "{% if x %}y{% endif %}"])
def test_a_body_with_braces_without_template_is_sent_as_written(
    client: httpx.Client, mock_id: str, served: Served, body: str
) -> None:
    from tests.replies_templates.conftest import b64

    answer = client.post(f"/preset/{mock_id}", json={"rule": "GET /raw", "body": b64(body)})
    assert answer.status_code == 200, answer.text
    assert "template" not in answer.json()

    assert served("GET", "/raw").text == body
