"""The clients under --history-limit: stats, and messages that say what was dropped."""

from __future__ import annotations

import asyncio
import smtplib
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager

import httpx
import pytest

from pretenders.client.aio import AsyncHTTPMock, AsyncSMTPMock
from pretenders.client.http import HistoryStats, HTTPMock
from pretenders.client.smtp import SMTPMock
from pretenders.common.exceptions import HistoryLimitWarning, VerificationError, WaitTimeout
from tests.deployments.matrix import Deployed

pytestmark = pytest.mark.deployments

LIMIT = 3


@pytest.fixture(scope="module")
def limited(
    deployment: str, start_deployment: Callable[..., AbstractContextManager[Deployed]]
) -> Iterator[Deployed]:
    with start_deployment(deployment, history_limit=LIMIT) as server:
        yield server


@pytest.fixture
def flooded(limited: Deployed) -> Iterator[HTTPMock]:
    """A mock that answered GET /0 ... /4 with 200: the first two were dropped."""
    with HTTPMock(limited.host, limited.port) as mock:
        mock.reply("ok", times=5)
        for n in range(5):
            httpx.get(f"{mock.pretend_url}/{n}")
        yield mock
        mock.delete_mock()


def test_history_stats(flooded: HTTPMock) -> None:
    assert flooded.history_stats() == HistoryStats(total=5, kept=3, dropped=2, limit=LIMIT)
    assert [r.url for r in flooded.get_request()] == ["/2", "/3", "/4"]
    first = flooded.get_request(0)
    assert first is not None and first.url == "/2"


def test_count_warns_that_it_only_sees_the_kept_requests(flooded: HTTPMock) -> None:
    with pytest.warns(HistoryLimitWarning) as caught:
        assert flooded.count("GET /[0-4]") == 3
    assert str(caught[0].message) == (
        "count() only sees the records the mock kept: 2 older requests were dropped by "
        "--history-limit (start the server with a higher --history-limit, or reset the mock "
        "more often)"
    )
    assert caught[0].filename == __file__, "the warning points at the caller"


def test_an_exact_count_cannot_be_proven_once_requests_were_dropped(flooded: HTTPMock) -> None:
    with pytest.raises(VerificationError) as failed:
        flooded.assert_called("GET /[0-4]", times=3)
    assert str(failed.value).splitlines()[:2] == [
        'expected 3 requests matching rule "GET /[0-4]", got 3 among the kept requests, and 2 '
        "older requests were dropped by --history-limit (matching or not), so the count is "
        "3 to 5",
        "The mock kept 3 requests (2 older requests were dropped by --history-limit):",
    ]
    flooded.assert_called("GET /4")  # at least one: proven by the kept records


def test_a_missing_request_mentions_the_dropped_ones(flooded: HTTPMock) -> None:
    with pytest.raises(VerificationError, match="got 0 among the kept requests, and 2 older"):
        flooded.assert_called("GET /0")


def test_wait_timeout_mentions_the_dropped_ones(flooded: HTTPMock) -> None:
    with pytest.raises(WaitTimeout) as failed:
        flooded.wait_for_request("GET /0", timeout=0)
    assert "The mock kept 3 requests (2 older requests were dropped by --history-limit)" in str(
        failed.value
    )


def test_assert_no_unmatched_warns_about_the_unchecked_ones(flooded: HTTPMock) -> None:
    with pytest.warns(HistoryLimitWarning, match="assert_no_unmatched"):
        flooded.assert_no_unmatched()
    httpx.get(f"{flooded.pretend_url}/missing")
    with pytest.raises(VerificationError) as failed:
        flooded.assert_no_unmatched()
    assert str(failed.value).splitlines()[0] == (
        "1 request matched no preset (3 older requests were dropped by --history-limit, unchecked):"
    )


def test_smtp_mock_stats_and_wait_message(limited: Deployed) -> None:
    with SMTPMock(limited.host, limited.port) as mock:
        with smtplib.SMTP("127.0.0.1", mock.pretend_port, timeout=10) as smtp:
            for n in range(LIMIT + 2):
                smtp.sendmail("a@example.com", ["b@example.com"], f"Subject: {n}\r\n\r\nhi")
        assert mock.history_stats() == HistoryStats(total=5, kept=3, dropped=2, limit=LIMIT)
        with pytest.raises(WaitTimeout, match=r"The mock kept 3 \(2 older mails were dropped"):
            mock.wait_for_email(subject="never", timeout=0)
        mock.delete_mock()


def test_async_clients(limited: Deployed) -> None:
    async def scenario() -> None:
        async with AsyncHTTPMock(limited.host, limited.port) as mock, httpx.AsyncClient() as http:
            for n in range(LIMIT + 1):
                await http.get(f"{mock.pretend_url}/{n}")
            stats = await mock.history_stats()
            assert stats == HistoryStats(total=4, kept=3, dropped=1, limit=LIMIT)
            with pytest.warns(HistoryLimitWarning, match="1 older request was dropped"):
                assert await mock.count() == 3
            with pytest.raises(VerificationError, match="so the count is 3 to 4"):
                await mock.assert_called(times=3)
            await mock.delete_mock()
        async with AsyncSMTPMock(limited.host, limited.port) as smtp_mock:
            stats = await smtp_mock.history_stats()
            assert stats == HistoryStats(total=0, kept=0, dropped=0, limit=LIMIT)
            await smtp_mock.delete_mock()

    asyncio.run(scenario())


PLUGIN_TESTS = """
import httpx


def test_flood_then_miss(http_mock):
    http_mock.reply("ok", times=4)
    for n in range(4):
        httpx.get(http_mock.pretend_url + f"/{n}")
    httpx.get(http_mock.pretend_url + "/missed")


def test_flood_without_misses(http_mock):
    http_mock.reply("ok", times=5)
    for n in range(5):
        httpx.get(http_mock.pretend_url + f"/{n}")
"""


def test_the_plugin_says_which_requests_went_unchecked(
    pytester: pytest.Pytester, limited: Deployed
) -> None:
    pytester.makepyfile(test_user=PLUGIN_TESTS)
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", f"--pretenders-url={limited.url}"
    )
    result.assert_outcomes(passed=1, failed=1, warnings=1)
    result.stdout.fnmatch_lines(
        [
            "*1 request(s) to this test's HTTP mocks matched no preset:*",
            "*GET /missed*",
            "*and older requests went unchecked:*",
            "*mock http://*: 2 older requests were dropped by --history-limit*",
            "*HistoryLimitWarning: the check for unmatched requests only saw the requests the "
            "mocks kept:*",
        ]
    )
