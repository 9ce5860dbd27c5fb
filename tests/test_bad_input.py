"""Bad input on the admin routes: a 4xx naming the problem, and nothing recorded is lost."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

pytestmark = pytest.mark.deployments


@pytest.fixture
def recorded_mock(admin: httpx.Client, new_mock: Callable[..., str]) -> Iterator[str]:
    """A mock that already received two requests and has one preset."""
    mock_id = new_mock()
    admin.post(f"/preset/{mock_id}", json={"rule": "GET /kept", "body": "a2VwdA==", "times": 5})
    admin.get(f"/mockhttp/{mock_id}/kept")
    admin.get(f"/mockhttp/{mock_id}/other")
    yield mock_id
    history = admin.get(f"/history/{mock_id}").json()
    assert [h["url"] for h in history] == ["/kept", "/other"], "recorded history was lost"
    assert admin.get(f"/preset/{mock_id}").json()[0]["times"] == 4, "presets were changed"
    assert admin.get(f"/mockhttp/{mock_id}/kept").content == b"kept", "the mock stopped serving"


def error_of(response: httpx.Response, status: int) -> dict[str, str]:
    assert response.status_code == status, response.text
    errors = response.json()["errors"]
    assert len(errors) == 1
    assert "\n" not in errors[0]["message"]
    return errors[0]  # type: ignore[no-any-return]


PRESET_CASES = {
    "malformed JSON": (b'{"rule": "GET /x",', None, "not valid JSON"),
    "a JSON list": (b"[1, 2]", None, "Expected `object`, got `array`"),
    "times zero": (b'{"times": 0}', "times", "times must be a positive integer"),
    "times negative": (b'{"times": -3}', "times", "times must be a positive integer"),
    "times a word": (b'{"times": "often"}', "times", "times must be a positive integer"),
    "times a float": (b'{"times": 1.5}', "times", "Expected `int | str`, got `float`"),
    "status a string": (b'{"status": "ok"}', "status", "a number unless template is true"),
    "status out of range": (b'{"status": 1000}', "status", "between 100 and 999"),
    "after negative": (b'{"after": -1}', "after", "after must be a number of seconds"),
    "after a string": (b'{"after": "soon"}', "after", "Expected `float`, got `str`"),
    "body not base64": (b'{"body": "***"}', "body", "not valid base64"),
    "invalid rule regex": (b'{"rule": {"rule": "GET /(x"}}', "rule.rule", "invalid regular"),
    "invalid body regex": (b'{"rule": {"rule": "", "body": "(?P<"}}', "rule.body", "invalid"),
    "headers not an object": (b'{"headers": "x"}', "headers", "Expected `object | null`"),
    "unknown field": (b'{"tiems": 2}', None, "unknown field `tiems`"),
    # Reply headers the server could not send: once taken, they broke the mock's answers.
    "header value with CRLF": (
        b'{"headers": {"X-A": "a\\r\\nInjected: 1"}}',
        "headers",
        "header X-A: a value may not contain control characters",
    ),
    "header name with a space": (b'{"headers": {"Bad Name": "v"}}', "headers", "not an HTTP token"),
    "header name with a colon": (b'{"headers": {"X:Y": "v"}}', "headers", "not an HTTP token"),
    "Transfer-Encoding header": (
        b'{"headers": {"Transfer-Encoding": "chunked"}}',
        "headers",
        "the server frames the body itself",
    ),
    "Content-Length a word": (
        b'{"headers": {"Content-Length": "abc"}}',
        "headers",
        "must be a number of bytes",
    ),
}


@pytest.mark.parametrize("case", PRESET_CASES)
def test_bad_preset(admin: httpx.Client, recorded_mock: str, case: str) -> None:
    raw, field, message = PRESET_CASES[case]
    error = error_of(admin.post(f"/preset/{recorded_mock}", content=raw), 400)
    assert message in error["message"]
    if field:
        assert error["field"] == field


CREATE_CASES = {
    "malformed JSON": (b"{", "not valid JSON"),
    "name a number": (b'{"name": 7}', "Expected `str | null`, got `int`"),
    "name with a slash": (b'{"name": "a/b"}', "may not contain '/'"),
    "timeout zero": (b'{"pretender_timeout": 0}', "must be a number of seconds >= 0.1"),
    "timeout a word": (b'{"pretender_timeout": "LATER"}', "pretender_timeout"),
    # Once accepted, such a mock made every GET /http a 500: its timeout has no str(timedelta).
    "timeout too long": (b'{"pretender_timeout": 1e300}', "<= 1e+12"),
    "timeout infinite": (b'{"pretender_timeout": 1e999}', "pretender_timeout"),
}


@pytest.mark.parametrize("case", CREATE_CASES)
def test_bad_mock_creation(admin: httpx.Client, recorded_mock: str, case: str) -> None:
    raw, message = CREATE_CASES[case]
    error = error_of(admin.post("/http", content=raw), 400)
    assert message in error["message"]


def test_unknown_mock_id(admin: httpx.Client, recorded_mock: str) -> None:
    error = error_of(admin.post("/preset/no-such-mock", json={"times": 1}), 404)
    assert error["message"] == "No matching http mock: no-such-mock"
    assert error_of(admin.get("/http/no-such-mock"), 404)["code"] == "unknown_mock"
    assert error_of(admin.delete("/http/no-such-mock"), 404)["code"] == "unknown_mock"


def test_history_position_not_an_integer(admin: httpx.Client, recorded_mock: str) -> None:
    error = error_of(admin.get(f"/history/{recorded_mock}/first"), 400)
    assert "position must be an integer" in error["message"]


def test_history_position_past_the_end(admin: httpx.Client, recorded_mock: str) -> None:
    error = error_of(admin.get(f"/history/{recorded_mock}/99"), 404)
    assert "No recorded request at position 99" in error["message"]
