"""``render_text``, the engine's public entry point (webhooks render with it too)."""

from __future__ import annotations

import pytest

from pretenders.server.core.errors import InvalidInput
from pretenders.server.core.matching import MatchSubject
from pretenders.server.core.records import RequestRecord
from pretenders.server.core.templating import RenderError, TemplateContext, render_text


def context(**options: object) -> TemplateContext:
    record = RequestRecord(
        method="POST",
        url="/pay?order=7",
        headers=(("Content-Type", "application/json"),),
        body=b'{"amount": 12}',
        time=0.0,
    )
    return TemplateContext(MatchSubject(record), **options)  # type: ignore[arg-type]


def test_it_renders_from_the_request_and_extra_names() -> None:
    made = render_text(
        "{{ request.query.order }}:{{ request.json.amount }}:{{ reply_status }}",
        context(extra={"reply_status": 202}),
    )

    assert made == "7:12:202"


def test_it_refuses_a_template_that_does_not_compile() -> None:
    with pytest.raises(InvalidInput, match="not a valid template"):
        render_text("{{ (", context())


def test_it_stops_at_the_size_limit_given() -> None:
    with pytest.raises(RenderError, match="over 10 characters"):
        render_text("{{ 'x' * 11 }}", context(limit=10))


def test_it_stops_at_the_time_given() -> None:
    with pytest.raises(RenderError, match=r"longer than 0\.05 s"):
        render_text("{% for i in range(10**6) %}{{ i }}{% endfor %}", context(timeout=0.05))


def test_a_counter_given_is_the_one_called() -> None:
    calls = iter(range(5, 10))

    assert render_text("{{ counter() }} {{ counter() }}", context(counter=calls.__next__)) == (
        "5 6"
    )
