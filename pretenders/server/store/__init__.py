"""The stores: where the server's state lives, behind :class:`~pretenders.server.core.store.Store`.

``memory`` (the default) keeps it in this process; a ``redis://`` URL keeps it in Redis,
shared by every process and host given the same URL.
"""

from __future__ import annotations

from pretenders.server.core.presets import PresetLimits
from pretenders.server.core.registry import Registry
from pretenders.server.core.store import Store
from pretenders.server.settings import Settings, check_store_url
from pretenders.server.store.memory import MemoryStore

__all__ = ["MemoryStore", "open_store"]


def open_store(settings: Settings) -> Store:
    """The store ``settings.store`` names, with the server's limits (not connected yet)."""
    url = check_store_url(settings.store)
    if url == "memory":
        registry = Registry(
            default_timeout=settings.mock_timeout,
            history_limit=settings.history_limit,
            max_mocks=settings.max_mocks,
            history_bytes=settings.history_bytes,
            preset_limits=PresetLimits(settings.max_presets, settings.preset_bytes),
        )
        return MemoryStore(registry, settings.regex_timeout)
    from pretenders.server.store.redis import RedisStore  # only its users import redis

    return RedisStore(url, settings)
