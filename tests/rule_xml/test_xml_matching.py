"""Unit tests of the ``xml``, ``xpath`` and ``namespaces`` rule fields."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import msgspec
import pytest

from pretenders.server.core.errors import InvalidInput
from pretenders.server.core.matching import MatchRule, MatchSubject
from pretenders.server.core.records import RequestRecord
from pretenders.server.core.rule_spec import RuleSpec
from pretenders.server.core.xml_body import NotXml, read_xml


def subject(body: bytes | str) -> MatchSubject:
    data = body.encode() if isinstance(body, str) else body
    return MatchSubject(RequestRecord("POST", "/soap", (), data, 0.0))


def rule(**fields: Any) -> MatchRule:
    return MatchRule.of(msgspec.convert({"rule": "POST /soap", **fields}, RuleSpec))


def differences(compiled: MatchRule, body: bytes | str) -> list[tuple[str, str, str]]:
    return [(d.field, d.expected, d.actual) for d in compiled.differences(subject(body))]


ORDER = """<order id="7" status="new">
  <item><sku>A1</sku><qty>2</qty></item>
  <item><sku>B2</sku><qty>1</qty></item>
</order>"""


@pytest.mark.parametrize(
    "body",
    [
        ORDER,
        '<order status="new" id="7"><item><sku>A1</sku><qty>2</qty></item>'
        "<item><sku>B2</sku><qty>1</qty></item></order>",
        "<?xml version='1.0' encoding='UTF-8'?>\n<!-- a comment -->\n" + ORDER,
        ORDER.replace("<sku>A1</sku>", "<sku><![CDATA[A1]]></sku>"),
    ],
    ids=["as given", "attribute order and no indentation", "declaration and comment", "CDATA"],
)
def test_xml_equality_ignores_formatting(body: str) -> None:
    assert differences(rule(xml=ORDER), body) == []


def test_prefixes_do_not_matter_namespace_uris_do() -> None:
    compiled = rule(xml='<m:pay xmlns:m="urn:x"><m:amount>5</m:amount></m:pay>')
    assert compiled.matches(subject('<p:pay xmlns:p="urn:x"><p:amount>5</p:amount></p:pay>'))
    assert compiled.matches(subject('<pay xmlns="urn:x"><amount>5</amount></pay>'))
    assert differences(compiled, '<pay xmlns="urn:y"><amount>5</amount></pay>') == [
        ("xml /pay", "<{urn:x}pay>", "<{urn:y}pay>")
    ]


def test_self_closing_and_empty_tags_are_the_same() -> None:
    compiled = rule(xml="<a><b/><c></c><d>  </d></a>")
    assert compiled.matches(subject("<a><b></b><c/><d/></a>"))


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            ORDER.replace("<sku>B2</sku>", "<sku>B3</sku>"),
            ("xml /order/item[2]/sku", "B2", "B3"),
        ),
        (ORDER.replace('id="7"', 'id="8"'), ("xml /order/@id", "7", "8")),
        (ORDER.replace(' status="new"', ""), ("xml /order/@status", "new", "(absent)")),
        (
            ORDER.replace("<qty>1</qty>", ""),
            ("xml /order/item[2]/qty", "<qty>", "(absent)"),
        ),
        (
            ORDER.replace("<qty>1</qty>", "<qty>1</qty><note/>"),
            ("xml /order/item[2]/note", "(no element)", "<note>"),
        ),
        (
            # element order matters
            ORDER.replace("<sku>A1</sku><qty>2</qty>", "<qty>2</qty><sku>A1</sku>"),
            ("xml /order/item[1]/sku", "<sku>", "<qty>"),
        ),
        ("<invoice/>", ("xml /order", "<order>", "<invoice>")),
    ],
    ids=["text", "attribute", "missing attribute", "missing", "extra", "order", "root"],
)
def test_a_near_miss_names_the_first_differing_node(
    body: str, expected: tuple[str, str, str]
) -> None:
    assert differences(rule(xml=ORDER), body) == [expected]


def test_mixed_content_text_after_an_element_counts() -> None:
    compiled = rule(xml="<p>Hello <b>you</b> there</p>")
    assert compiled.matches(subject("<p>Hello <b>you</b> there</p>"))
    assert differences(compiled, "<p>Hello <b>you</b> here</p>") == [
        ("xml /p/b (text after it)", " there", " here")
    ]


def test_a_body_that_is_not_xml_is_a_miss_saying_why() -> None:
    ((field, expected, actual),) = differences(rule(xml="<a/>"), '{"json": true}')
    assert (field, expected) == ("xml", "<a/>")
    assert actual.startswith("(a body that is not well-formed XML: ")
    ((_, _, empty),) = differences(rule(xml="<a/>"), b"")
    assert empty == "(a body that is not well-formed XML: empty)"


def test_invalid_expected_xml_is_refused_when_the_preset_is_added() -> None:
    with pytest.raises(InvalidInput, match=r"^xml: not well-formed XML: ") as raised:
        rule(xml="<a><b></a>")
    assert raised.value.field == "xml"


@pytest.mark.parametrize(
    ("expression", "condition", "body", "difference"),
    [
        ("//m:amount", {"gt": 10}, '<p xmlns="urn:x"><amount>12.5</amount></p>', None),
        (
            "//m:amount",
            {"gt": 10},
            '<p xmlns="urn:x"><amount>9</amount></p>',
            ("xpath //m:amount", "> 10", "9"),
        ),
        ("//m:amount/@cur", "EUR", '<p xmlns="urn:x"><amount cur="EUR">1</amount></p>', None),
        (
            "//m:amount/text()",
            {"matches": r"\d+"},
            '<p xmlns="urn:x"><amount>42</amount></p>',
            None,
        ),
        ("count(//m:item)", 2, '<p xmlns="urn:x"><item/><item/></p>', None),
        (
            "count(//m:item)",
            {"ge": 3},
            '<p xmlns="urn:x"><item/><item/></p>',
            ("xpath count(//m:item)", ">= 3", "2"),
        ),
        ("boolean(//m:item)", {"equals": True}, '<p xmlns="urn:x"><item/></p>', None),
        ("string(//m:name)", {"contains": "nn"}, '<p xmlns="urn:x"><name>Ann</name></p>', None),
        (
            "//m:missing",
            "x",
            '<p xmlns="urn:x"/>',
            ("xpath //m:missing", "x", "(absent)"),
        ),
        ("//m:missing", {"absent": True}, '<p xmlns="urn:x"/>', None),
        (
            "//m:p",
            {"contains": "AnnBob"},
            '<p xmlns="urn:x"><n>Ann</n><n>Bob</n></p>',
            None,
        ),
    ],
    ids=[
        "number gt",
        "number gt miss",
        "attribute",
        "text node regex",
        "count equals",
        "count miss",
        "boolean",
        "string",
        "no result",
        "absent",
        "element text content",
    ],
)
def test_xpath_conditions_apply_to_the_first_result(
    expression: str,
    condition: object,
    body: str,
    difference: tuple[str, str, str] | None,
) -> None:
    compiled = rule(xpath={expression: condition}, namespaces={"m": "urn:x"})
    assert differences(compiled, body) == ([difference] if difference else [])


def test_xpath_on_a_body_that_is_not_xml_is_a_miss_even_for_absent() -> None:
    compiled = rule(xpath={"//a": {"absent": True}})
    ((field, expected, actual),) = differences(compiled, "plain text")
    assert (field, expected) == ("xpath //a", "absent")
    assert actual.startswith("(a body that is not well-formed XML")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"xpath": {"//a[": "x"}}, "xpath: invalid XPath expression '//a['"),
        ({"xpath": {"//q:a": "x"}}, "xpath: invalid XPath expression '//q:a'"),
        ({"xpath": {"//q:a": "x"}, "namespaces": {"m": "urn:x"}}, "'//q:a'"),
        ({"xpath": {"nosuchfunction(1)": "x"}}, "'nosuchfunction(1)'"),
        ({"xpath": {"$v": "x"}}, "'$v'"),
    ],
    ids=["syntax", "unknown prefix", "prefix not declared", "unknown function", "variable"],
)
def test_invalid_xpath_is_refused_when_the_preset_is_added(
    fields: dict[str, object], message: str
) -> None:
    with pytest.raises(InvalidInput, match=r"^xpath: ") as raised:
        rule(**fields)
    assert message in raised.value.message
    assert raised.value.field == "xpath"


def test_exslt_regular_expressions_are_not_available() -> None:
    # Their regexes would run unbounded; conditions' own regexes are bounded.
    with pytest.raises(InvalidInput, match="xpath"):
        rule(
            xpath={"re:test(//a, 'x')": {"equals": True}},
            namespaces={"re": "http://exslt.org/regular-expressions"},
        )


def test_namespaces_alone_are_refused() -> None:
    with pytest.raises(InvalidInput, match="namespaces") as raised:
        rule(namespaces={"m": "urn:x"})
    assert raised.value.field == "namespaces"


def test_the_body_is_parsed_once_per_request_and_only_when_asked() -> None:
    compiled = [rule(xml="<a>1</a>"), rule(xpath={"/a": "1"}), rule(xpath={"/a": "2"})]
    request = subject("<a>1</a>")
    assert [c.matches(request) for c in compiled] == [True, True, False]
    assert request.views is not None
    parsed = request.views["xml"]
    assert [c.matches(request) for c in compiled] == [True, True, False]
    assert request.views["xml"] is parsed
    untouched = subject("<a>1</a>")
    assert rule().matches(untouched)
    assert untouched.views is None


XXE = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY secret SYSTEM "file:///etc/hostname">]>
<r>&secret;</r>"""

LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<lolz>&lol9;</lolz>"""


def test_entities_are_never_read() -> None:
    parsed = read_xml(XXE)
    assert isinstance(parsed, NotXml)
    assert parsed.reason == "it declares entities, which are never read"
    # libxml2 stops this one itself, before our check: either way it is not read
    laughs = read_xml(LAUGHS)
    assert isinstance(laughs, NotXml)
    assert "entit" in laughs.reason


def test_an_xxe_body_does_not_leak_a_local_file_into_a_near_miss() -> None:
    with open("/etc/hostname") as file:
        secret = file.read().strip()
    compiled = rule(xpath={"/r": "x"})
    found = differences(compiled, XXE)
    assert found and secret not in repr(found)


def test_a_doctype_without_entities_or_external_dtd_is_read() -> None:
    body = b'<!DOCTYPE a [<!ELEMENT a ANY><!ATTLIST a y CDATA "2">]><a x="1">t</a>'
    assert rule(xml='<a x="1">t</a>').matches(subject(body))  # no default attribute y


@pytest.mark.parametrize(
    "doctype",
    [
        '<!DOCTYPE r SYSTEM "{url}">',
        '<!DOCTYPE r PUBLIC "-//x//y" "{url}">',
        '<!DOCTYPE r [<!ENTITY % p SYSTEM "{url}"> %p;]>',
    ],
    ids=["external subset", "public id", "parameter entity"],
)
def test_no_local_file_is_read(tmp_path: Path, doctype: str) -> None:
    dtd = tmp_path / "secret.dtd"
    dtd.write_text('<!ENTITY q "LEAKED">')
    body = (doctype.format(url=dtd.as_uri()) + "<r>&q;</r>").encode()
    parsed = read_xml(body)
    assert isinstance(parsed, NotXml)
    assert "LEAKED" not in parsed.reason


def test_a_fifo_named_as_a_dtd_is_never_opened(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    body = f'<!DOCTYPE r SYSTEM "{fifo.as_uri()}"><r>x</r>'.encode()
    results: list[object] = []
    reader = threading.Thread(target=lambda: results.append(read_xml(body)), daemon=True)
    reader.start()
    reader.join(timeout=10)
    hung = reader.is_alive()
    if hung:  # release the parser blocked on the FIFO
        descriptor = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        os.close(descriptor)
        reader.join(timeout=10)
    assert not hung, "the parser opened the FIFO"
    (parsed,) = results
    assert isinstance(parsed, NotXml)
    assert parsed.reason == "it names an external DTD, which is never read"


@pytest.mark.parametrize(
    ("namespaces", "message"),
    [
        ({"": "urn:x"}, "namespaces: '' is not a prefix"),
        ({"a b": "urn:x"}, "namespaces: 'a b' is not a prefix"),
        ({"1m": "urn:x"}, "namespaces: '1m' is not a prefix"),
        ({"m": ""}, "namespaces: the URI of m must be printable text, not ''"),
        ({"m": "urn:\x00"}, "namespaces: the URI of m must be printable text"),
    ],
    ids=["empty prefix", "space", "digit first", "empty URI", "NUL"],
)
def test_bad_namespaces_are_refused_naming_them(namespaces: dict[str, str], message: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        rule(xpath={"//m:a": "x"}, namespaces=namespaces)
    assert raised.value.message.startswith(message)
    assert raised.value.field == "namespaces"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"xml": "\ud800"}, "xml"),
        ({"xml": ""}, "xml"),
        ({"xml": '<!DOCTYPE r [<!ENTITY e "x">]><r>&e;</r>'}, "xml"),
        ({"xpath": {"\ud800": "x"}}, "xpath"),
        ({"xpath": {"\x00": "x"}}, "xpath"),
        ({"xpath": {"//a": {"matches": "("}}}, "xpath.//a"),
    ],
    ids=[
        "surrogate xml",
        "empty xml",
        "xml with entities",
        "surrogate xpath",
        "NUL xpath",
        "regex",
    ],
)
def test_text_xml_cannot_read_is_refused_not_a_crash(fields: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        rule(**fields)
    assert raised.value.field == field


def test_a_declaration_naming_another_encoding_in_the_preset_text_is_ignored() -> None:
    compiled = rule(xml='<?xml version="1.0" encoding="ISO-8859-1"?><name>Zoë</name>')
    assert compiled.matches(subject("<name>Zoë</name>".encode()))
    latin = '<?xml version="1.0" encoding="ISO-8859-1"?><name>Zoë</name>'.encode("latin-1")
    assert compiled.matches(subject(latin))


def test_a_near_miss_keeps_only_the_start_of_long_text() -> None:
    body = "<doc><text>" + "y" * 10_000 + "</text></doc>"
    (xml,) = differences(rule(xml="<doc><text>short</text></doc>"), body)
    (xpath,) = differences(rule(xpath={"/doc/text": "short"}), body)
    for _, _, actual in (xml, xpath):
        assert actual == "y" * 200 + "..."
