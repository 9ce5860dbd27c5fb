"""The HTTP mock page lists a preset's several replies and its state requirement."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from tests.deployments.matrix import Deployed
from tests.replies_state.helpers import add, reply


@pytest.fixture
def ui(server: Deployed) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=10, headers={"Origin": server.url}) as client:
        yield client


def test_the_preset_list_shows_replies_and_state(
    ui: httpx.Client, admin: httpx.Client, new_mock: Callable[..., str]
) -> None:
    mock_id = new_mock()
    add(
        admin,
        mock_id,
        rule={"method": "POST", "path": "/orders/{id}/pay"},
        state={"machine": "order", "key": "path:id", "requires": "created", "to": "paid"},
        replies=[reply("declined <b>", 402, weight=1), reply("paid", weight=3)],
        pick="random",
    )
    text = ui.get(f"/ui/http/{mock_id}").text
    preset = text.split('data-preset="0"', 1)[1].split("</tr>", 1)[0]
    assert "order[path:id] created → paid" in preset
    assert "random of 2" in preset
    assert "1. 402 weight 1 declined &lt;b&gt;" in preset
    assert "2. 200 weight 3 paid" in preset
