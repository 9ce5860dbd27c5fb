"""Unit tests of the registry, with a clock the test moves by hand."""

from __future__ import annotations

import pytest

from pretenders.server.core.errors import InvalidInput, NameConflict, TooManyMocks, UnknownMock
from pretenders.server.core.registry import Mock, Registry


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def registry(clock: Clock) -> Registry:
    return Registry(default_timeout=10, clock=clock)


def test_create_with_generated_id_then_join_by_name(registry: Registry) -> None:
    anonymous, created = registry.create_or_join("http", None, "default")
    assert created and len(anonymous.id) == 36
    named, created = registry.create_or_join("http", "svc", 5)
    joined, created_again = registry.create_or_join("http", "svc", 99)
    assert created and not created_again
    assert joined is named and joined.timeout == 5


def test_expired_mock_is_gone_at_once_even_before_a_prune(registry: Registry, clock: Clock) -> None:
    registry.create_or_join("http", "m", 1)
    clock.now += 1.01
    assert registry.find("m") is None
    with pytest.raises(UnknownMock):
        registry.get("http", "m")


def test_touch_keeps_alive(registry: Registry, clock: Clock) -> None:
    mock, _ = registry.create_or_join("http", "m", 1)
    for _ in range(5):
        clock.now += 0.9
        mock.touch(clock.now)
    assert registry.find("m") is mock


def test_prune_removes_expired_and_tells_listeners(registry: Registry, clock: Clock) -> None:
    removed: list[Mock] = []
    registry.on_removed(removed.append)
    registry.create_or_join("http", "old", 1)
    registry.create_or_join("smtp", "forever", None)
    clock.now += 5
    assert [m.id for m in registry.prune()] == ["old"]
    assert [m.id for m in removed] == ["old"]
    assert registry.find("forever") is not None


def test_same_name_other_protocol_conflicts(registry: Registry) -> None:
    registry.create_or_join("http", "shared", "default")
    with pytest.raises(NameConflict):
        registry.create_or_join("smtp", "shared", "default")


def test_recreated_mock_starts_empty(registry: Registry) -> None:
    mock, _ = registry.create_or_join("http", "again", "default")
    mock.history.append("something")  # type: ignore[arg-type]
    registry.delete("http", "again")
    fresh, created = registry.create_or_join("http", "again", "default")
    assert created and len(fresh.history) == 0


@pytest.mark.parametrize("timeout", [0, -1, float("nan"), float("inf"), 1e13])
def test_timeout_must_be_positive_and_finite(registry: Registry, timeout: float) -> None:
    with pytest.raises(InvalidInput, match="pretender_timeout"):
        registry.create_or_join("http", None, timeout)


def test_observers_see_every_record_until_they_unsubscribe(registry: Registry) -> None:
    seen: list[tuple[str, int, object]] = []
    stop = registry.observe(lambda mock, seq, record: seen.append((mock.id, seq, record)))
    mock, _ = registry.create_or_join("http", "watched", "default")
    mock.record("first")  # type: ignore[arg-type]
    mock.record("second")  # type: ignore[arg-type]
    stop()
    mock.record("third")  # type: ignore[arg-type]
    assert seen == [("watched", 0, "first"), ("watched", 1, "second")]
    assert list(mock.history) == ["first", "second", "third"]  # type: ignore[comparison-overlap]


def test_max_mocks_refuses_new_mocks_but_lets_callers_join(clock: Clock) -> None:
    registry = Registry(default_timeout=10, clock=clock, max_mocks=2)
    registry.create_or_join("http", "a", "default")
    registry.create_or_join("smtp", "b", "default")
    with pytest.raises(TooManyMocks) as refused:
        registry.create_or_join("http", None, "default")
    assert refused.value.status == 409
    assert "higher --max-mocks" in refused.value.message
    joined, created = registry.create_or_join("http", "a", "default")
    assert not created and joined.id == "a"


def test_mocks_that_timed_out_leave_room(clock: Clock) -> None:
    registry = Registry(default_timeout=10, clock=clock, max_mocks=1)
    registry.create_or_join("http", "old", 1)
    clock.now += 2
    _, created = registry.create_or_join("http", "new", "default")
    assert created and [m.id for m in registry.all("http")] == ["new"]
