"""Matchers of the XML fields of the rule language: ``xml``, ``xpath`` and ``namespaces``.

The preset's document and expressions are read and compiled when the preset is added;
the request body is parsed at most once per request (the ``xml`` view of the subject),
and only when a preset with one of these fields is tried. See :mod:`.xml_body` for the
parser's safety settings.
"""

from __future__ import annotations

import re
from typing import Any

from lxml import etree

from pretenders.server.core.errors import InvalidInput
from pretenders.server.core.matching import Matcher, MatchSubject
from pretenders.server.core.records import Difference, RequestRecord
from pretenders.server.core.rule_spec import RuleSpec, Value
from pretenders.server.core.values import MISSING, ValueCondition, shown
from pretenders.server.core.xml_body import NotXml, read_xml

_PREVIEW = 200


def compile_fields(spec: RuleSpec, timeout: float) -> list[Matcher]:
    """The matchers of ``xml`` and ``xpath`` in ``spec``."""
    matchers: list[Matcher] = []
    if spec.namespaces and spec.xpath is None and spec.xml is None:
        raise InvalidInput(
            "namespaces gives prefixes for xpath expressions: add xpath, or drop namespaces",
            field="namespaces",
        )
    if spec.namespaces:
        check_namespaces(spec.namespaces)
    if spec.xml is not None:
        matchers.append(XmlMatcher(spec.xml))
    for expression, value in (spec.xpath or {}).items():
        matchers.append(XPathMatcher(expression, value, spec.namespaces, timeout))
    return matchers


_PREFIX = re.compile(r"[^\W\d][\w.-]*\Z")


def check_namespaces(namespaces: dict[str, str]) -> None:
    """Refuse a prefix XPath cannot use, or a URI that is empty or not text."""
    for prefix, uri in namespaces.items():
        if not _PREFIX.match(prefix):
            raise InvalidInput(
                f"namespaces: {_cut(prefix)} is not a prefix (a name such as m or soap)",
                field="namespaces",
            )
        if not uri or not uri.isprintable():
            raise InvalidInput(
                f"namespaces: the URI of {prefix} must be printable text, not {_cut(uri)}",
                field="namespaces",
            )


def _cut(text: str, limit: int = 100) -> str:
    shown = repr(text)
    return shown if len(shown) <= limit else shown[:limit] + "..."


def xml_of(record: RequestRecord) -> etree._Element | NotXml:
    """The request body as an XML tree (the ``xml`` view), or why it is not one."""
    return read_xml(record.body)


def _body_xml(subject: MatchSubject) -> etree._Element | NotXml:
    return subject.view("xml", xml_of)  # type: ignore[return-value]


class XmlMatcher:
    """The body is the same XML document as the preset's, whatever the formatting:
    whitespace-only text, attribute order, namespace prefixes and ``<a/>`` against
    ``<a></a>`` do not matter; names (by namespace URI), text and element order do."""

    __slots__ = ("expected", "source")

    def __init__(self, document: str) -> None:
        expected = read_xml(document)
        if isinstance(expected, NotXml):
            raise InvalidInput(f"xml: not well-formed XML: {expected.reason}", field="xml")
        self.expected = expected
        self.source = document

    def difference(self, subject: MatchSubject) -> Difference | None:
        actual = _body_xml(subject)
        if isinstance(actual, NotXml):
            return Difference("xml", _preview(self.source), actual.description)
        found = first_difference(self.expected, actual)
        if found is None:
            return None
        path, expected, got = found
        return Difference(f"xml {path}", _preview(expected), _preview(got))


def first_difference(
    expected: etree._Element, actual: etree._Element
) -> tuple[str, str, str] | None:
    """The path of the first node where two documents differ (local names, ``[n]`` among
    siblings of the same name), and what each document has there."""
    path = "/" + _name_of(expected.tag)
    if expected.tag != actual.tag:
        return path, f"<{_name(expected)}>", f"<{_name(actual)}>"
    return _compare(expected, actual, path)


def _compare(
    expected: etree._Element, actual: etree._Element, path: str
) -> tuple[str, str, str] | None:
    if dict(expected.attrib) != dict(actual.attrib):
        for name in sorted({*expected.attrib, *actual.attrib}):
            wanted = expected.attrib.get(name)
            sent = actual.attrib.get(name)
            if wanted != sent:
                return f"{path}/@{_name_of(name)}", _or_absent(wanted), _or_absent(sent)
    if _text(expected.text) != _text(actual.text):
        return path, _text(expected.text), _text(actual.text)
    expected_children = list(expected)
    actual_children = list(actual)
    for number, (want, got) in enumerate(zip(expected_children, actual_children, strict=False)):
        child_path = f"{path}/{_step(want, expected_children, number)}"
        if want.tag != got.tag:
            return child_path, f"<{_name(want)}>", f"<{_name(got)}>"
        found = _compare(want, got, child_path)
        if found is not None:
            return found
        if _text(want.tail) != _text(got.tail):
            return f"{child_path} (text after it)", _text(want.tail), _text(got.tail)
    if len(expected_children) > len(actual_children):
        number = len(actual_children)
        missing = expected_children[number]
        return (
            f"{path}/{_step(missing, expected_children, number)}",
            f"<{_name(missing)}>",
            "(absent)",
        )
    if len(actual_children) > len(expected_children):
        number = len(expected_children)
        extra = actual_children[number]
        return (
            f"{path}/{_step(extra, actual_children, number)}",
            "(no element)",
            f"<{_name(extra)}>",
        )
    return None


def _text(text: str | None) -> str:
    # Whitespace-only text is formatting (indentation between elements), never content.
    return "" if text is None or not text.strip() else text


def _or_absent(value: str | None) -> str:
    return "(absent)" if value is None else value


def _name(element: etree._Element) -> str:
    """The element's name with its namespace URI, ``{urn:x}item`` (no prefix: they may differ)."""
    return str(element.tag)


def _name_of(tag: Any) -> str:
    """The local name alone, for paths: ``item`` for ``{urn:x}item``."""
    return str(etree.QName(tag).localname)


def _step(element: etree._Element, siblings: list[etree._Element], number: int) -> str:
    name = _name_of(element.tag)
    if sum(1 for sibling in siblings if sibling.tag == element.tag) == 1:
        return name
    position = sum(1 for sibling in siblings[:number] if sibling.tag == element.tag) + 1
    return f"{name}[{position}]"


def _preview(text: str) -> str:
    """Text cut for a near miss, which history keeps (a whole body would stay there)."""
    return text if len(text) <= _PREVIEW else text[:_PREVIEW] + "..."


class XPathMatcher:
    """An XPath 1.0 expression on the XML body, with a condition on its first result."""

    __slots__ = ("condition", "expression", "field", "xpath")

    def __init__(
        self,
        expression: str,
        value: Value,
        namespaces: dict[str, str] | None,
        timeout: float,
    ) -> None:
        self.expression = expression
        self.field = f"xpath {expression}"
        self.xpath = compile_xpath(expression, namespaces)
        self.condition = ValueCondition(value, f"xpath.{expression}", timeout)

    def difference(self, subject: MatchSubject) -> Difference | None:
        document = _body_xml(subject)
        if isinstance(document, NotXml):  # a miss even for {"absent": true}
            return Difference(self.field, self.condition.description, document.description)
        try:
            actual = first_result(self.xpath(document))
        except etree.XPathError as error:  # refused on this document, not on the probe
            return Difference(self.field, self.condition.description, f"(XPath failed: {error})")
        problem = self.condition.problem(actual)
        if problem is None:
            return None
        return Difference(self.field, problem, _preview(shown(actual)))


def compile_xpath(expression: str, namespaces: dict[str, str] | None) -> etree.XPath:
    """``expression`` compiled, and tried once on a small document so that an unknown
    prefix, function or variable is refused now rather than at every request."""
    try:
        # regexp=False: no EXSLT regular expressions, whose regexes would run unbounded.
        xpath = etree.XPath(
            expression, namespaces=namespaces or None, regexp=False, smart_strings=False
        )
        xpath(_PROBE)
    except (etree.XPathError, TypeError, ValueError) as error:
        raise InvalidInput(
            f"xpath: invalid XPath expression {_cut(expression)}: {error}", field="xpath"
        ) from None
    return xpath


_PROBE = etree.fromstring(b"<probe/>")


def first_result(result: object) -> object:
    """What a condition sees of an XPath result: the first node's text (an element's
    whole text content, an attribute's or text node's value), a string, number or
    boolean as it is; :data:`MISSING` when nothing is selected."""
    if isinstance(result, list):
        if not result:
            return MISSING
        first = result[0]
        if isinstance(first, etree._Element):
            return "".join(first.itertext())
        if isinstance(first, tuple):  # a namespace node: (prefix, URI)
            return str(first[1])
        return str(first)
    if isinstance(result, float) and result.is_integer():
        return int(result)  # count() and sums: 2, not 2.0
    if isinstance(result, (bool, float, str)):
        return result
    return str(result)
