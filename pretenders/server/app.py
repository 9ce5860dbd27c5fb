"""Wires the admin API and the protocol adapters into one aiohttp application."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web

from pretenders.server import http_mock
from pretenders.server.admin import admin_routes, json_response
from pretenders.server.core.registry import Registry
from pretenders.server.http_protocol import AnyMethodAppRunner
from pretenders.server.openapi import build_openapi
from pretenders.server.settings import Settings
from pretenders.server.state import STATE, ServerState
from pretenders.server.ui import setup_ui

logger = logging.getLogger("pretenders.server")

MOCK_PATH_DOC: dict[str, Any] = {
    "/mockhttp/{id}/{path}": {
        "summary": "The fake service: any method, any path; answered by the first matching "
        "preset, or 404. Every request is recorded in the mock's history.",
        "parameters": [
            {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            for name in ("id", "path")
        ],
    }
}


def create_app(settings: Settings | None = None) -> web.Application:
    """A new, empty server application: all its state hangs off this object."""
    settings = settings or Settings()
    app = web.Application(client_max_size=64 * 1024 * 1024)
    registry = Registry(default_timeout=settings.mock_timeout)
    app[STATE] = ServerState(settings=settings, registry=registry)
    app[STATE].adapters["http"] = http_mock.HttpMockAdapter()

    routes = admin_routes()
    for route in routes:
        app.router.add_route(route.method, route.path, route.handler)
    openapi = build_openapi(routes, MOCK_PATH_DOC)

    async def serve_openapi(request: web.Request) -> web.StreamResponse:
        return json_response(openapi)

    app.router.add_get("/openapi.json", serve_openapi)
    app.router.add_route("*", http_mock.ROUTE, http_mock.serve)
    setup_ui(app)
    app.cleanup_ctx.append(_prune_idle_mocks)
    return app


async def _prune_idle_mocks(app: web.Application) -> AsyncIterator[None]:
    """Remove mocks idle past their timeout, within ``prune_interval`` of it happening."""
    state = app[STATE]

    async def loop() -> None:
        while True:
            await asyncio.sleep(state.settings.prune_interval)
            for mock in state.registry.prune():
                logger.info("%s mock %s timed out", mock.protocol.upper(), mock.id)

    task = asyncio.create_task(loop())
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


class RunningServer:
    """A started server: its application, the address it listens on, and how to stop it."""

    def __init__(self, app: web.Application, runner: web.AppRunner, host: str, port: int) -> None:
        self.app = app
        self.runner = runner
        self.host = host
        self.port = port

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    async def stop(self) -> None:
        await self.runner.cleanup()


async def start_server(settings: Settings) -> RunningServer:
    """Start listening; with ``port=0`` the operating system picks a free port."""
    app = create_app(settings)
    runner = AnyMethodAppRunner(
        app,
        access_log=logging.getLogger("pretenders.access") if settings.access_log else None,
        handle_signals=False,
    )
    await runner.setup()
    site = web.TCPSite(runner, settings.host, settings.port)
    try:
        await site.start()
    except OSError:
        await runner.cleanup()
        raise
    port = runner.addresses[0][1]
    return RunningServer(app, runner, settings.host, port)
