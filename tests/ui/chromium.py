"""The one browser set-up shared by the UI tests and the screenshot command.

Debian's ``chromium`` (``apt-get install chromium``), driven by Playwright for Python
through ``executable_path``: no browser download (``playwright install``) is needed.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Browser

EXECUTABLE = (
    os.environ.get("PRETENDERS_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
)
ARGS = [
    "--no-sandbox",  # CI runs as root, where Chromium's own sandbox cannot start
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def missing() -> str | None:
    """Why the browser cannot be started here, or None when it can."""
    if not os.path.exists(EXECUTABLE):
        return f"no Chromium at {EXECUTABLE} (apt-get install chromium, or set PRETENDERS_CHROMIUM)"
    if importlib.util.find_spec("playwright") is None:
        return "Playwright for Python is not installed (pip install '.[dev]')"
    return None


@contextmanager
def chromium(extra_args: Sequence[str] = ()) -> Iterator[Browser]:
    """A headless Chromium for the duration of the block, with ``extra_args`` added to ARGS."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=EXECUTABLE, headless=True, args=[*ARGS, *extra_args]
        )
        try:
            yield browser
        finally:
            browser.close()
