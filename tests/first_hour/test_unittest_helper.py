"""PretendersTestCase: what the pytest plugin does, for unittest users, run by unittest."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx

from pretenders.server.embedded import EmbeddedServer

USER_TESTS = """
import unittest

import httpx

from pretenders.unittest import PretendersTestCase


class AppTest(PretendersTestCase):
    def test_passes(self):
        mock = self.make_http_mock()
        mock.when("GET /users/42").reply("Ada")
        self.assertEqual(httpx.get(mock.pretend_url + "/users/42").text, "Ada")
        self.assertTrue(self.make_smtp_mock().pretend_port)

    def test_app_swallows_the_404(self):
        mock = self.make_http_mock()
        mock.when("GET /users/42").reply("Ada")
        httpx.get(mock.pretend_url + "/user/42?full=1")  # the bug under test

    def test_app_raises_on_the_404(self):
        mock = self.make_http_mock()
        mock.when("GET /users/42").reply("Ada")
        httpx.get(mock.pretend_url + "/user/7").raise_for_status()


class AllowedTest(PretendersTestCase):
    pretenders_allow_unmatched = True

    def test_allowed(self):
        mock = self.make_http_mock()
        self.assertEqual(httpx.get(mock.pretend_url + "/nothing").status_code, 404)


if __name__ == "__main__":
    unittest.main()
"""


def run_unittest(directory: Path, url: str | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m unittest`` on USER_TESTS: on an embedded server, or the one at ``url``."""
    (directory / "test_app.py").write_text(USER_TESTS)
    env = {name: value for name, value in os.environ.items() if name != "PRETENDERS_URL"}
    if url:
        env["PRETENDERS_URL"] = url
    return subprocess.run(
        [sys.executable, "-m", "unittest", "-v", "test_app"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=directory,
        env=env,
    )


def test_unmatched_requests_fail_the_test_with_the_explanation(tmp_path: Path) -> None:
    done = run_unittest(tmp_path)
    output = done.stderr
    assert done.returncode == 1, output
    assert "Ran 4 tests" in output and "FAILED (failures=2, errors=1)" in output, output
    assert "test_passes (test_app.AppTest" in output and "test_allowed" in output
    swallowed = output.split("FAIL: test_app_swallows_the_404")[1].split("=" * 70)[0]
    assert "AssertionError: 1 request(s) to this test's HTTP mocks matched no preset:" in swallowed
    assert "GET /user/42?full=1  (mock http://127.0.0.1:" in swallowed
    assert (
        'preset 0 "GET /users/42" (times left 1): rule: expected "GET /users/42", '
        'got "GET /user/42?full=1" (the method matches, the path does not)'
    ) in swallowed
    assert "allow them with pretenders_allow_unmatched = True" in swallowed
    # The app's own error, and the explanation beside it.
    assert "ERROR: test_app_raises_on_the_404" in output
    assert "httpx.HTTPStatusError: Client error '404 Not Found'" in output
    raised = output.split("FAIL: test_app_raises_on_the_404")[1]
    assert 'got "GET /user/7" (the method matches, the path does not)' in raised


def test_mocks_are_deleted_after_each_test_on_an_external_server(tmp_path: Path) -> None:
    with EmbeddedServer() as external:
        done = run_unittest(tmp_path, external.url)
        assert "Ran 4 tests" in done.stderr, done.stderr
        assert f"(mock http://127.0.0.1:{external.port}/mockhttp/" in done.stderr
        with httpx.Client(base_url=external.url) as admin:
            assert admin.get("/http").json() == [] and admin.get("/smtp").json() == []


def test_requests_the_history_limit_dropped_are_said_to_go_unchecked(tmp_path: Path) -> None:
    (tmp_path / "test_kept.py").write_text(
        """
import httpx

from pretenders.unittest import PretendersTestCase


class KeptTest(PretendersTestCase):
    def test_three_requests(self):
        mock = self.make_http_mock()
        mock.when("GET /a").reply("a", times="FOREVER")
        for _ in range(3):
            httpx.get(mock.pretend_url + "/a")
"""
    )
    with EmbeddedServer(history_limit=1) as external:
        done = subprocess.run(
            [sys.executable, "-m", "unittest", "test_kept"],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=tmp_path,
            env={**os.environ, "PRETENDERS_URL": external.url},
        )
    assert done.returncode == 0 and "Ran 1 test" in done.stderr, done.stderr
    assert "HistoryLimitWarning: the check for unmatched requests only saw" in done.stderr
    assert "2 older requests were dropped by --history-limit" in done.stderr
