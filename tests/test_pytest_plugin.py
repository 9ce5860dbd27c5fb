"""The pytest plugin, tested as a user meets it: a new project's test file, run by pytest."""

from __future__ import annotations

import pytest

from pretenders.server.embedded import EmbeddedServer

USER_TESTS = """
import smtplib
import httpx


def test_http(http_mock):
    http_mock.when("GET /hello").reply("Hello")
    assert httpx.get(http_mock.pretend_url + "/hello").text == "Hello"
    assert http_mock.get_request(0).url == "/hello"


def test_smtp(smtp_mock):
    with smtplib.SMTP("127.0.0.1", smtp_mock.pretend_port) as client:
        client.sendmail("a@example.com", ["b@example.com"], "Subject: hi\\r\\n\\r\\nhello")
    assert smtp_mock.get_email(0)["Subject"] == "hi"


def test_factories(make_http_mock, make_smtp_mock):
    first, second = make_http_mock(name="svc-a"), make_http_mock(timeout=30)
    assert first.pretend_url.endswith("/mockhttp/svc-a")
    assert second.get_pretender().timeout.total_seconds() == 30
    assert make_smtp_mock().pretend_port != make_smtp_mock().pretend_port
"""

UNMATCHED = """
import httpx
import pytest


def test_wrong_url(http_mock):
    http_mock.when("GET /users/42").reply("Ada")
    httpx.get(http_mock.pretend_url + "/user/42?full=1")  # the bug under test


@pytest.mark.pretenders_allow_unmatched
def test_allowed(http_mock):
    assert httpx.get(http_mock.pretend_url + "/nothing").status_code == 404
"""


def test_fixtures_need_no_set_up(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_user=USER_TESTS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)


def test_unmatched_request_fails_the_test_with_the_request(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_user=UNMATCHED)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*1 request(s) to this test's HTTP mocks matched no preset*",
            "*GET /user/42?full=1*",
            "*closest presets:*",
            '*preset 0 "GET /users/42" (times left 1): rule: expected "GET /users/42", '
            'got "GET /user/42?full=1" (the method matches, the path does not)*',
            "*FAILED test_user.py::test_wrong_url*",
        ]
    )
    assert "pytest_plugin.py" not in result.stdout.str(), "the plugin's own frames are shown"


def test_option_allows_unmatched_requests(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_user=UNMATCHED)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--pretenders-allow-unmatched")
    result.assert_outcomes(passed=2)


@pytest.mark.slow
def test_safe_under_xdist(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_user=USER_TESTS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "xdist", "-n", "2")
    result.assert_outcomes(passed=3)


def test_external_server_by_option_and_by_variable(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    with EmbeddedServer() as external:
        pytester.makepyfile(
            test_user=USER_TESTS
            + f"""

def test_uses_the_external_server(pretenders_server):
    assert pretenders_server.port == {external.port}
"""
        )
        result = pytester.runpytest_subprocess(
            "-p", "no:cacheprovider", f"--pretenders-url={external.url}"
        )
        result.assert_outcomes(passed=4)
        monkeypatch.setenv("PRETENDERS_URL", external.url)
        result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
        result.assert_outcomes(passed=4)
