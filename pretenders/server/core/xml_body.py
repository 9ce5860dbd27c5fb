"""Reading XML safely: request bodies are untrusted, so no entity, DTD or network is read.

One parser setting for every document, the request's and the preset's: entities are never
expanded (no XXE, no "billion laughs"), no DTD is loaded, nothing is fetched or opened,
libxml2's default limits on depth and text size stay on (``huge_tree=False``). A document
that declares entities or names an external DTD is refused outright rather than read with
references left unexpanded.
Comments and processing instructions are dropped: they are not content.
"""

from __future__ import annotations

import re
import threading
from typing import Any, Final

from lxml import etree

from pretenders.server.core.matching import NOT_XML as NOT_XML_TEXT

_local = threading.local()
_WHERE = re.compile(r" \(<string>, line \d+\)\Z")
_DECLARATION = re.compile(r"\A\s*<\?xml\s[^>]*\?>")


def _parser() -> etree.XMLParser:
    # An lxml parser must not be used by two threads at once: one per thread.
    parser: etree.XMLParser | None = getattr(_local, "parser", None)
    if parser is None:
        parser = _local.parser = etree.XMLParser(
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            dtd_validation=False,
            attribute_defaults=False,
            huge_tree=False,
            remove_blank_text=True,
            remove_comments=True,
            remove_pis=True,
            strip_cdata=True,
            collect_ids=False,
        )
        # load_dtd=False alone still lets libxml2 read an external DTD subset or parameter
        # entity (a local file, or a FIFO that never ends): every such load gets nothing.
        parser.resolvers.add(_Refuse())
    return parser


class _Refuse(etree.Resolver):
    """Answers every external DTD or entity libxml2 would load with nothing."""

    def resolve(self, system_url: str | None, public_id: str | None, context: object) -> Any:
        return self.resolve_string("", context)


class NotXml:
    """Why a body could not be read as XML (the sentinel of a request's XML view)."""

    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason

    @property
    def description(self) -> str:
        """What a near miss shows instead of the body."""
        return f"{NOT_XML_TEXT}: {self.reason})"


NOT_XML: Final = NotXml("empty")


def read_xml(data: bytes | str) -> etree._Element | NotXml:
    """The root element of ``data``, or :class:`NotXml` saying why it is not one."""
    if not data:
        return NOT_XML
    if isinstance(data, str):
        # Text is already decoded: the encoding its declaration names no longer applies.
        try:
            data = _DECLARATION.sub("", data, count=1).encode("utf-8")
        except UnicodeEncodeError:
            return NotXml("it is not valid Unicode text (a lone surrogate)")
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as error:
        return NotXml(_first_line(str(error)) or "it could not be parsed")
    docinfo = root.getroottree().docinfo
    if docinfo.system_url is not None or docinfo.public_id is not None:
        return NotXml("it names an external DTD, which is never read")
    dtd = docinfo.internalDTD
    if dtd is not None and any(True for _ in dtd.iterentities()):
        return NotXml("it declares entities, which are never read")
    return root


def _first_line(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return _WHERE.sub("", line)
