"""Unit tests of the byte budget of histories and the caps on presets."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pretenders.server.core.errors import PresetBytesSpent, TooManyPresets
from pretenders.server.core.history import COMPACT_AFTER, ByteBudget, History
from pretenders.server.core.matching import MatchRule, MatchSubject
from pretenders.server.core.presets import PRESET_OVERHEAD, PresetLimits, PresetQueue, Reply
from pretenders.server.core.records import RECORD_OVERHEAD, RequestRecord, recorded_bytes
from pretenders.server.core.registry import Registry
from pretenders.server.core.smtp_script import SmtpReply, SmtpScript


def sized(text: str) -> int:
    """Records in these tests are strings that count for their length."""
    return len(text)


def test_past_the_budget_the_oldest_records_of_the_whole_server_go() -> None:
    budget: ByteBudget[str] = ByteBudget(10, sized)
    first: History[str] = History(budget=budget)
    second: History[str] = History(budget=budget)
    first.append("aaaa")
    second.append("bbbb")
    first.append("cc")
    assert budget.used == 10
    second.append("ddd")  # 13 bytes: the server's oldest ("aaaa", in the first) goes

    assert list(first) == ["cc"] and list(second) == ["bbbb", "ddd"]
    assert (first.total, first.dropped) == (2, 1)
    assert (second.total, second.dropped) == (2, 0)
    assert budget.used == 9 == first.bytes + second.bytes


def test_records_gone_by_the_count_limit_or_a_reset_give_their_bytes_back() -> None:
    budget: ByteBudget[str] = ByteBudget(100, sized)
    capped: History[str] = History(limit=2, budget=budget)
    for text in ("aaaa", "bb", "c"):
        capped.append(text)
    assert list(capped) == ["bb", "c"] and budget.used == 3

    other: History[str] = History(budget=budget)
    other.append("x" * 50)
    capped.clear()
    assert budget.used == 50
    # The stale entries of the cleared records are skipped: the budget drops "x" * 50
    # (the oldest kept) and nothing that is no longer there.
    other.append("y" * 60)
    assert list(other) == ["y" * 60] and other.dropped == 1 and budget.used == 60


def test_a_record_larger_than_the_whole_budget_is_kept_alone() -> None:
    budget: ByteBudget[str] = ByteBudget(10, sized)
    history: History[str] = History(budget=budget)
    history.append("small")
    history.append("x" * 50)
    assert list(history) == ["x" * 50]
    assert (history.total, history.dropped, budget.used) == (2, 1, 50)
    history.append("z")  # the next one pushes it out
    assert list(history) == ["z"] and budget.used == 1


def test_a_history_limit_of_zero_keeps_and_charges_nothing() -> None:
    budget: ByteBudget[str] = ByteBudget(10, sized)
    history: History[str] = History(limit=0, budget=budget)
    history.append("abc")
    assert (len(history), history.total, budget.used, len(budget)) == (0, 1, 0, 0)


def test_the_queue_of_stale_entries_stays_bounded() -> None:
    budget: ByteBudget[str] = ByteBudget(1_000_000, sized)
    quiet: History[str] = History(budget=budget)
    quiet.append("kept")  # the oldest entry stays live: nothing pops the queue's head
    busy: History[str] = History(limit=3, budget=budget)
    for n in range(COMPACT_AFTER * 10):
        busy.append(str(n))
    assert len(budget) <= 2 * COMPACT_AFTER + 4
    assert budget.used == len("kept") + sum(len(r) for r in busy)
    assert list(quiet) == ["kept"]


def test_a_request_record_counts_its_body_headers_and_url() -> None:
    record = RequestRecord("POST", "/pay?x=1", (("Host", "h"),), b"12345", 0.0)
    assert recorded_bytes(record) == RECORD_OVERHEAD + 5 + len("/pay?x=1") + 4 + 5


def test_deleting_a_mock_gives_its_bytes_back() -> None:
    registry = Registry(history_bytes=10_000, preset_limits=PresetLimits(max_bytes=10_000))
    mock, _ = registry.create_or_join("http", "gone", "default")
    mock.record(RequestRecord("GET", "/", (), b"x" * 100, 0.0))
    mock.presets.add(MatchRule(""), Reply(body=b"y" * 100), 1)
    assert registry.budget is not None and registry.budget.used > 100
    assert registry.preset_limits.used > 100
    registry.delete("http", "gone")
    assert registry.budget.used == 0 and registry.preset_limits.used == 0


def test_presets_per_mock_are_capped() -> None:
    limits = PresetLimits(max_presets=2)
    queue = PresetQueue(limits)
    for _ in range(2):
        queue.add(MatchRule(""), Reply(), 1)
    with pytest.raises(TooManyPresets, match="--max-presets"):
        queue.add(MatchRule(""), Reply(), 1)
    assert len(queue) == 2
    # Another mock has its own count.
    PresetQueue(limits).add(MatchRule(""), Reply(), 1)


def test_preset_bytes_are_budgeted_and_given_back_when_used_up_removed_or_cleared() -> None:
    limits = PresetLimits(max_bytes=PRESET_OVERHEAD * 2 + 200)
    queue = PresetQueue(limits)
    used_once = queue.add(MatchRule("GET /a"), Reply(body=b"x" * 100), 1)
    queue.add(MatchRule(""), Reply(body=b"x" * 90), 1)
    with pytest.raises(PresetBytesSpent, match="--preset-bytes"):
        queue.add(MatchRule(""), Reply(body=b"x" * 10), 1)

    record = RequestRecord("GET", "/a", (), b"", 0.0)
    assert queue.take(MatchSubject(record)) is used_once  # used up: its bytes come back
    assert limits.used == PRESET_OVERHEAD + 90
    removable = queue.add(MatchRule(""), Reply(body=b"x" * 10), 1)
    queue.remove(removable.id)
    queue.clear()
    assert limits.used == 0


def test_scripted_smtp_replies_count_against_the_same_caps() -> None:
    limits = PresetLimits(max_presets=1, max_bytes=10_000)
    script = SmtpScript(limits)
    script.add("rcpt", "nobody@", SmtpReply(status=550, message="No such user"), 1)
    assert limits.used == PRESET_OVERHEAD + len("nobody@") + len("No such user")
    with pytest.raises(TooManyPresets):
        script.add("rcpt", None, SmtpReply(status=550), 1)
    assert script.take("rcpt", "nobody@x") is not None  # used up
    assert limits.used == 0


@settings(max_examples=200, deadline=None)
@given(
    limits=st.lists(st.one_of(st.none(), st.integers(0, 4)), min_size=1, max_size=3),
    budget_limit=st.integers(1, 40),
    steps=st.lists(st.tuples(st.integers(0, 2), st.integers(0, 15), st.booleans()), max_size=120),
)
def test_the_budget_keeps_the_newest_records_of_the_server_that_fit(
    limits: list[int | None], budget_limit: int, steps: list[tuple[int, int, bool]]
) -> None:
    """Against a plain model: a list of the live records of every history, oldest first."""
    budget: ByteBudget[str] = ByteBudget(budget_limit, sized)
    histories: list[History[str]] = [History(limit, budget) for limit in limits]
    live: list[tuple[int, str]] = []  # (history, record), the server's order
    counter = 0
    for which, size, clear in steps:
        which %= len(histories)
        if clear:
            histories[which].clear()
            live = [(h, r) for h, r in live if h != which]
            continue
        counter += 1
        record = f"{counter:03d}".ljust(max(size, 3), ".")
        histories[which].append(record)
        limit = limits[which]
        if limit != 0:
            live.append((which, record))
        mine = [r for h, r in live if h == which]
        if limit is not None and len(mine) > limit:
            live.remove((which, mine[0]))
        while sum(len(r) for _, r in live) > budget_limit and len(live) > 1:
            live.pop(0)
        for index, history in enumerate(histories):
            assert list(history) == [r for h, r in live if h == index]
        assert budget.used == sum(len(r) for _, r in live) == sum(h.bytes for h in histories)
