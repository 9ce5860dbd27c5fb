"""The deployments a test marked ``deployments`` runs against, started on demand.

- ``memory``: one server, state in memory (the default store);
- ``redis``: one server on the session's Redis (``store=redis://...``);
- ``redis-pair``: two servers on one Redis database, as two hosts would be, behind an
  :class:`~tests.deployments.front.AlternatingFront` that sends each request to the next one;
- ``memory-front`` (on request only): one memory server behind the front, alone, to tell a
  fault of the front from a fault of the shared store.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, Protocol

from pretenders.server.embedded import EmbeddedServer
from pretenders.server.settings import Settings
from tests.deployments.front import AlternatingFront
from tests.deployments.redis_server import RedisServer

MEMORY, REDIS, REDIS_PAIR, MEMORY_FRONT = "memory", "redis", "redis-pair", "memory-front"
DEFAULT = (MEMORY, REDIS, REDIS_PAIR)
KNOWN = (*DEFAULT, MEMORY_FRONT)
ON_REDIS = frozenset({REDIS, REDIS_PAIR})
FRONTED = frozenset({REDIS_PAIR, MEMORY_FRONT})

VARIABLE = "PRETENDERS_DEPLOYMENTS"
OPTION = "--deployments"


class Deployed(Protocol):
    """What the tests use of a deployment: where to send requests, and its settings."""

    @property
    def host(self) -> str: ...

    @property
    def port(self) -> int: ...

    @property
    def url(self) -> str: ...

    @property
    def settings(self) -> Settings: ...


def chosen(option: str | None, environment: Mapping[str, str] = os.environ) -> list[str]:
    """The deployments to run: ``--deployments``, else ``$PRETENDERS_DEPLOYMENTS``, else
    memory, redis and redis-pair; an unknown name is an error that lists the known ones."""
    text = option or environment.get(VARIABLE, "") or ",".join(DEFAULT)
    names = list(dict.fromkeys(name.strip() for name in text.split(",") if name.strip()))
    unknown = [name for name in names if name not in KNOWN]
    if unknown or not names:
        raise ValueError(
            f"unknown deployment {', '.join(unknown) or '(none)'} in {OPTION} or ${VARIABLE}: "
            f"choose among {', '.join(KNOWN)}, comma-separated"
        )
    return names


def embedded(store: str | None, **options: Any) -> EmbeddedServer:
    """An embedded server on ``store``; the memory store when it is ``None``."""
    if store is not None:
        options["store"] = store
    return EmbeddedServer(**options)


class ServerPair:
    """Two servers on one store behind an alternating front; the address is the front's."""

    def __init__(self, servers: list[EmbeddedServer], front: AlternatingFront) -> None:
        self.servers = servers
        self.front = front

    @property
    def host(self) -> str:
        return self.front.host

    @property
    def port(self) -> int:
        return self.front.port

    @property
    def url(self) -> str:
        return self.front.url

    @property
    def settings(self) -> Settings:
        return self.servers[0].settings

    @property
    def app(self) -> Any:
        raise AttributeError(
            "two servers have two apps: a test that reads one server's state must be marked "
            "@pytest.mark.memory_only"
        )

    def call_in_loop(self, *args: Any, **kwargs: Any) -> Any:
        raise AttributeError(
            "two servers have two loops: a test that changes one server's state must be "
            "marked @pytest.mark.memory_only"
        )


@contextlib.contextmanager
def deployed(
    kind: str, redis: Callable[[], RedisServer] | None = None, **options: Any
) -> Iterator[Deployed]:
    """Start deployment ``kind`` with the servers' ``options``; stop it on exit.

    ``redis`` gives the Redis server the ``redis`` kinds use (each start takes a database
    of its own).
    """
    with contextlib.ExitStack() as stack:
        if kind in ON_REDIS:
            if redis is None:
                raise ValueError(f"the {kind} deployment needs a Redis server")
            server = redis()
            store: str | None = server.url(server.new_db())
        else:
            store = None
        if kind in (MEMORY, REDIS):
            yield stack.enter_context(embedded(store, **options))
        elif kind == REDIS_PAIR:
            pair = [stack.enter_context(embedded(store, **options)) for _ in range(2)]
            front = stack.enter_context(AlternatingFront([(s.host, s.port) for s in pair]))
            yield ServerPair(pair, front)
        elif kind == MEMORY_FRONT:
            alone = stack.enter_context(embedded(None, **options))
            front = stack.enter_context(AlternatingFront([(alone.host, alone.port)] * 2))
            yield ServerPair([alone], front)
        else:
            raise ValueError(f"unknown deployment {kind!r}: choose among {', '.join(KNOWN)}")


class Deployments:
    """The session's deployments, each started the first time a test asks for it and
    stopped at the end (servers first, then the Redis they use)."""

    def __init__(self, redis_directory: Path) -> None:
        self._redis_directory = redis_directory
        self._redis: RedisServer | None = None
        self._running: dict[str, Deployed] = {}
        self._stack = contextlib.ExitStack()

    def redis(self) -> RedisServer:
        """The session's Redis server, started on first use."""
        if self._redis is None:
            server = RedisServer(self._redis_directory)
            self._redis = server
            self._stack.callback(server.stop)  # before start: a failed start is stopped too
            server.start()
        return self._redis

    def get(self, kind: str) -> Deployed:
        """The running deployment ``kind``, started now if it is not yet."""
        if kind not in self._running:
            self._running[kind] = self._stack.enter_context(deployed(kind, self.redis))
        return self._running[kind]

    def start(self, kind: str, **options: Any) -> contextlib.AbstractContextManager[Deployed]:
        """Another deployment ``kind`` with these server options, on the session's Redis."""
        return deployed(kind, self.redis, **options)

    def close(self) -> None:
        self._stack.close()
