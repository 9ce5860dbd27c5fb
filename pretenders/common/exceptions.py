"""Exceptions raised by the clients. ``PretendersError`` is the root of them all."""


class PretendersError(Exception):
    """Base class of every error raised by pretenders."""


class ServerUnreachable(PretendersError):
    """The pretenders server could not be reached: is it running on that host and port?"""


class ConfigurationError(PretendersError):
    """The server refused what the client asked it to set up (a bad preset, a bad name...)."""


class ResourceNotFound(PretendersError):
    """The mock this client points to no longer exists on the server (deleted or timed out)."""


class UnexpectedResponseStatus(PretendersError):
    """The server answered with a status the client did not expect."""


class NoRequestFound(PretendersError):
    """No recorded request at that position."""


class NoPortAvailableException(PretendersError):
    """Kept for 1.4 compatibility: SMTP mocks now take any free port."""


__all__ = [
    "ConfigurationError",
    "NoPortAvailableException",
    "NoRequestFound",
    "PretendersError",
    "ResourceNotFound",
    "ServerUnreachable",
    "UnexpectedResponseStatus",
]
