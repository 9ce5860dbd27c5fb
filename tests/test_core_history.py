"""Unit tests of the history: bounded, oldest dropped first, and counted."""

from __future__ import annotations

from pretenders.server.core.history import History


def test_unbounded_history_keeps_everything() -> None:
    history: History[int] = History()
    for n in range(5):
        history.append(n)
    assert list(history) == [0, 1, 2, 3, 4]
    assert (history.total, len(history), history.dropped) == (5, 5, 0)


def test_past_the_limit_the_oldest_go_and_are_counted() -> None:
    history: History[int] = History(limit=3)
    for n in range(7):
        history.append(n)
    assert list(history) == [4, 5, 6]
    assert (history.total, len(history), history.dropped) == (7, 3, 4)


def test_positions_index_the_kept_records() -> None:
    history: History[str] = History(limit=2)
    for letter in "abc":
        history.append(letter)
    assert [history.get(0), history.get(1), history.get(2), history.get(-1)] == [
        "b",
        "c",
        None,
        None,
    ]


def test_clear_forgets_the_records_and_the_dropped_count() -> None:
    history: History[int] = History(limit=1)
    history.append(1)
    history.append(2)
    history.clear()
    assert (history.total, len(history), history.dropped) == (0, 0, 0)
    history.append(3)
    assert list(history) == [3] and history.total == 1


def test_a_limit_of_zero_keeps_nothing_but_still_counts() -> None:
    history: History[int] = History(limit=0)
    history.append(1)
    history.append(2)
    assert list(history) == []
    assert (history.total, history.dropped) == (2, 2)
