"""The web UI's fixtures (one Chromium per session, a fresh page per test), for the live page."""

from tests.ui.conftest import browser, dialogs, page

__all__ = ["browser", "dialogs", "page"]
