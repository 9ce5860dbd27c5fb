"""Several replies on one preset: in sequence, in a cycle, or picked at random by weight,
on every deployment (memory, Redis, two servers on one Redis)."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from tests.replies_state.helpers import add, bodies, counted, refused, reply

pytestmark = pytest.mark.deployments


@pytest.fixture
def mock_id(new_mock: Callable[..., str]) -> str:
    return new_mock()


def get(
    admin: httpx.Client, mock_id: str, path: str = "/items", count: int = 1
) -> list[httpx.Response]:
    return [admin.get(f"/mockhttp/{mock_id}{path}") for _ in range(count)]


def test_a_sequence_serves_in_order_then_repeats_the_last(
    admin: httpx.Client, mock_id: str
) -> None:
    add(
        admin,
        mock_id,
        rule="GET /items",
        replies=[reply("busy", 503), reply("page 1"), reply("page 2")],
        times="FOREVER",
    )
    answers = get(admin, mock_id, count=5)
    assert [a.status_code for a in answers] == [503, 200, 200, 200, 200]
    assert bodies(answers) == ["busy", "page 1", "page 2", "page 2", "page 2"]
    history = admin.get(f"/history/{mock_id}").json()
    assert [record["status"] for record in history] == [503, 200, 200, 200, 200]


def test_a_cycle_starts_over_and_times_counts_the_preset(admin: httpx.Client, mock_id: str) -> None:
    add(
        admin,
        mock_id,
        rule="GET /items",
        replies=[reply("a"), reply("b"), reply("c")],
        pick="cycle",
        times=7,
    )
    answers = get(admin, mock_id, count=8)
    assert bodies(answers) == ["a", "b", "c", "a", "b", "c", "a", answers[-1].text]
    assert answers[-1].status_code == 404  # times 7: the preset is used up


def test_each_reply_keeps_its_own_status_headers_and_delay(
    admin: httpx.Client, mock_id: str
) -> None:
    add(
        admin,
        mock_id,
        rule="GET /items",
        replies=[
            reply("{}", 201, headers={"Location": "/items/1"}),
            reply("late", 202, after=0.01),
        ],
        times=2,
    )
    first, second = get(admin, mock_id, count=2)
    assert (first.status_code, first.headers["Location"]) == (201, "/items/1")
    assert (second.status_code, second.text) == (202, "late")
    assert "Location" not in second.headers


def test_random_picks_follow_the_weights(admin: httpx.Client, mock_id: str) -> None:
    """Seeded, so the draws repeat; 400 draws of weights 1:3 give about 100 and 300."""
    add(
        admin,
        mock_id,
        rule="GET /items",
        replies=[reply("rare", 500, weight=1), reply("common", weight=3)],
        pick="random",
        seed=7,
        times="FOREVER",
    )
    seen = counted(get(admin, mock_id, count=400))
    assert set(seen) == {"rare", "common"}
    assert 60 <= seen["rare"] <= 140, seen
    assert seen["rare"] + seen["common"] == 400


def test_the_listing_shows_the_replies_and_how_they_are_picked(
    admin: httpx.Client, mock_id: str
) -> None:
    add(
        admin,
        mock_id,
        rule="GET /items",
        replies=[reply("x", weight=2), reply("y")],
        pick="random",
        seed=1,
    )
    add(admin, mock_id, rule="GET /plain", body=reply("plain")["body"])
    listed = admin.get(f"/preset/{mock_id}").json()
    assert listed[0]["pick"] == "random"
    assert listed[0]["seed"] == 1
    assert [r["weight"] for r in listed[0]["replies"]] == [2.0, 1.0]
    assert listed[0]["body"] == reply("x")["body"]  # the first reply, as the preset's own
    assert not {"replies", "pick", "seed", "state"} & set(listed[1])


@pytest.mark.parametrize(
    ("payload", "field", "words"),
    [
        ({"replies": [reply("a")], "status": 500}, "status", "replies replaces"),
        ({"replies": [reply("a")], "body": "eA=="}, "body", "in each reply"),
        ({"replies": []}, "replies", "at least one"),
        ({"replies": [reply("a", weight=0)], "pick": "random"}, "replies[0].weight", "positive"),
        ({"replies": [reply("a", weight=2)]}, "replies[0].weight", "random"),
        ({"replies": [reply("a")], "pick": "shuffle"}, "pick", "sequence"),
        ({"pick": "cycle"}, "pick", "needs a list of replies"),
        ({"replies": [reply("a")], "seed": 3}, "seed", "random"),
        ({"weight": 2}, "weight", "belongs to a reply"),
        ({"replies": [reply("a", 42)]}, "replies[0].status", "between 100 and 999"),
        ({"replies": [{"body": "not base64!"}]}, "replies[0].body", "base64"),
    ],
)
def test_bad_sequences_are_refused_naming_the_field(
    admin: httpx.Client, mock_id: str, payload: dict[str, object], field: str, words: str
) -> None:
    error = refused(admin, mock_id, rule="GET /items", **payload)
    assert error["field"] == field, error
    assert words in error["message"], error
    assert admin.get(f"/preset/{mock_id}").json() == []
