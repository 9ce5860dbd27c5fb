"""Errors raised by the core. The admin API turns each into a 4xx with its message."""

from __future__ import annotations


class CoreError(Exception):
    """Base of the core's errors: ``code`` is machine-readable, ``field`` names the culprit."""

    status = 400
    code = "invalid"

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidInput(CoreError):
    """A value that is well-typed but not acceptable (bad regex, times <= 0, ...)."""


class UnknownMock(CoreError):
    """No mock with that id (never created, deleted, or timed out)."""

    status = 404
    code = "unknown_mock"

    def __init__(self, protocol: str, mock_id: str) -> None:
        super().__init__(f"No matching {protocol} mock: {mock_id}")
        self.mock_id = mock_id


class NameConflict(CoreError):
    """A mock of another protocol already uses that name."""

    status = 409
    code = "name_conflict"


class TooLarge(CoreError):
    """A body over the server's --max-body-size."""

    status = 413
    code = "too_large"


class TooManyMocks(CoreError):
    """Creating one more mock would pass the server's --max-mocks.

    409 Conflict: the state of the server (its live mocks) refuses the request, and the
    caller can resolve it by deleting mocks; 429 would invite clients to retry later, and
    waiting alone rarely helps.
    """

    status = 409
    code = "too_many_mocks"


class Unavailable(CoreError):
    """The server cannot do it now for want of a resource (sockets, descriptors): 503."""

    status = 503
    code = "unavailable"


class StoreUnavailable(Unavailable):
    """The shared store (Redis) does not answer: 503, naming it; nothing was changed."""

    code = "store_unavailable"

    def __init__(self, store: str, problem: object) -> None:
        super().__init__(
            f"the store {store} is unavailable ({problem or type(problem).__name__}): "
            "nothing was recorded or changed; retry once it is back"
        )
        self.store = store


class TooManyPresets(CoreError):
    """One more preset would pass the server's --max-presets for this mock.

    409, as for too many mocks: the mock's state refuses it, and removing presets (or
    raising the option) resolves it.
    """

    status = 409
    code = "too_many_presets"


class PresetBytesSpent(CoreError):
    """One more preset would pass the server-wide --preset-bytes budget.

    409 rather than 413: the preset may be small, the budget is what is spent; removing
    presets (from any mock) or raising the option resolves it.
    """

    status = 409
    code = "preset_bytes_spent"
