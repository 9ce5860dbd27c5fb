"""The query view: its fast split agrees with ``parse_qsl`` on every query string."""

from __future__ import annotations

from urllib.parse import parse_qsl

from hypothesis import given
from hypothesis import strategies as st

from pretenders.server.core.records import RequestRecord
from pretenders.server.core.rule_fields import query_of

QUERY_TEXT = st.text(alphabet="ab=&;+%2F x\u00e9", max_size=30)


def by_parse_qsl(query: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for name, value in parse_qsl(query, keep_blank_values=True):
        found.setdefault(name, []).append(value)
    return found


@given(QUERY_TEXT)
def test_query_view_equals_parse_qsl(query: str) -> None:
    record = RequestRecord(method="GET", url=f"/p?{query}", headers=(), body=b"", time=0.0)
    assert query_of(record) == by_parse_qsl(query)
