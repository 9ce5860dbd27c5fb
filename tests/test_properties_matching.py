"""Properties of the matching core, for any input hypothesis can think of.

Rules, headers, bodies, urlencoded and multipart forms and binary bodies: matching
never raises, and a request built from a rule's own values always matches it.
"""

from __future__ import annotations

import re
import string
from urllib.parse import urlencode

from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from pretenders.server.core.matching import NOT_TEXT, MatchRule, MatchSubject, parse_form
from pretenders.server.core.records import RequestRecord

EXAMPLES = settings(max_examples=100, deadline=None)

TOKEN = string.ascii_letters + string.digits + "!#$%&'*+-.^_`|~"
"""The characters of an HTTP token (methods, header names)."""

tokens = st.text(TOKEN, min_size=1, max_size=20)
# Text as a well-behaved HTTP client would send it: any character but surrogates.
texts = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)
header_values = st.text(
    st.characters(min_codepoint=0x20, exclude_categories=["Cs", "Cc"]), max_size=40
).map(str.strip)
paths = st.text(st.characters(exclude_categories=["Cs"]), max_size=40).map(lambda p: "/" + p)
content_types = st.one_of(
    st.just(""),
    st.sampled_from(
        [
            "application/x-www-form-urlencoded",
            "multipart/form-data",
            "multipart/form-data; boundary=B",
            'multipart/form-data; boundary="a b"',
            "text/plain; charset=latin-1",
            "application/octet-stream",
        ]
    ),
    st.text(max_size=60),
)


def subject_of(
    method: str = "GET",
    url: str = "/",
    headers: tuple[tuple[str, str], ...] = (),
    body: bytes = b"",
) -> MatchSubject:
    return MatchSubject(RequestRecord(method, url, headers, body, 0.0))


def random_case(text: str, data: st.DataObject) -> str:
    flips = data.draw(st.lists(st.booleans(), min_size=len(text), max_size=len(text)))
    return "".join(c.swapcase() if flip else c for c, flip in zip(text, flips, strict=True))


@EXAMPLES
@given(method=tokens, url=paths)
def test_a_rule_quoting_the_request_line_matches_it(method: str, url: str) -> None:
    line = f"{method} {url}"
    assert MatchRule(re.escape(line)).matches(subject_of(method, url))
    assert MatchRule("").matches(subject_of(method, url))
    assert not MatchRule(re.escape(line) + "X").matches(subject_of(method, url))


@EXAMPLES
@given(name=tokens, value=header_values, data=st.data())
def test_header_names_match_in_any_case(name: str, value: str, data: st.DataObject) -> None:
    sent = subject_of(headers=((random_case(name, data), value),))
    assert MatchRule("", headers={random_case(name, data): value}).matches(sent)
    assert not MatchRule("", headers={name: value + "x"}).matches(sent)


@EXAMPLES
@given(fields=st.dictionaries(texts, texts, max_size=6))
def test_urlencoded_forms_match_their_fields(fields: dict[str, str]) -> None:
    body = urlencode(fields).encode("utf-8")
    for content_type in ([], ["application/x-www-form-urlencoded"]):
        assert parse_form(body, content_type) == fields
    form_type = (("Content-Type", "application/x-www-form-urlencoded"),)
    if fields:  # an empty ``data`` is no form rule at all
        assert MatchRule("POST", data=fields).matches(subject_of("POST", "/", form_type, body))


form_names = st.text(
    st.characters(exclude_categories=["Cs", "Cc"], exclude_characters='"\\'), min_size=1
)


def multipart(fields: dict[str, str], boundary: str) -> bytes:
    """A multipart/form-data body written by hand, with CRLF line ends."""
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in fields.items()
    ]
    return ("".join(parts) + f"--{boundary}--\r\n").encode("utf-8")


@EXAMPLES
@given(fields=st.dictionaries(form_names, texts, max_size=5))
@example(fields={"lines": "one\r\ntwo\r\n", "empty": ""})
def test_multipart_forms_match_their_fields(fields: dict[str, str]) -> None:
    boundary = "pretenders-7f3a9c"
    assume(all(boundary not in value for value in fields.values()))
    content_type = f"multipart/form-data; boundary={boundary}"
    body = multipart(fields, boundary)
    assert parse_form(body, [content_type]) == fields
    sent = subject_of("POST", headers=(("Content-Type", content_type),), body=body)
    if fields:
        assert MatchRule("", data=fields).matches(sent)


CHARSETS = ["utf-8", "latin-1", "utf-16", "idna", "punycode", "rot13", "base64", "nope", ""]
part_headers = st.sampled_from(
    [
        b'Content-Disposition: form-data; name="f"',
        b'Content-Disposition: form-data; name="f"; filename="a.bin"',
        b"Content-Disposition: form-data; name*=utf-8''%ff%20x",
        b"Content-Disposition: form-data",
        b"Content-Disposition: attachment; name=",
        *(b"Content-Type: text/plain; charset=" + name.encode() for name in CHARSETS),
        *(
            b"Content-Transfer-Encoding: " + name
            for name in [b"base64", b"quoted-printable", b"x-uuencode", b"8bit", b"bogus"]
        ),
    ]
) | st.binary(max_size=30)
multipart_parts = st.tuples(st.lists(part_headers, max_size=4), st.binary(max_size=40)).map(
    lambda part: b"--B\r\n" + b"\r\n".join(part[0]) + b"\r\n\r\n" + part[1] + b"\r\n"
)
multipartish = st.tuples(
    st.lists(multipart_parts, max_size=4), st.sampled_from([b"--B--\r\n", b""])
)
bodies = st.one_of(st.binary(max_size=200), multipartish.map(lambda m: b"".join(m[0]) + m[1]))


@EXAMPLES
@given(body=bodies, content_type=content_types, pattern=st.sampled_from(["", "a", "(?s).*"]))
def test_any_body_is_matched_without_raising(body: bytes, content_type: str, pattern: str) -> None:
    headers = (("Content-Type", content_type),) if content_type else ()
    sent = subject_of("POST", "/", headers, body)
    rules = [MatchRule("", body=pattern), MatchRule("", data={"a": "1"}), MatchRule(".*")]
    for rule in rules:
        assert rule.matches(sent) == (rule.differences(sent) == [])
    form = parse_form(body, [content_type] if content_type else [])
    assert form is None or all(isinstance(v, str) for v in form.values())


@EXAMPLES
@given(body=st.binary(min_size=1, max_size=200))
def test_a_body_rule_on_a_body_that_is_not_utf8_is_a_miss(body: bytes) -> None:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        assume(False)
    (difference,) = MatchRule("", body="(?s).*").differences(subject_of(body=body))
    assert (difference.field, difference.actual) == ("body", NOT_TEXT)


@EXAMPLES
@given(text=texts)
def test_a_body_rule_quoting_a_text_body_matches_it(text: str) -> None:
    sent = subject_of(body=text.encode("utf-8"))
    assume(text)
    assert MatchRule("", body=re.escape(text)).matches(sent)
