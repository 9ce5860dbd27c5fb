"""Exceptions raised by the clients. ``PretendersError`` is the root of them all."""


class PretendersError(Exception):
    """Base class of every error raised by pretenders."""


class ServerUnreachable(PretendersError):
    """The pretenders server could not be reached: is it running on that host and port?"""


class AuthenticationRequired(PretendersError):
    """The server has an admin token, and the client sent none or another one: pass
    ``token=`` to the client, or set ``PRETENDERS_ADMIN_TOKEN``."""


class ConfigurationError(PretendersError):
    """The server refused what the client asked it to set up (a bad preset, a bad name...)."""


class ResourceNotFound(PretendersError):
    """The mock this client points to no longer exists on the server (deleted or timed out)."""


class MockGone(ConfigurationError, ResourceNotFound):
    """A preset was refused because its mock no longer exists (deleted, or timed out).

    Both a ``ConfigurationError``, which 1.4 raised for any refused preset, and a
    ``ResourceNotFound``, which says what happened: code catching either keeps working.
    """


class UnexpectedResponseStatus(PretendersError):
    """The server answered with a status the client did not expect."""


class NoRequestFound(PretendersError):
    """No recorded request at that position."""


class VerificationError(PretendersError, AssertionError):
    """A mock did not receive what the test expected; the message shows what it did receive.

    An ``AssertionError``, so test runners report it as a failed assertion.
    """


class WaitTimeout(VerificationError):
    """A wait ended before enough matching requests or mails arrived.

    ``seen`` holds the matching ones that did arrive.
    """

    def __init__(self, message: str, seen: list[object] | None = None) -> None:
        super().__init__(message)
        self.seen = seen or []


class HistoryLimitWarning(UserWarning):
    """The server dropped the oldest records of a mock (its ``--history-limit``), so an
    answer computed from the kept ones may fall short of what the mock received."""


class NoPortAvailableException(PretendersError):
    """Kept for 1.4 compatibility: SMTP mocks now take any free port."""


__all__ = [
    "AuthenticationRequired",
    "ConfigurationError",
    "HistoryLimitWarning",
    "MockGone",
    "NoPortAvailableException",
    "NoRequestFound",
    "PretendersError",
    "ResourceNotFound",
    "ServerUnreachable",
    "UnexpectedResponseStatus",
    "VerificationError",
    "WaitTimeout",
]
