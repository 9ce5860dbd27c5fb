"""The state an application holds, reached through a typed key instead of globals."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import msgspec
from aiohttp import web

from pretenders.server.connections import ConnectionBudget, default_max_connections
from pretenders.server.core.registry import Mock, Registry
from pretenders.server.core.waiting import Waiters
from pretenders.server.settings import Settings
from pretenders.server.wire import CreateMock


class MockAdapter(Protocol):
    """What a protocol does when one of its mocks is created and how it describes it."""

    async def open(self, mock: Mock, options: CreateMock) -> None:
        """Make a newly created mock reachable (an SMTP mock opens its port here)."""

    def describe(self, mock: Mock) -> msgspec.Struct:
        """The body of the create call's answer."""


@dataclass
class ServerState:
    settings: Settings
    registry: Registry
    adapters: dict[str, MockAdapter] = field(default_factory=dict)
    connections: ConnectionBudget = field(
        default_factory=lambda: ConnectionBudget(default_max_connections(None))
    )
    """The open sockets of HTTP and SMTP, against --max-connections."""
    waiters: Waiters = field(init=False)
    """The pending long-poll waits, fed by the registry."""

    def __post_init__(self) -> None:
        self.waiters = Waiters(self.registry)


STATE = web.AppKey("pretenders_state", ServerState)
