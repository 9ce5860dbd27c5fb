"""Unit tests of the ``parts`` rule field (multipart/form-data parts)."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from pretenders.server.core.errors import InvalidInput
from pretenders.server.core.matching import MatchRule, MatchSubject
from pretenders.server.core.records import RequestRecord
from pretenders.server.core.rule_spec import RuleSpec

BOUNDARY = "XyZ"
CONTENT_TYPE = f"multipart/form-data; boundary={BOUNDARY}"


def multipart(*parts: tuple[str, bytes]) -> bytes:
    """A body of parts, each given as its header lines and its content."""
    chunks = [f"--{BOUNDARY}\r\n".encode() + head.encode() + b"\r\n\r\n" + c for head, c in parts]
    return b"\r\n".join(chunks) + f"\r\n--{BOUNDARY}--\r\n".encode()


UPLOAD = multipart(
    ('Content-Disposition: form-data; name="title"', b"Report"),
    (
        'Content-Disposition: form-data; name="file"; filename="q3.csv"\r\n'
        "Content-Type: text/csv; charset=utf-8",
        b"a,b\r\n1,2\xff",
    ),
)


def subject(body: bytes, content_type: str | None = CONTENT_TYPE) -> MatchSubject:
    headers = (("Content-Type", content_type),) if content_type else ()
    return MatchSubject(RequestRecord("POST", "/upload", headers, body, 0.0))


def rule(*parts: dict[str, Any], **fields: Any) -> MatchRule:
    spec = {"rule": "POST /upload", "parts": list(parts), **fields}
    return MatchRule.of(msgspec.convert(spec, RuleSpec))


def differences(compiled: MatchRule, request: MatchSubject) -> list[tuple[str, str, str]]:
    return [(d.field, d.expected, d.actual) for d in compiled.differences(request)]


@pytest.mark.parametrize(
    "part",
    [
        {"name": "title"},
        {"name": "title", "content": "Report", "filename": {"absent": True}},
        {"name": "title", "content_type": {"absent": True}},
        {"name": "file", "filename": "q3.csv", "content_type": "text/csv"},
        {"name": "file", "filename": {"matches": r".*\.csv"}},
        {"name": "file", "content_type": "text/csv; charset=utf-8"},
        {"name": "file", "content_type": {"contains": "charset=utf-8"}},
        {"name": "file", "content": {"contains": "1,2\ufffd"}},
    ],
    ids=[
        "name only",
        "content",
        "no content type",
        "filename and media type",
        "filename regex",
        "full content type",
        "content type parameter",
        "content as UTF-8 with replacement",
    ],
)
def test_a_part_meeting_its_conditions_matches(part: dict[str, Any]) -> None:
    assert differences(rule(part), subject(UPLOAD)) == []


@pytest.mark.parametrize(
    ("part", "difference"),
    [
        ({"name": "other"}, ("part other", "a part named other", "(absent)")),
        ({"name": "title", "content": "Memo"}, ("part title content", "Memo", "Report")),
        (
            {"name": "file", "filename": "q4.csv"},
            ("part file filename", "q4.csv", "q3.csv"),
        ),
        (
            {"name": "title", "filename": "x.txt"},
            ("part title filename", "x.txt", "(absent)"),
        ),
        (
            {"name": "file", "content_type": "application/json"},
            ("part file content_type", "application/json", "text/csv"),
        ),
        (
            {"name": "file", "content_type": "text/csv; charset=latin-1"},
            ("part file content_type", "text/csv; charset=latin-1", "text/csv; charset=utf-8"),
        ),
    ],
    ids=["absent", "content", "filename", "no filename", "content type", "full content type"],
)
def test_a_near_miss_names_the_part_and_what_differed(
    part: dict[str, Any], difference: tuple[str, str, str]
) -> None:
    assert differences(rule(part), subject(UPLOAD)) == [difference]


def test_one_of_several_parts_of_the_name_must_meet_every_condition() -> None:
    body = multipart(
        ('Content-Disposition: form-data; name="doc"; filename="a.txt"', b"first"),
        ('Content-Disposition: form-data; name="doc"; filename="b.txt"', b"second"),
    )
    assert rule({"name": "doc", "filename": "b.txt", "content": "second"}).matches(subject(body))
    assert differences(
        rule({"name": "doc", "filename": "b.txt", "content": "first"}), subject(body)
    ) == [("part doc filename", "b.txt", "a.txt")]


def test_every_part_given_must_be_there() -> None:
    compiled = rule({"name": "title"}, {"name": "file"}, {"name": "notes"})
    assert differences(compiled, subject(UPLOAD)) == [
        ("part notes", "a part named notes", "(absent)")
    ]


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b'{"title": "Report"}', "application/json"),
        (b"title=Report", "application/x-www-form-urlencoded"),
        (UPLOAD, None),
    ],
    ids=["json", "urlencoded", "no content type"],
)
def test_a_body_that_is_not_multipart_is_a_miss_saying_so(
    body: bytes, content_type: str | None
) -> None:
    assert differences(rule({"name": "title"}), subject(body, content_type)) == [
        ("part title", "a part named title", "(not a multipart body)")
    ]


def test_an_empty_form_has_no_parts() -> None:
    request = subject(f"--{BOUNDARY}--\r\n".encode())
    assert rule().matches(request)
    assert differences(rule({"name": "a"}), request) == [("part a", "a part named a", "(absent)")]


def test_parts_and_data_share_one_reading_of_the_body() -> None:
    parts = rule({"name": "title", "content": "Report"})
    form = MatchRule.of(
        RuleSpec(rule="POST /upload", data={"title": "Report", "file": "a,b\r\n1,2\ufffd"})
    )
    request = subject(UPLOAD)
    assert parts.matches(request)
    assert request.views is not None
    read = request.views["multipart"]
    assert form.matches(request)
    assert request.views["multipart"] is read
    untouched = subject(UPLOAD)
    assert rule().matches(untouched)
    assert untouched.views is None


def test_a_part_without_a_name_is_refused() -> None:
    with pytest.raises(InvalidInput, match="parts: a part needs a name") as raised:
        rule({"name": ""})
    assert raised.value.field == "parts"


def test_an_invalid_condition_regex_is_refused() -> None:
    with pytest.raises(InvalidInput) as raised:
        rule({"name": "file", "filename": {"matches": "("}})
    assert "parts.file.filename" in raised.value.message


def test_a_near_miss_keeps_only_the_start_of_a_long_part() -> None:
    body = multipart(('Content-Disposition: form-data; name="file"', b"z" * 10_000))
    ((_, _, actual),) = differences(rule({"name": "file", "content": "short"}), subject(body))
    assert actual == "z" * 200 + "..."
