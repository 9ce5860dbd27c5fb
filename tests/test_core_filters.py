"""Unit tests of the record filters behind counts, waits and filtered history."""

from __future__ import annotations

from pretenders.server.core.filters import MailFilter, RequestFilter
from pretenders.server.core.matching import MatchRule
from pretenders.server.core.patterns import Pattern
from pretenders.server.core.records import MailRecord, RequestRecord

MAIL = (
    b"From: shop@example.com\r\n"
    b"To: Ann Example <ann@example.com>\r\n"
    b"Cc: audit@example.com\r\n"
    b"Subject: =?utf-8?q?Caf=C3=A9_order_42?=\r\n"
    b"\r\n"
    b"Thanks!\r\n"
)


def mail(data: bytes = MAIL, rcpt_tos: tuple[str, ...] = ("bcc@example.com",)) -> MailRecord:
    return MailRecord(("127.0.0.1", 5000), "shop@example.com", list(rcpt_tos), data, 0.0)


def request(method: str = "GET", url: str = "/", preset: int | None = None) -> RequestRecord:
    return RequestRecord(method, url, (), b"", 0.0, preset_id=preset)


def test_request_filter_by_method_url_and_matched() -> None:
    records = [request("GET", "/a?x=1", 0), request("post", "/b"), request("POST", "/a/b")]
    by_method = RequestFilter(method="post")
    assert [by_method(r) for r in records] == [False, True, True]
    by_url = RequestFilter(url=Pattern(r"^/a", "url"))
    assert [by_url(r) for r in records] == [True, False, True]
    unmatched = RequestFilter(matched=False)
    assert [unmatched(r) for r in records] == [False, True, True]
    assert not RequestFilter()(mail())


def test_request_filter_by_rule_uses_the_preset_rule_language() -> None:
    by_rule = RequestFilter(MatchRule("POST /orders", body='.*"qty": 2'))
    assert by_rule(RequestRecord("POST", "/orders/1", (), b'{"qty": 2}', 0.0))
    assert not by_rule(RequestRecord("POST", "/orders/1", (), b'{"qty": 3}', 0.0))


def test_mail_filter_searches_envelope_to_and_cc() -> None:
    for pattern in ("ann@example", "Ann Example", "audit@", "^bcc@"):
        assert MailFilter(to=Pattern(pattern, "to"))(mail()), pattern
    assert not MailFilter(to=Pattern("bob@", "to"))(mail())
    assert not MailFilter()(request())
    assert MailFilter()(mail())


def test_mail_filter_decodes_the_subject() -> None:
    assert MailFilter(subject=Pattern("Café order \\d+", "subject"))(mail())
    assert not MailFilter(subject=Pattern("^order", "subject"))(mail())
    both = MailFilter(to=Pattern("ann@", "to"), subject=Pattern("42", "subject"))
    assert both(mail())


def test_mail_filter_survives_broken_headers() -> None:
    broken = b"To: =?bogus-charset?q?x?=\r\nSubject: \xff\xfe=?utf-8?q?\r\n\r\nbody"
    assert MailFilter(to=Pattern("bogus", "to"))(mail(broken, ()))
    assert not MailFilter(subject=Pattern("nothing", "subject"))(mail(broken, ()))
    assert not MailFilter(subject=Pattern("x", "subject"))(mail(b"no headers at all", ()))
