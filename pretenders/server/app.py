"""Wires the admin API and the protocol adapters into one aiohttp application."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from aiohttp import web

from pretenders.server import http_mock, smtp_mock
from pretenders.server.access import exposure_warning, is_loopback, require_token
from pretenders.server.admin import admin_routes, json_response
from pretenders.server.browser_guard import (
    GUARD_HOSTS,
    AllowedHosts,
    answered_names,
    browser_guard,
)
from pretenders.server.connections import (
    ConnectionBudget,
    default_max_connections,
    open_file_limit,
)
from pretenders.server.core.errors import CoreError
from pretenders.server.http_protocol import AnyMethodAppRunner
from pretenders.server.loader import load_mock_files
from pretenders.server.mocks import MockService
from pretenders.server.openapi import build_openapi
from pretenders.server.own_ports import OWN_PORTS, OwnPorts
from pretenders.server.settings import Settings
from pretenders.server.state import STATE, ServerState
from pretenders.server.ui import setup_ui
from pretenders.server.webhooks import WEBHOOKS, WebhookSender, webhook_sender

logger = logging.getLogger("pretenders.server")

TLS_CERTIFICATE_PATH = "/tls/certificate"
TLS_CA_PATH = "/tls/ca.pem"

EXTRA_PATHS_DOC: dict[str, Any] = {
    TLS_CERTIFICATE_PATH: {
        "get": {
            "summary": "The certificate SMTP mocks present on STARTTLS (PEM), for clients "
            "that verify it: point SSL_CERT_FILE at it",
            "operationId": "get_tls_certificate",
            "responses": {
                "200": {
                    "description": "OK",
                    "content": {"application/x-pem-file": {"schema": {"type": "string"}}},
                }
            },
        }
    },
    TLS_CA_PATH: {
        "get": {
            "summary": "The certificate authority (PEM) that signs the certificates of HTTPS "
            "mocks (created with port and tls) and client certificates: trust it with "
            "ssl_context, REQUESTS_CA_BUNDLE or SSL_CERT_FILE",
            "operationId": "get_tls_ca",
            "responses": {
                "200": {
                    "description": "OK",
                    "content": {"application/x-pem-file": {"schema": {"type": "string"}}},
                }
            },
        }
    },
    "/mockhttp/{id}/{path}": {
        "summary": "The fake service: any method, any path; answered by the first matching "
        "preset, or 404. Every request is recorded in the mock's history. It never asks "
        "for the admin token; a body over --max-body-size gets 413.",
        "parameters": [
            {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            for name in ("id", "path")
        ],
    },
}


def create_app(settings: Settings | None = None) -> web.Application:
    """A new, empty server application: all its state hangs off this object."""
    settings = settings or Settings()
    # Admin calls carry preset bodies base64-encoded: the mocks' own limit is checked apart.
    app = web.Application(client_max_size=settings.admin_payload_limit)
    mocks = MockService.from_settings(settings)
    limit = settings.max_connections or default_max_connections(open_file_limit())
    connections = ConnectionBudget(limit)
    app[STATE] = ServerState(settings=settings, mocks=mocks, connections=connections)
    smtp = smtp_mock.SmtpMockAdapter(settings, mocks, connections)
    sender = app[WEBHOOKS] = WebhookSender(mocks, settings.webhook_max)
    endpoint = http_mock.MockEndpoint(mocks, settings.max_body_size, sender)
    ports = app[OWN_PORTS] = OwnPorts(settings, endpoint, connections)
    http = http_mock.HttpMockAdapter(ports)
    mocks.adapters.update(http=http, smtp=smtp)
    mocks.on_removed(smtp.close)
    mocks.on_removed(http.close)
    app.on_startup.append(lambda _: mocks.start())
    app.on_startup.append(lambda _: _prepare_tls(smtp, ports, mocks))
    app.on_shutdown.append(lambda _: ports.close_all(settings.shutdown_timeout))
    app.on_startup.append(_load_mock_files)
    app.on_cleanup.append(_remove_all_mocks)

    routes = admin_routes()
    open_resources: set[web.AbstractResource] = set()
    for route in routes:
        added = app.router.add_route(route.method, route.path, route.handler)
        if route.public and added.resource is not None:
            open_resources.add(added.resource)
    openapi = build_openapi(routes, EXTRA_PATHS_DOC)

    async def serve_openapi(request: web.Request) -> web.StreamResponse:
        return json_response(openapi)

    async def serve_certificate(request: web.Request) -> web.StreamResponse:
        return web.Response(body=smtp.tls().certificate_pem, content_type="application/x-pem-file")

    async def serve_authority(request: web.Request) -> web.StreamResponse:
        return web.Response(
            body=ports.authority.certificate_pem, content_type="application/x-pem-file"
        )

    app.router.add_get("/openapi.json", serve_openapi)
    app.router.add_get(TLS_CERTIFICATE_PATH, serve_certificate)
    app.cleanup_ctx.append(webhook_sender)
    app.router.add_get(TLS_CA_PATH, serve_authority)
    app[http_mock.ENDPOINT] = endpoint
    app.on_startup.append(lambda _: endpoint.forward.start())
    app.on_cleanup.append(lambda _: endpoint.forward.close())
    mock_route = app.router.add_route("*", http_mock.ROUTE, endpoint.routed)
    if mock_route.resource is not None:
        open_resources.add(mock_route.resource)
    setup_ui(app)

    def is_open(request: web.Request) -> bool:
        return request.match_info.route.resource in open_resources

    # First the browser guard: a browser's cached credentials must not carry a
    # cross-site request past the token check.
    hosts = app[GUARD_HOSTS] = AllowedHosts(settings.allowed_hosts, settings.host)
    app.middlewares.append(browser_guard(hosts, is_open))
    if settings.admin_token:
        app.middlewares.append(require_token(settings.admin_token, is_open))
    app.cleanup_ctx.append(_prune_idle_mocks)
    return app


async def _prepare_tls(
    smtp: smtp_mock.SmtpMockAdapter, ports: OwnPorts, mocks: MockService
) -> None:
    """Make the STARTTLS certificate and the certificate authority before serving, so
    that creating a mock stays instant (and a bad --tls-ca-cert stops the start)."""
    smtp.tls()
    await ports.prepare(mocks.store)


async def _load_mock_files(app: web.Application) -> None:
    state = app[STATE]
    paths = [Path(path) for path in state.settings.load]
    for path, names in await load_mock_files(state, paths):
        logger.info("loaded %d mocks from %s: %s", len(names), path, ", ".join(names))


async def _remove_all_mocks(app: web.Application) -> None:
    """Close every mock's listeners when the server stops."""
    mocks = app[STATE].mocks
    with contextlib.suppress(CoreError):  # a shared store away: its mocks expire there
        await mocks.delete_all()
    await mocks.close()


async def _prune_idle_mocks(app: web.Application) -> AsyncIterator[None]:
    """Remove mocks idle past their timeout, within ``prune_interval`` of it happening."""
    state = app[STATE]

    async def loop() -> None:
        while True:
            await asyncio.sleep(state.settings.prune_interval)
            try:
                pruned = await state.mocks.prune()
            except CoreError as error:  # the store is away: try again at the next interval
                logger.debug("pruning idle mocks: %s", error)
                continue
            for mock in pruned:
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
        shortcuts={http_mock.PREFIX: app[http_mock.ENDPOINT]},
        budget=app[STATE].connections,
        header_timeout=settings.header_timeout,
        # Each request an access log line: aiohttp writes those, so it serves every request.
        mocks=None if settings.access_log else app[http_mock.ENDPOINT],
        access_log=logging.getLogger("pretenders.access") if settings.access_log else None,
        handle_signals=False,
        shutdown_timeout=settings.shutdown_timeout,
        keepalive_timeout=settings.keepalive_timeout,
    )
    try:
        await runner.setup()
        site = web.TCPSite(runner, settings.host, settings.port, reuse_port=settings.reuse_port)
        await site.start()
    except BaseException:
        with contextlib.suppress(CoreError):
            await app[STATE].mocks.delete_all()  # mocks a --load file opened before failing
        await runner.cleanup()
        raise
    port = runner.addresses[0][1]
    warning = exposure_warning(settings.host, port, settings.admin_token)
    if warning:
        logger.warning("%s", warning)
    if not is_loopback(settings.host):
        logger.info("%s", answered_names(app[GUARD_HOSTS]))
    return RunningServer(app, runner, settings.host, port)
