"""HTTP mocks on a port of their own: served at ``/``, over HTTP or HTTPS, by this process.

Creating such a mock opens a listening socket on the server's ``--host`` before the create
call answers; its requests go to the same :class:`MockEndpoint` as ``/mockhttp/<id>``
(presets, history, near misses, waits: all the same), through connections that keep the
server's limits (``--max-connections``, ``--header-timeout``, ``--keepalive-timeout``,
any method token). The port closes when the mock is deleted or expires, and when the
server stops. With a shared store the port belongs to the process that opened it.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from pretenders.server import wire
from pretenders.server.certificates import CertificateAuthority
from pretenders.server.connections import ConnectionBudget
from pretenders.server.core.errors import CoreError, InvalidInput, Unavailable
from pretenders.server.core.registry import Mock
from pretenders.server.core.store import Store
from pretenders.server.http_mock import MockEndpoint
from pretenders.server.http_protocol import AnyMethodServer
from pretenders.server.https import ClientCertMode, HttpsContexts, tls_facts
from pretenders.server.settings import Settings

logger = logging.getLogger("pretenders.server")

WILDCARD_HOSTS = {"", "0.0.0.0", "::"}


class PortUnavailable(CoreError):
    """The port asked for is taken (by another program, mock or this server)."""

    status = 409
    code = "port_in_use"


class TooManyOwnPorts(CoreError):
    """One more own-port mock would pass ``--max-own-ports``."""

    status = 409
    code = "too_many_own_ports"


@dataclass
class _Listener:
    listener: asyncio.AbstractServer
    server: AnyMethodServer


def shown_host(host: str) -> str:
    """The host a URL names for a listener on ``host`` (``localhost`` for all interfaces)."""
    if host in WILDCARD_HOSTS:
        return "localhost"
    return f"[{host}]" if ":" in host else host


class OwnPorts:
    """The listening sockets of this process's own-port HTTP mocks, by mock id."""

    def __init__(
        self, settings: Settings, endpoint: MockEndpoint, budget: ConnectionBudget
    ) -> None:
        self.settings = settings
        self.endpoint = endpoint
        self.budget = budget
        self._authority: CertificateAuthority | None = None
        self._contexts: HttpsContexts | None = None
        self._listeners: dict[str, _Listener] = {}
        self._closing: set[asyncio.Task[None]] = set()

    def __len__(self) -> int:
        return len(self._listeners)

    async def prepare(self, store: Store) -> None:
        """Load ``--tls-ca-cert``, or agree on one authority with every process sharing
        ``store`` (the first one to start makes it; in memory: this process's own)."""
        settings = self.settings
        if settings.tls_ca_cert and settings.tls_ca_key:
            self._authority = CertificateAuthority.load(settings.tls_ca_cert, settings.tls_ca_key)
            return
        try:
            pem = await store.shared_secret(_AUTHORITY, _new_authority)
        except CoreError as error:  # the store is away: certificates from this process alone
            logger.warning("HTTPS mocks' certificate authority is this process's own: %s", error)
            self._authority = CertificateAuthority.generate()
            return
        self._authority = CertificateAuthority.from_pem(pem)

    @property
    def authority(self) -> CertificateAuthority:
        """The certificate authority of this server (see :meth:`prepare`)."""
        if self._authority is None:
            self._authority = CertificateAuthority.generate()
        return self._authority

    @property
    def contexts(self) -> HttpsContexts:
        if self._contexts is None:
            self._contexts = HttpsContexts(self.authority)
        return self._contexts

    async def open(
        self, mock: Mock, options: wire.CreateHttpMock, hosts: list[str]
    ) -> dict[str, Any]:
        """Listen for ``mock`` on the port ``options`` asks for; the facts to keep with it."""
        assert options.port is not None
        if len(self._listeners) >= self.settings.max_own_ports:
            raise TooManyOwnPorts(
                f"this server already serves {len(self._listeners)} mocks on ports of "
                "their own, its limit: delete some, or start it with a higher "
                "--max-own-ports",
                field="port",
            )
        if self.budget.full:
            raise Unavailable(f"cannot open a port for the HTTP mock: {self.budget.message()}")
        mode = options.client_cert
        client_cert: ClientCertMode | None = (
            "required" if mode == "required" else "optional" if mode == "optional" else None
        )
        ssl_context = self.contexts.for_mock(hosts, client_cert) if options.tls else None
        server = self._server(mock.id, tls=options.tls)
        host = self.settings.host
        try:
            listener = await asyncio.get_running_loop().create_server(
                server,
                host,
                options.port,
                ssl=ssl_context,
                ssl_handshake_timeout=self.settings.header_timeout if ssl_context else None,
            )
        except OSError as error:
            raise _refusal(error, host, options.port) from None
        if not listener.sockets:
            listener.close()
            raise Unavailable(f"cannot open port {options.port} on {host}: no socket could be made")
        port = int(listener.sockets[0].getsockname()[1])
        self.budget.open += 1  # its listening socket holds a descriptor too
        self._listeners[mock.id] = _Listener(listener, server)
        scheme = "https" if options.tls else "http"
        url = f"{scheme}://{shown_host(host)}:{port}"
        logger.info("HTTP mock %s listening at %s", mock.id, url)
        details: dict[str, Any] = {"port": port, "url": url, "tls": options.tls}
        if options.tls:
            details["ca"] = self.authority.certificate_pem.decode("ascii")
        return details

    def _server(self, mock_id: str, *, tls: bool) -> AnyMethodServer:
        endpoint = self.endpoint
        settings = self.settings
        limit = settings.admin_payload_limit

        if tls:

            async def serve(request: web.BaseRequest) -> web.StreamResponse:
                transport = request.transport
                ssl_object = transport.get_extra_info("ssl_object") if transport else None
                return await endpoint.handle(
                    request, mock_id, request.raw_path, tls_facts(ssl_object)
                )

        else:

            async def serve(request: web.BaseRequest) -> web.StreamResponse:
                return await endpoint.handle(request, mock_id, request.raw_path)

        loop = asyncio.get_running_loop()

        def make_request(
            message: Any, payload: Any, protocol: Any, writer: Any, task: Any
        ) -> web.BaseRequest:
            # As large as the /mockhttp/ endpoint reads (the app's client_max_size), so
            # that --max-body-size decides, not aiohttp's 1 MiB default.
            return web.BaseRequest(
                message, payload, protocol, writer, task, loop, client_max_size=limit
            )

        return AnyMethodServer(
            serve,
            request_factory=make_request,
            budget=self.budget,
            header_timeout=settings.header_timeout,
            # Each request an access log line: aiohttp writes those, so it serves every one.
            mocks=None if settings.access_log else endpoint,
            mock_id=mock_id,
            tls=tls,
            keepalive_timeout=settings.keepalive_timeout,
            access_log=logging.getLogger("pretenders.access") if settings.access_log else None,
        )

    def close(self, mock: Mock) -> None:
        """Stop listening for ``mock`` and hang up on its open connections."""
        found = self._listeners.pop(mock.id, None)
        if found is None:
            return
        found.listener.close()
        self.budget.open -= 1
        task = asyncio.get_running_loop().create_task(found.server.shutdown(0))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)
        logger.info("HTTP mock %s stopped listening on its own port", mock.id)

    async def close_all(self, timeout: float) -> None:
        """The server is stopping: stop listening, let replies under way finish for
        ``timeout`` seconds, then cut them."""
        listeners = list(self._listeners.values())
        self._listeners.clear()
        for found in listeners:
            found.listener.close()
            self.budget.open -= 1
        await asyncio.gather(*(found.server.shutdown(timeout) for found in listeners))
        if self._closing:
            with contextlib.suppress(Exception):
                await asyncio.wait(self._closing, timeout=1.0)


_AUTHORITY = "tls-ca"
"""The name of the shared store's secret that holds the authority (certificate and key)."""


def _new_authority() -> bytes:
    return CertificateAuthority.generate().to_pem()


def _refusal(error: OSError, host: str, port: int) -> CoreError:
    """What to tell the caller when the port cannot be opened."""
    reason = error.strerror or str(error)
    if error.errno == errno.EADDRINUSE:
        return PortUnavailable(
            f"port {port} on {host} is in use: choose another port, or 0 for a free one",
            field="port",
        )
    if error.errno == errno.EACCES:
        return InvalidInput(
            f"port {port} on {host} is not allowed ({reason}; ports below 1024 need "
            "privileges): choose one from 1024 to 65535, or 0 for a free one",
            field="port",
        )
    if error.errno in (errno.EMFILE, errno.ENFILE):
        return Unavailable(
            f"cannot open port {port} on {host}: {reason} (the server is out of file "
            "descriptors: delete some mocks, or raise ulimit -n and --max-connections)"
        )
    return InvalidInput(f"cannot open port {port} on {host}: {reason}", field="port")


OWN_PORTS = web.AppKey("pretenders_own_ports", OwnPorts)


__all__ = ["OWN_PORTS", "OwnPorts", "PortUnavailable", "TooManyOwnPorts", "shown_host"]
