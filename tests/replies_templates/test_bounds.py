"""The sandbox and the render bounds: Python's internals refused, loops and sizes stopped,
bad templates a 400 when added, failed renders a 500 that says why and is recorded."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
import pytest

from pretenders.server.core.templating import RENDER_TIMEOUT
from tests.replies_templates.conftest import LIMIT, Preset

Served = Callable[..., httpx.Response]


def render_fails(preset: Preset, served: Served, body: str) -> str:
    """Add ``body`` as a template, request it: the 500's text."""
    added = preset(body, rule="GET /x")
    assert added.status_code == 200, added.text
    answer = served("GET", "/x")
    assert answer.status_code == 500, answer.text
    assert answer.headers["Content-Type"].startswith("text/plain")
    return answer.text


@pytest.mark.parametrize(
    "body",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ request.__class__ }}",
        "{{ request._subject.record }}",
        "{{ request._view }}",
        "{{ uuid.__globals__ }}",
        "{{ now.__code__ }}",
        "{{ counter.__self__ }}",
        "{{ request.headers._first }}",
        "{{ (1).__class__.__base__ }}",
        "{{ range.__globals__ }}",
    ],
)
def test_python_internals_are_refused(preset: Preset, served: Served, body: str) -> None:
    text = render_fails(preset, served, body)

    assert "could not be made: body:" in text
    assert "unsafe" in text or "undefined" in text.lower()
    assert "<class" not in text and "object" not in text.split("unsafe")[-1]


def test_lists_cannot_be_changed(preset: Preset, served: Served) -> None:
    text = render_fails(preset, served, "{% set l = [1] %}{{ l.append(2) }}")

    assert "unsafe" in text


@pytest.mark.parametrize(
    "body",
    [
        "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
        "{% macro f(n) %}{{ f(n) }}{{ f(n) }}{% endmacro %}{{ f(1) }}",
        "{% for a in request.body %}{% for b in request.body %}{% for c in request.body %}"
        "{% endfor %}{% endfor %}{% endfor %}",
    ],
    ids=["nested-loops", "recursion", "loops-over-the-body"],
)
def test_a_render_that_does_not_end_is_stopped(preset: Preset, served: Served, body: str) -> None:
    added = preset(body, rule="POST /x")
    assert added.status_code == 200, added.text

    started = time.monotonic()
    answer = served("POST", "/x", content=b"z" * 2000)
    took = time.monotonic() - started

    assert answer.status_code == 500
    assert "longer than" in answer.text or "recursed too deeply" in answer.text
    assert took < RENDER_TIMEOUT + 5  # stopped, not run to its end (hours)


@pytest.mark.parametrize(
    "body",
    [
        "{{ 'x' * 1000000000 }}",
        "{{ 'x' * 10 ** 9 }}",
        "{{ 9 ** 999999999 }}",
        "{{ '%999999999d' % 1 }}",
        "{{ '{:>999999999}'.format(1) }}",
        "{{ 'x' | center(999999999) }}",
        "{{ 'x'.ljust(999999999) }}",
        "{% for i in range(" + str(LIMIT) + ") %}{{ 'abcdefgh' }}{% endfor %}",
        "{% set a = 'x' * 1000 %}{% set a = a ~ a ~ a ~ a %}{% set a = a ~ a ~ a ~ a %}"
        "{% set a = a ~ a ~ a ~ a %}{% set a = a ~ a ~ a ~ a %}{% set a = a ~ a %}",
        "{{ random_string(999999999) }}",
        "{{ lipsum(999999999) }}",
        "{% set ns = namespace(a='x') %}{{ ns }}",
    ],
)
def test_a_render_past_the_size_limit_is_refused(preset: Preset, served: Served, body: str) -> None:
    text = render_fails(preset, served, body)

    assert any(
        words in text
        for words in ("over", "larger than", "too large", "undefined", "is not callable")
    ), text


def test_the_failed_render_is_recorded_as_a_500(
    client: httpx.Client, mock_id: str, preset: Preset, served: Served
) -> None:
    assert preset("{{ request.json.a.b }}", rule="POST /x").status_code == 200

    answer = served("POST", "/x", content=b"not json")

    assert answer.status_code == 500
    assert "could not be made" in answer.text and "has no attribute" in answer.text
    [record] = client.get(f"/history/{mock_id}").json()
    assert (record["status"], record["preset"]) == (500, 0)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"body": "{% for x in y %}"}, "body"),
        ({"body": "{{ }}"}, "body"),
        ({"status": "{{ 200 "}, "status"),
        ({"headers": {"X-A": "{{ nope( }}"}}, "headers.X-A"),
    ],
)
def test_a_template_that_does_not_compile_is_a_400_naming_the_field(
    preset: Preset, fields: dict[str, object], field: str
) -> None:
    body = fields.pop("body", "ok")
    answer = preset(body, **fields)

    assert answer.status_code == 400
    [error] = answer.json()["errors"]
    assert error["field"] == field
    assert "not a valid template" in error["message"]


def test_a_templated_status_needs_template(client: httpx.Client, mock_id: str) -> None:
    answer = client.post(f"/preset/{mock_id}", json={"status": "{{ 201 }}"})

    assert answer.status_code == 400
    [error] = answer.json()["errors"]
    assert error["field"] == "status"
    assert "unless template is true" in error["message"]


@pytest.mark.parametrize(
    ("fields", "why"),
    [
        ({"status": "{{ 'abc' }}"}, "status: rendered 'abc', not a status code"),
        ({"status": "{{ 42 }}"}, "status must be between 100 and 999"),
        ({"headers": {"X-A": "{{ request.query.v }}"}}, "control characters"),
    ],
)
def test_a_rendered_status_or_header_that_cannot_be_sent_is_a_500(
    preset: Preset, served: Served, fields: dict[str, object], why: str
) -> None:
    assert preset("ok", rule="GET /x", **fields).status_code == 200

    answer = served("GET", "/x?v=a%0Db")

    assert answer.status_code == 500
    assert why in answer.text


def test_a_template_that_is_not_utf8_is_refused(client: httpx.Client, mock_id: str) -> None:
    answer = client.post(f"/preset/{mock_id}", json={"template": True, "body": "/w=="})

    assert answer.status_code == 400
    assert "UTF-8" in answer.json()["errors"][0]["message"]


@pytest.mark.parametrize(
    ("body", "why"),
    [
        ("{{ now(3) }}", "TypeError: object of type 'int' has no len()"),
        ("{{ request.headers[0] }}", "AttributeError: 'int' object has no attribute 'lower'"),
        ("{{ request.query.a.b }}", "UndefinedError: 'dict object' has no attribute 'a'"),
        ("{{ random_int(0, 1000000000) }}", f"a number argument over {LIMIT} (1000000000)"),
    ],
    ids=["helper-refuses", "mapping-refuses", "lookup-in-nothing", "argument-past-the-limit"],
)
def test_a_template_of_lookups_and_calls_fails_as_any_other(
    preset: Preset, served: Served, body: str, why: str
) -> None:
    """These render without Jinja2's runtime when they can (core/direct_templates.py):
    where they cannot, the 500 says what the sandbox says."""
    text = render_fails(preset, served, body)

    assert f"could not be made: body: {why}" in text
