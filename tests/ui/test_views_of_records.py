"""How bodies and mails are made readable: in-process, on hand-made and broken input."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from pretenders.common.constants import FOREVER
from pretenders.server.core.matching import MatchRule, MatchSubject
from pretenders.server.core.near_miss import closest_presets
from pretenders.server.core.presets import PresetQueue, Reply
from pretenders.server.core.records import MailRecord, RequestRecord
from pretenders.server.ui.bodies import HEX_LIMIT, TEXT_LIMIT, body_view, json_tokens
from pretenders.server.ui.mail import parse_mail, summarize
from pretenders.server.ui.present import near_misses, served_text


def mail(data: bytes) -> MailRecord:
    return MailRecord(("127.0.0.1", 1), "from@example.com", ["to@example.com"], data, 0.0)


def test_json_keeps_order_repeated_keys_and_numbers_as_sent() -> None:
    tokens = json_tokens('{"b": 1.50, "a": [true, null], "b": "x"}')

    assert tokens is not None
    text = "".join(text for _, text in tokens)
    assert text == '{\n  "b": 1.50,\n  "a": [\n    true,\n    null\n  ],\n  "b": "x"\n}'
    assert ("n", "1.50") in tokens and ("k", '"a"') in tokens


def test_deeply_nested_json_falls_back_to_text() -> None:
    body = b"[" * 100_000 + b"]" * 100_000

    assert body_view(body, "application/json").kind == "text"


@pytest.mark.parametrize(
    ("body", "content_type", "kind"),
    [
        (b"[1, 2]", None, "json"),
        (b"{not json", "application/json", "text"),
        ("caf\u00e9".encode("latin-1"), "text/plain; charset=latin-1", "text"),
        ("caf\u00e9".encode("latin-1"), "text/plain", "hex"),
        (b"text with a \x00 in it", "text/plain", "hex"),
        (b"x", "text/plain; charset=no-such-charset", "text"),
    ],
)
def test_body_kind(body: bytes, content_type: str | None, kind: str) -> None:
    assert body_view(body, content_type).kind == kind


def test_long_bodies_are_cut_without_calling_a_split_character_binary() -> None:
    text = body_view(("é" * TEXT_LIMIT).encode(), "text/plain")
    binary = body_view(bytes(HEX_LIMIT * 2), None)

    assert text.kind == "text" and text.truncated
    assert binary.kind == "hex" and binary.truncated
    assert len(binary.hex_rows) == HEX_LIMIT // 16


def test_hex_rows_show_offset_bytes_and_printable_text() -> None:
    row = body_view(b"AB\x00\xffcd", None).hex_rows[0]

    assert (row.offset, row.hex, row.text) == ("00000000", "41 42 00 ff 63 64", "AB..cd")


def test_multipart_mail_gives_text_html_and_attachments() -> None:
    message = EmailMessage()
    message["Subject"] = "Résumé"
    message["From"] = "Ada <ada@example.com>"
    message["To"] = "bob@example.com, carol@example.com"
    message.set_content("plain")
    message.add_alternative("<p>html</p>", subtype="html")
    message.add_attachment(b"%PDF", maintype="application", subtype="pdf", filename="cv.pdf")
    inner = EmailMessage()
    inner["Subject"] = "forwarded"
    inner.set_content("inner text")
    message.add_attachment(inner)

    view = parse_mail(mail(bytes(message)))

    assert view.summary.subject == "Résumé"
    assert view.summary.recipients == "bob@example.com, carol@example.com"
    assert view.text == "plain\n"
    assert view.html == "<p>html</p>\n"
    assert [(a.filename, a.content_type) for a in view.attachments] == [
        ("cv.pdf", "application/pdf"),
        ("part-4.eml", "message/rfc822"),
    ]
    assert view.attachments[0].data == b"%PDF"
    assert b"inner text" in view.attachments[1].data


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"no headers at all, just words",
        b"Subject: =?bogus?q?x?=\r\nFrom: <<<@>>>\r\nTo: ,,,\r\n\r\nbody",
        b"Content-Type: multipart/mixed; boundary=X\r\n\r\n--X\r\nno end",
        b"Content-Type: text/plain; charset=unknown-8\r\n\r\n\xff\xfe",
        b"Content-Type: text/html\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!not base64",
        b"Subject: \xff\xfe raw bytes\r\n\r\nx",
    ],
    ids=["empty", "no-headers", "bad-headers", "unclosed", "bad-charset", "bad-base64", "8bit"],
)
def test_any_mail_gives_a_view(data: bytes) -> None:
    record = mail(data)

    view = parse_mail(record)
    summary = summarize(record)

    assert view.raw == data.decode("utf-8", "replace")
    assert summary.sender  # the envelope sender when the headers have none
    for text in (summary.subject, view.text or "", view.html or "", *(v for _, v in view.headers)):
        text.encode("utf-8")  # printable: no lone surrogates


def test_mail_without_html_has_no_html_view() -> None:
    view = parse_mail(mail(b"Subject: hi\r\n\r\njust text"))

    assert view.html is None
    assert view.text == "just text"
    assert view.attachments == ()


def unmatched(method: str, url: str, *rules: MatchRule) -> RequestRecord:
    """A request no preset matched, with its near misses, as the HTTP mock records it."""
    presets = PresetQueue()
    for rule in rules:
        presets.add(rule, Reply(), FOREVER)
    record = RequestRecord(method, url, (("X-Key", "k2"),), b"", 0.0, status=404)
    record.near_misses = closest_presets(presets, MatchSubject(record))
    return record


def test_no_presets_means_no_near_misses() -> None:
    record = unmatched("GET", "/b")

    assert near_misses(record) == []
    assert served_text(record) == ("no preset matched", "missed")


def test_near_misses_say_what_differed_closest_first() -> None:
    record = unmatched(
        "POST", "/a", MatchRule("POST /zzz"), MatchRule("GET /a", headers={"X-Key": "k1"})
    )

    misses = near_misses(record)

    assert served_text(record) == ("no match · closest preset 1: method, header X-Key", "missed")
    assert [(m.preset_id, m.rule, m.times_left) for m in misses] == [
        (1, "GET /a", "∞"),
        (0, "POST /zzz", "∞"),
    ]
    assert misses[0].hint == "the path matches, the method does not"
    assert [(d.field, d.expected, d.actual) for d in misses[0].differences] == [
        ("rule", "GET /a", "POST /a"),
        ("header X-Key", "k1", "k2"),
    ]
