"""What ``/`` answers when the ``ui`` extra is not installed."""

from __future__ import annotations

from aiohttp import web

from pretenders.server.ui.security import secure

INSTALL_HINT = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Pretenders</title></head>
<body>
<h1>Pretenders is running</h1>
<p>The web UI is not installed. To watch mocks and read captured mail in a browser, install it
and restart the server:</p>
<pre>pip install 'pretenders[ui]'</pre>
<p>The admin API works without it: see <a href="/openapi.json">/openapi.json</a>.</p>
</body>
</html>
"""


async def install_hint(request: web.Request) -> web.StreamResponse:
    status = 200 if request.path == "/" else 404
    return secure(web.Response(text=INSTALL_HINT, status=status, content_type="text/html"))


def add_install_hint(app: web.Application) -> None:
    app.router.add_get("/", install_hint)
    app.router.add_get("/ui/{tail:.*}", install_hint)
