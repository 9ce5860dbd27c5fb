"""The UI's route table, and how it joins the application."""

from __future__ import annotations

import logging
import secrets

from aiohttp import web

from pretenders.server.core.errors import CoreError
from pretenders.server.state import STATE
from pretenders.server.ui import actions, views
from pretenders.server.ui.live import LiveFeed
from pretenders.server.ui.rendering import (
    UI,
    Handler,
    UiState,
    load_static,
    template_environment,
    ui_handler,
)
from pretenders.server.ui.security import Csrf

HTTP = "/ui/http/{id}"
SMTP = "/ui/smtp/{id}"
MAIL = SMTP + "/mails/{n}"

ROUTES: list[tuple[str, str, Handler]] = [
    ("GET", "/", views.index),
    ("POST", "/ui/mocks", actions.create_mock),
    ("GET", HTTP, views.http_mock),
    ("GET", HTTP + "/requests/{n}", views.http_request),
    ("GET", HTTP + "/requests/{n}/body", views.http_request_body),
    ("POST", HTTP + "/presets", actions.add_preset),
    ("POST", HTTP + "/presets/{preset}/delete", actions.delete_preset),
    ("GET", SMTP, views.smtp_mock),
    ("GET", MAIL, views.smtp_mail),
    ("GET", MAIL + "/html", views.mail_html),
    ("GET", MAIL + "/source", views.mail_source),
    ("GET", MAIL + "/attachments/{k}", views.mail_attachment),
    ("POST", "/ui/{protocol:http|smtp}/{id}/reset", actions.reset_mock),
    ("POST", "/ui/{protocol:http|smtp}/{id}/delete", actions.delete_mock),
]


async def static_file(request: web.Request) -> web.StreamResponse:
    found = request.app[UI].static.get(request.match_info["name"])
    if found is None:
        raise web.HTTPNotFound(text="No such file.")
    response = web.Response(body=found.body, content_type=found.content_type.split(";")[0])
    if "charset" in found.content_type:
        response.charset = "utf-8"
    # Pages link each file with its digest, so a cached copy is never stale.
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    return response


async def _start_live(app: web.Application) -> None:
    app[UI].live.start()
    store = app[STATE].mocks.store
    if store.shared:
        try:
            app[UI].csrf.use_secret(await store.shared_secret("ui-csrf", _new_secret))
        except CoreError as error:  # the store is away: forms work on this process alone
            logger.warning("the UI's forms are signed per process: %s", error)


logger = logging.getLogger("pretenders.server")


def _new_secret() -> bytes:
    return secrets.token_bytes(32)


async def _stop_live(app: web.Application) -> None:
    app[UI].live.close()


def add_ui(app: web.Application) -> None:
    """Serve the UI from ``app``: pages at ``/`` and ``/ui/...``, live events, static files."""
    csrf = Csrf()
    static = load_static()
    live = LiveFeed(app[STATE].mocks)
    app[UI] = UiState(template_environment(csrf, static), csrf, live, static)
    for method, path, handler in ROUTES:
        app.router.add_route(method, path, ui_handler(handler))
    app.router.add_get("/ui/static/{name}", ui_handler(static_file))
    app.router.add_get("/ui/events", live.stream)
    app.on_startup.append(_start_live)
    # on_shutdown runs before the server waits for open requests: end the streams first.
    app.on_shutdown.append(_stop_live)
