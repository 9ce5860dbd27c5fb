"""The UI's state on the application, and how its handlers turn into safe responses."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from importlib import resources
from typing import Any

import jinja2
from aiohttp import web

from pretenders import __version__
from pretenders.server.core.errors import CoreError
from pretenders.server.ui.live import LiveFeed
from pretenders.server.ui.security import CSRF_FIELD, Csrf, secure

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_STATIC_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}


@dataclass(frozen=True)
class StaticFile:
    body: bytes
    content_type: str
    version: str
    """A digest of the content: pages link ``?v=<version>`` so browsers may cache forever."""


@dataclass
class UiState:
    templates: jinja2.Environment
    csrf: Csrf
    live: LiveFeed
    static: dict[str, StaticFile]


UI = web.AppKey("pretenders_ui", UiState)


def load_static() -> dict[str, StaticFile]:
    """The files under ``ui/static``, read once (they are small and never change at run time)."""
    files = {}
    for entry in resources.files("pretenders.server.ui").joinpath("static").iterdir():
        suffix = "." + entry.name.rsplit(".", 1)[-1]
        if entry.is_file() and suffix in _STATIC_TYPES:
            body = entry.read_bytes()
            version = hashlib.sha256(body).hexdigest()[:12]
            files[entry.name] = StaticFile(body, _STATIC_TYPES[suffix], version)
    return files


def template_environment(csrf: Csrf, static: dict[str, StaticFile]) -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("pretenders.server.ui", "templates"),
        autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.globals.update(
        csrf_field=CSRF_FIELD,
        csrf_token=csrf.token,
        static=lambda name: f"/ui/static/{name}?v={static[name].version}",
        version=__version__,
    )
    return environment


def render(request: web.Request, template: str, status: int = 200, **context: Any) -> web.Response:
    """A page from a template, with the UI's security headers."""
    html = request.app[UI].templates.get_template(template).render(**context)
    return web.Response(text=html, status=status, content_type="text/html", charset="utf-8")


def ui_handler(handler: Handler) -> Handler:
    """Every UI response gets the security headers; errors become a readable page."""

    @functools.wraps(handler)
    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            response = await handler(request)
        except web.HTTPRedirection as redirect:
            secure(redirect)
            raise
        except web.HTTPException as error:
            response = render(
                request, "error.html", status=error.status, title=error.reason, message=error.text
            )
        except CoreError as error:
            title = "Not found" if error.status == 404 else "Refused"
            response = render(
                request, "error.html", status=error.status, title=title, message=error.message
            )
        if response.headers.get("Content-Security-Policy") is None:
            secure(response)
        return response

    return wrapped
