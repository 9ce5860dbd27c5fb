from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.network_proxy.upstream import Upstream


@pytest.fixture
def upstream() -> Iterator[Upstream]:
    """A real upstream on a free port of 127.0.0.1, stopped after the test."""
    running = Upstream().start()
    yield running
    running.stop()
