"""Fixtures of the state seam's tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def anyio_backend() -> str:
    """The server runs on asyncio: its async tests run there only (not on trio too, where
    trio is installed)."""
    return "asyncio"
