"""Fixtures of the fault, pacing and delay tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pretenders.server.embedded import EmbeddedServer


@pytest.fixture
def own_server() -> Iterator[EmbeddedServer]:
    """A server of the test's own: the test counts every task on its loop."""
    with EmbeddedServer() as running:
        yield running
