"""Near misses, verification and waiting from the Python clients, against a real server."""

from __future__ import annotations

import contextlib
import copy
import smtplib
import threading
import time
from collections.abc import Callable, Iterator
from email.message import EmailMessage

import httpx
import pytest

from pretenders.client._admin import AdminConnection
from pretenders.client.http import Difference, HTTPMock
from pretenders.client.smtp import SMTPMock
from pretenders.common.constants import FOREVER
from pretenders.common.exceptions import (
    PretendersError,
    ResourceNotFound,
    VerificationError,
    WaitTimeout,
)
from pretenders.server.embedded import EmbeddedServer

pytestmark = pytest.mark.deployments


def call(mock: HTTPMock, method: str, path: str, **kwargs: object) -> httpx.Response:
    return httpx.request(method, mock.pretend_url + path, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def later() -> Iterator[Callable[[float, Callable[[], object]], None]]:
    """Run something in another thread after a delay (joined at the end of the test)."""
    threads: list[threading.Thread] = []

    def run_later(delay: float, action: Callable[[], object]) -> None:
        def run() -> None:
            time.sleep(delay)  # the scenario itself: it happens while the test waits
            action()

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        threads.append(thread)

    yield run_later
    for thread in threads:
        thread.join(10)


def test_near_misses_of_a_recorded_request(mock: HTTPMock) -> None:
    mock.when("GET /users", headers={"X-Token": "abc"}).reply("ok")
    assert call(mock, "GET", "/users", headers={"X-Token": "abd"}).status_code == 404
    request = mock.get_request(0)
    assert request is not None
    assert request.matched is False
    (miss,) = request.near_misses
    assert (miss.preset, miss.times, miss.rule["rule"]) == (0, 1, "GET /users")
    assert miss.differences == [Difference("header X-Token", "abc", "abd")]
    assert (
        str(miss)
        == 'preset 0 "GET /users" (times left 1): header X-Token: expected "abc", got "abd"'
    )
    call(mock, "GET", "/users", headers={"X-Token": "abc"})
    served = mock.get_request(1)
    assert served is not None
    assert (served.matched, served.preset, served.near_misses) == (True, 0, [])


def test_count_in_the_rule_language(mock: HTTPMock) -> None:
    call(mock, "POST", "/orders", content=b'{"qty": 2}')
    call(mock, "POST", "/orders", content=b'{"qty": 3}', headers={"X-Shop": "1"})
    call(mock, "POST", "/login", data={"user": "ann"})
    assert mock.count() == 3
    assert mock.count("POST /orders") == 2
    assert mock.count("POST /orders", body='.*"qty": 2') == 1
    assert mock.count(headers={"X-Shop": "1"}) == 1
    assert mock.count("POST /login", data={"user": "ann"}) == 1
    assert mock.count("GET ") == 0


def test_unmatched_requests_and_unused_presets(mock: HTTPMock) -> None:
    mock.when("GET /a").reply("a", times=2)
    mock.when("GET /b").reply("b", times=FOREVER)
    mock.when("GET /c").reply("c", times=FOREVER)
    call(mock, "GET", "/a")
    call(mock, "GET", "/c")
    call(mock, "GET", "/nope")
    assert [r.url for r in mock.unmatched_requests()] == ["/nope"]
    unused = mock.unused_presets()
    assert [(p["rule"]["rule"], p["times"], p["served"]) for p in unused] == [
        ("GET /a", 1, 1),
        ("GET /b", "FOREVER", 0),
    ]


def test_assert_called(mock: HTTPMock) -> None:
    mock.when("GET /x").reply("x", times=FOREVER)
    call(mock, "GET", "/x")
    call(mock, "GET", "/x")
    mock.assert_called("GET /x")
    mock.assert_called("GET /x", times=2)
    mock.assert_called(times=2)
    with pytest.raises(VerificationError) as failure:
        mock.assert_called("GET /x", times=3)
    assert str(failure.value) == (
        'expected 3 requests matching rule "GET /x", got 2\n'
        "The mock received 2 requests:\n"
        "  GET /x -> 200 (preset 0)\n"
        "  GET /x -> 200 (preset 0)"
    )


def test_assert_called_shows_why_the_requests_missed(mock: HTTPMock) -> None:
    mock.when("POST /orders", body='.*"qty": 2').reply("ok")
    call(mock, "POST", "/orders", content=b'{"qty": 3}')
    with pytest.raises(AssertionError) as failure:
        mock.assert_called("POST /orders", body='.*"qty": 2')
    assert str(failure.value) == (
        'expected at least 1 request matching rule "POST /orders" with body ".*\\"qty\\": 2", '
        "got 0\n"
        "The mock received 1 request:\n"
        "  POST /orders -> 404, closest presets:\n"
        '    preset 0 "POST /orders" (times left 1): '
        'body: expected ".*\\"qty\\": 2", got "{\\"qty\\": 3}"'
    )


def test_assert_no_unmatched(mock: HTTPMock) -> None:
    mock.assert_no_unmatched()
    call(mock, "DELETE", "/everything")
    mock.when("GET /x", headers={"Accept": "text/csv"}).reply("x")
    call(mock, "GET", "/x", headers={"Accept": "text/html"})
    with pytest.raises(VerificationError) as failure:
        mock.assert_no_unmatched()
    assert str(failure.value) == (
        "2 requests matched no preset:\n"
        "  DELETE /everything -> 404: the mock had no presets\n"
        "  GET /x -> 404, closest presets:\n"
        '    preset 0 "GET /x" (times left 1): header Accept: expected "text/csv", '
        'got "text/html"'
    )


def test_assert_no_unused_presets(mock: HTTPMock) -> None:
    mock.when("GET /a").reply("a", times=FOREVER)
    mock.when("GET /b", headers={"X-K": "1"}).reply("b", times=3)
    call(mock, "GET", "/b", headers={"X-K": "1"})
    with pytest.raises(VerificationError) as failure:
        mock.assert_no_unused_presets()
    assert str(failure.value) == (
        "2 presets not used up:\n"
        '  preset 0 "GET /a": FOREVER, served 0\n'
        "  preset 1 \"GET /b\" with headers {'X-K': '1'}: 2 uses left, served 1"
    )
    call(mock, "GET", "/a")
    call(mock, "GET", "/b", headers={"X-K": "1"})
    call(mock, "GET", "/b", headers={"X-K": "1"})
    mock.assert_no_unused_presets()


def test_wait_for_request_returns_as_soon_as_it_arrives(
    mock: HTTPMock, later: Callable[[float, Callable[[], object]], None]
) -> None:
    later(0.3, lambda: call(mock, "POST", "/hooks/paid", content=b'{"order": 7}'))
    started = time.monotonic()
    (request,) = mock.wait_for_request("POST /hooks/", body=".*order", timeout=10)
    assert 0.25 < time.monotonic() - started < 5
    assert (request.method, request.url, request.body) == ("POST", "/hooks/paid", b'{"order": 7}')


def test_wait_for_request_timeout_lists_what_was_seen(mock: HTTPMock) -> None:
    call(mock, "POST", "/hooks/paid")
    call(mock, "POST", "/hook/typo")
    with pytest.raises(WaitTimeout) as failure:
        mock.wait_for_request("POST /hooks/", count=2, timeout=0.2)
    assert isinstance(failure.value, AssertionError)
    assert isinstance(failure.value, PretendersError)
    assert [r.url for r in failure.value.seen] == ["/hooks/paid"]  # type: ignore[attr-defined]
    assert str(failure.value) == (
        'waiting for 2 requests matching rule "POST /hooks/": '
        "timed out after 0.2 s with 1 of 2 matching requests\n"
        "matching:\n"
        "  POST /hooks/paid -> 404: the mock had no presets\n"
        "The mock received 2 requests:\n"
        "  POST /hooks/paid -> 404: the mock had no presets\n"
        "  POST /hook/typo -> 404: the mock had no presets"
    )


def test_a_wait_outlasts_the_connections_own_timeout(
    server: EmbeddedServer, mock: HTTPMock, later: Callable[[float, Callable[[], object]], None]
) -> None:
    impatient = copy.copy(mock)
    impatient.admin = AdminConnection(server.host, server.port, timeout=0.2)
    later(0.6, lambda: call(mock, "GET", "/late"))
    try:
        assert [r.url for r in impatient.wait_for_request("GET /late", timeout=5)] == ["/late"]
        with pytest.raises(WaitTimeout):
            impatient.wait_for_request("GET /never", timeout=0.5)
    finally:
        impatient.admin.close()


@pytest.fixture
def smtp(server: EmbeddedServer) -> Iterator[SMTPMock]:
    mock = SMTPMock(server.host, server.port)
    yield mock
    with contextlib.suppress(ResourceNotFound):
        mock.delete_mock()
    mock.close()


def send_mail(smtp: SMTPMock, subject: str, to: str) -> None:
    mail = EmailMessage()
    mail["Subject"], mail["From"], mail["To"] = subject, "shop@example.com", to
    mail.set_content("Thanks")
    with smtplib.SMTP("127.0.0.1", smtp.pretend_port, timeout=10) as client:
        client.send_message(mail)


def test_wait_for_email_sent_from_another_thread(
    smtp: SMTPMock, later: Callable[[float, Callable[[], object]], None]
) -> None:
    later(0.2, lambda: send_mail(smtp, "Newsletter", "all@example.com"))
    later(0.4, lambda: send_mail(smtp, "Your order 42", "Ann <ann@example.com>"))
    started = time.monotonic()
    (mail,) = smtp.wait_for_email(to="ann@example", subject="order \\d+", timeout=10)
    assert 0.35 < time.monotonic() - started < 5
    assert mail["Subject"] == "Your order 42"
    assert mail.rcpt_tos == ["ann@example.com"]
    assert len(smtp.wait_for_email(count=2, timeout=5)) == 2


def test_wait_for_email_timeout_lists_what_was_seen(smtp: SMTPMock) -> None:
    send_mail(smtp, "Welcome", "bob@example.com")
    with pytest.raises(WaitTimeout) as failure:
        smtp.wait_for_email(to="ann@", timeout=0.2)
    assert str(failure.value) == (
        "waiting for 1 mail with to 'ann@': timed out after 0.2 s with 0 of 1 matching mails\n"
        "The mock accepted 1\n"
        "  from shop@example.com to bob@example.com: 'Welcome'"
    )


def test_mail_filters_over_the_admin_api(admin: httpx.Client, smtp: SMTPMock) -> None:
    send_mail(smtp, "Welcome", "bob@example.com")
    send_mail(smtp, "Your order", "ann@example.com")
    mock_id = smtp.pretend_access_point_id
    subjects = [
        m["data"].split("Subject: ")[1].splitlines()[0]
        for m in admin.get(f"/history/{mock_id}", params={"to": "^ann@"}).json()
    ]
    assert subjects == ["Your order"]
    assert admin.post(f"/count/{mock_id}", json={"subject": "order|Welcome"}).json() == {
        "count": 2,
        "dropped": 0,
    }
    refused = admin.get(f"/history/{mock_id}", params={"matched": "false"})
    assert refused.status_code == 400
    assert "this is an SMTP mock" in refused.json()["errors"][0]["message"]
    assert admin.post(f"/count/{mock_id}", json={"rule": "GET"}).status_code == 400
