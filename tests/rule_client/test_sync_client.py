"""Each rule field through the sync client against a real server: ``when(...)`` serves the
request that matches, the near miss gets the 404 naming the field, and ``count``,
``assert_called`` and ``wait_for_request`` take the same keywords."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from pretenders.client import matchers as m
from pretenders.client.http import HTTPMock
from pretenders.common.constants import FOREVER
from pretenders.common.exceptions import ConfigurationError, VerificationError
from tests.rule_client.cases import CASES, Case, Request

pytestmark = pytest.mark.deployments

MakeMock = Callable[..., HTTPMock]


def _send(http: httpx.Client, mock: HTTPMock, request: Request) -> httpx.Response:
    return http.request(request.method, mock.pretend_url + request.path, **request.options)


@pytest.mark.parametrize("case", CASES)
def test_match_and_near_miss(make_mock: MakeMock, case: Case) -> None:
    mock = make_mock()
    mock.when(*case.args, **case.keywords).reply("hit", times=FOREVER)
    with httpx.Client(timeout=10) as http:
        hit = _send(http, mock, case.hit)
        miss = _send(http, mock, case.miss)
    assert (hit.status_code, hit.text) == (200, "hit")
    assert miss.status_code == 404
    assert case.field in miss.text
    (unmatched,) = mock.unmatched_requests()
    fields = [d.field for d in unmatched.near_misses[0].differences]
    assert any(name.startswith(case.field) for name in fields), fields
    assert mock.count(*case.args, **case.keywords) == 1
    mock.assert_called(*case.args, **{"times": 1, **case.keywords})
    assert len(mock.wait_for_request(*case.args, **{"timeout": 1, **case.keywords})) == 1


def test_a_rule_string_stays_a_1_4_regex_and_path_takes_templates(make_mock: MakeMock) -> None:
    mock = make_mock()
    mock.when("GET /users/{id}").reply("regex", times=FOREVER)
    mock.when(method="GET", path="/users/{id}").reply("template", times=FOREVER)
    with httpx.Client(timeout=10) as http:
        answer = http.get(mock.pretend_url + "/users/42")
    assert answer.text == "template"  # "{id}" in the regex is the literal text {id}
    assert mock.count("GET /users/{id}") == 0
    assert mock.count(path="/users/{id}") == 1


def test_the_failure_of_assert_called_quotes_the_keywords(make_mock: MakeMock) -> None:
    mock = make_mock()
    mock.reply("ok")
    httpx.get(mock.pretend_url + "/list?page=1", timeout=10)
    with pytest.raises(VerificationError, match=r"query \{'page': '9'\}") as failed:
        mock.assert_called(query={"page": "9"})
    assert "GET /list?page=1" in str(failed.value)


def test_unused_presets_show_the_keywords(make_mock: MakeMock) -> None:
    mock = make_mock()
    mock.when(path="/never/{id}").reply("x")
    with pytest.raises(VerificationError, match=r"path '/never/\{id\}'"):
        mock.assert_no_unused_presets()


def test_bad_rules_are_refused_naming_the_field(make_mock: MakeMock) -> None:
    mock = make_mock()
    with pytest.raises(ConfigurationError, match="path_params"):
        mock.when(path="/users/{id}", path_params={"name": "x"}).reply("x")
    with pytest.raises(ConfigurationError, match="query"):
        mock.when(query={"q": m.regex("(")}).reply("x")
    with pytest.raises(ConfigurationError, match="path"):
        mock.count(path="users/{id}")
    with pytest.raises(TypeError, match="unknown rule keyword 'jsn'"):
        mock.when(jsn={"a": 1})  # type: ignore[call-arg]
    assert mock.unused_presets() == []


def test_a_plain_http_client_sees_the_same_wire_rule(
    make_mock: MakeMock, admin: httpx.Client
) -> None:
    mock = make_mock()
    mock.when("GET /x", query={"a": m.regex("[0-9]+")}, cookies={"s": "1"}).reply("x")
    (preset,) = admin.get(f"/preset/{mock.pretend_access_point_id}").json()
    assert preset["rule"]["rule"] == "GET /x"
    assert preset["rule"]["query"] == {"a": {"matches": "[0-9]+"}}
    assert preset["rule"]["cookies"] == {"s": "1"}
