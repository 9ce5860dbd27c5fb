"""A test whose app raises on the mock's 404 fails with the app's error, and the failure
report still explains why the request matched no preset: in plain pytest and under xdist."""

from __future__ import annotations

import pytest

APP_RAISES = """
import httpx


def fetch(url):
    response = httpx.get(url)
    response.raise_for_status()
    return response.text


def test_app_raises_on_the_404(http_mock):
    http_mock.when("GET /users/42").reply("Ada")
    assert fetch(http_mock.pretend_url + "/user/42?full=1") == "Ada"  # the bug: /user


def test_fails_for_another_reason(http_mock):
    http_mock.when("GET /users/42").reply("Ada")
    assert fetch(http_mock.pretend_url + "/users/42") == "Bob"  # nothing to explain
"""

EXPLANATION = [
    "*HTTPStatusError*404 Not Found*",
    "*- pretenders: requests that matched no preset -*",
    "*1 request(s) to this test's HTTP mocks matched no preset:*",
    "*GET /user/42?full=1  (mock http://127.0.0.1:*/mockhttp/*)",
    "*closest presets:*",
    '*preset 0 "GET /users/42" (times left 1): rule: expected "GET /users/42", '
    'got "GET /user/42?full=1" (the method matches, the path does not)*',
]


@pytest.mark.parametrize(
    "workers",
    [
        pytest.param([], id="plain"),
        pytest.param(["-p", "xdist", "-n", "2"], id="xdist", marks=pytest.mark.slow),
    ],
)
def test_failure_report_explains_the_404(pytester: pytest.Pytester, workers: list[str]) -> None:
    pytester.makepyfile(test_app=APP_RAISES)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", *workers)
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(EXPLANATION)
    result.stdout.fnmatch_lines(["*AssertionError: assert 'Ada' == 'Bob'*"])
    output = result.stdout.str()
    assert output.count("pretenders: requests that matched no preset") == 1, output
    assert "pytest_plugin.py" not in output, "the plugin's own frames are shown"


def test_unmatched_request_swallowed_by_the_app_still_fails_the_test(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        test_app="""
import httpx


def test_swallows_the_404(http_mock):
    http_mock.when("GET /users/42").reply("Ada")
    assert httpx.get(http_mock.pretend_url + "/user/42").status_code == 404
"""
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*AssertionError: 1 request(s) to this test's HTTP mocks*"])
    # Raised by the check itself: the explanation is not repeated in a section.
    assert "pretenders: requests that matched no preset" not in result.stdout.str()
