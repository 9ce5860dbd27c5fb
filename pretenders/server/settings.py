"""Server settings, as given on the command line or to the embedded server."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
DEFAULT_MOCK_TIMEOUT = 120.0


@dataclass(frozen=True)
class Settings:
    """How the server runs. ``port=0`` lets the operating system pick a free port."""

    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    mock_timeout: float | None = DEFAULT_MOCK_TIMEOUT
    """Seconds a mock may stay idle before it is removed (None: never)."""
    prune_interval: float = 0.5
    """How often idle mocks are looked for, in seconds."""
    access_log: bool = False
    """Log every request (costly under load; on with ``--log-level debug``)."""
