"""The state an application holds, reached through a typed key instead of globals."""

from __future__ import annotations

from dataclasses import dataclass, field

from aiohttp import web

from pretenders.server.connections import ConnectionBudget, default_max_connections
from pretenders.server.mocks import MockService
from pretenders.server.settings import Settings


@dataclass
class ServerState:
    settings: Settings
    mocks: MockService
    """Every mock, preset and record: the one way to them."""
    connections: ConnectionBudget = field(
        default_factory=lambda: ConnectionBudget(default_max_connections(None))
    )
    """The open sockets of HTTP and SMTP, against --max-connections."""


STATE = web.AppKey("pretenders_state", ServerState)
