"""The web UI's page fixture, over a Chromium that lives only as long as one module.

The UI tests' Chromium is session-scoped: Playwright keeps an event loop running in the
main thread while it lives, which would break every later test that calls
``asyncio.run``. These tests run before the others, so their browser is closed after them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from tests.ui.chromium import chromium, missing
from tests.ui.conftest import dialogs, page

if TYPE_CHECKING:
    from playwright.sync_api import Browser

__all__ = ["browser", "dialogs", "page"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    reason = missing()
    if reason:
        pytest.skip(reason)
    with chromium() as running:
        yield running
