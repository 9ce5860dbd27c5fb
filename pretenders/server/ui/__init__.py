"""The web UI: watch mocks serve requests, read captured mail, set up replies by hand.

It needs the ``ui`` extra (jinja2). Without it the server still runs, and ``/``
says how to get the UI.
"""

from __future__ import annotations

from aiohttp import web

__all__ = ["setup_ui"]


def setup_ui(app: web.Application) -> bool:
    """Add the UI's routes to ``app``; returns False when only the install hint could be added."""
    try:
        import jinja2  # noqa: F401  (only asking whether the extra is installed)
    except ImportError:
        from pretenders.server.ui.fallback import add_install_hint

        add_install_hint(app)
        return False
    from pretenders.server.ui.routes import add_ui

    add_ui(app)
    return True
