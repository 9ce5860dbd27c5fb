"""The pieces under the sequences and state machines, without a server."""

from __future__ import annotations

from collections import Counter

import msgspec
import pytest

from pretenders.server.core.errors import InvalidInput
from pretenders.server.core.presets import Reply
from pretenders.server.core.records import RequestRecord
from pretenders.server.core.reply_choice import Choice
from pretenders.server.core.state_machines import (
    MAX_STATE_KEYS,
    StateRule,
    StateSpec,
    TooManyStates,
    reset_scope,
    split_field,
    state_entries,
    state_field,
    too_many_states,
)
from pretenders.server.store.redis import split_record


def test_sequence_and_cycle_indexes() -> None:
    replies = (Reply(200), Reply(201), Reply(202))
    sequence, cycle = Choice(replies), Choice(replies, "cycle")
    assert [sequence.index(n) for n in range(1, 6)] == [0, 1, 2, 2, 2]
    assert [cycle.index(n) for n in range(1, 6)] == [0, 1, 2, 0, 1]


def test_seeded_draws_repeat_and_follow_the_weights() -> None:
    replies = (Reply(200), Reply(500))
    one, other = (Choice(replies, "random", (9.0, 1.0), seed=3) for _ in range(2))
    draws = [one.draw() for _ in range(2000)]
    assert draws == [other.draw() for _ in range(2000)]
    assert 150 <= Counter(draws)[1] <= 250


def test_a_record_split_for_the_serve_script_decodes_with_any_status() -> None:
    """The script puts msgpack integers between the parts; the body may hold the marker."""
    marker = b"\xa6status\xc0\xa9preset_id\xc0"
    record = RequestRecord("GET", "/x", (("A", "b"),), marker * 2, 1.5)
    head, middle, rest = split_record(record)
    for status, preset in [(200, 0), (503, 70000)]:
        blob = head + msgspec.msgpack.encode(status) + middle + msgspec.msgpack.encode(preset)
        decoded = msgspec.msgpack.decode(blob + rest, type=RequestRecord)
        assert (decoded.status, decoded.preset_id, decoded.body) == (status, preset, marker * 2)


def test_fields_round_trip() -> None:
    assert split_field(state_field("order", "a b")) == ("order", "a b")
    assert split_field(state_field("order", None)) == ("order", None)
    assert split_field(state_field("order", "")) == ("order", "")
    entries = state_entries({"b": "x", "a 2": "y", "a": "z", "a 1": "w"})
    assert entries == [("a", None, "z"), ("a", "1", "w"), ("a", "2", "y"), ("b", None, "x")]


def test_a_reset_names_all_one_machine_or_one_instance_as_both_stores_read_it() -> None:
    assert reset_scope(None, None) == ("all", "")
    assert reset_scope(None, "k") == ("all", ""), "a key without a machine resets all"
    assert reset_scope("order", None) == ("machine", "order")
    assert reset_scope("order", "a b") == ("one", "order a b")


def test_the_refusal_of_one_more_instance_names_the_field_and_the_way_out() -> None:
    error = too_many_states(7)
    assert isinstance(error, TooManyStates)
    assert (error.status, error.field) == (409, "state")
    assert "holds 7 state instances" in error.message
    assert "DELETE /state/<id>?machine=" in error.message


def test_a_full_mock_admits_no_new_instance() -> None:
    rule = StateRule(StateSpec("m", to="on"), None, 0.1)
    full = {f"other {n}": "s" for n in range(MAX_STATE_KEYS)}
    assert not rule.admits("m", full)
    assert rule.admits("m", {"m": "off"})
    assert StateRule(StateSpec("m", to="start"), None, 0.1).admits("m", full)


def test_a_template_key_is_refused_with_the_sources_named() -> None:
    with pytest.raises(InvalidInput, match="header:<Name>") as raised:
        StateRule(StateSpec("m", key="{{ request.path_params.id }}"), None, 0.1)
    assert raised.value.field == "state.key"
