"""SMTP mocks: an aiosmtpd listener per mock, on the server's own event loop.

Creating a mock opens a listening socket on a free port, chosen by the operating
system, before the create call answers. Every accepted message becomes a
:class:`MailRecord` in the mock's history; scripted replies (added with
``POST /preset/<id>``) can make any stage of the conversation fail, hang up or answer late.
Both go through the :class:`MockService`.
"""

from __future__ import annotations

import asyncio
import errno
import logging
from typing import Any

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from pretenders.server import wire
from pretenders.server.connections import ConnectionBudget, Refusal, smtp_refusal
from pretenders.server.core.errors import Unavailable, UnknownMock
from pretenders.server.core.patterns import milliseconds
from pretenders.server.core.records import MailRecord
from pretenders.server.core.registry import Mock
from pretenders.server.core.smtp_script import SmtpPreset
from pretenders.server.mocks import MockService
from pretenders.server.settings import Settings
from pretenders.server.tls import TlsIdentity, server_identity

logger = logging.getLogger("pretenders.smtp")

WILDCARD_HOSTS = {"", "0.0.0.0", "::"}


class _HideAiosmtpdSelfWarning(logging.Filter):
    """aiosmtpd warns on every AUTH about its own use of ``Session.login_data``."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "login_data is deprecated" not in record.getMessage()


_AIOSMTPD_LOG = logging.getLogger("mail.log")
_AIOSMTPD_FILTER = _HideAiosmtpdSelfWarning()
IDENT = "pretenders ESMTP"


def _text(value: bytes | str | None) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return value.decode("utf-8", errors="replace")


def _peer(session: Session) -> tuple[str, int]:
    """(address, port) of the sender: the first two items of the socket's peer name."""
    peer = session.peer
    if isinstance(peer, tuple) and len(peer) >= 2:
        return str(peer[0]), int(peer[1])
    return str(peer), 0


MOCK_GONE = "421 4.3.0 This SMTP mock was deleted; closing connection"
"""The reply when the mock went (through another process) while a session was open."""


def store_unavailable(error: Unavailable) -> str:
    """The SMTP reply when the store cannot be reached: try again later (nothing kept)."""
    return f"451 4.3.0 {str(error).splitlines()[0][:400]}"


def _report_gave_up(mock: Mock, presets: list[SmtpPreset]) -> None:
    """Log each scripted reply whose regex gave up, once; the session goes on without it."""
    while presets:
        preset = presets.pop()
        regex = preset.regex
        logger.warning(
            "SMTP mock %s, scripted reply %d (%s): the regular expression %r gave up after "
            "%s on what the client sent; the scripted reply is skipped whenever that "
            "happens (logged once per scripted reply; see --regex-timeout)",
            mock.id,
            preset.id,
            preset.stage,
            preset.pattern,
            milliseconds(regex.timeout) if regex is not None else "?",
        )


class MailHandler:
    """aiosmtpd hooks for one mock: apply its scripted replies, record accepted mail."""

    def __init__(self, mock: Mock, mocks: MockService) -> None:
        self.mock = mock
        self.mocks = mocks

    async def scripted(self, server: SMTP, stage: str, argument: str) -> str | None:
        """The scripted reply line for this stage, after its delay; None for the normal one.

        A scripted hang-up closes the connection and answers None.
        """
        try:
            reply, gave_up = await self.mocks.claim_smtp_reply(self.mock, stage, argument)
        except Unavailable as error:
            return store_unavailable(error)
        except UnknownMock:
            return MOCK_GONE
        if gave_up:
            _report_gave_up(self.mock, gave_up)
        if reply is None:
            return None
        if reply.after > 0:
            await asyncio.sleep(reply.after)
        if reply.action == "disconnect":
            if server.transport is not None:
                server.transport.close()
            return None
        return reply.line if reply.status is not None else None

    async def handle_HELO(
        self, server: SMTP, session: Session, envelope: Envelope, hostname: str
    ) -> str:
        line = await self.scripted(server, "helo", hostname)
        if line is not None:
            return line
        session.host_name = hostname
        return f"250 {server.hostname}"

    async def handle_EHLO(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        hostname: str,
        responses: list[str],
    ) -> list[str]:
        line = await self.scripted(server, "helo", hostname)
        if line is not None:
            return [line]
        session.host_name = hostname
        # Commands are read one line at a time from a buffer, so pipelined ones are safe.
        return [*responses[:-1], "250-PIPELINING", responses[-1]]

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        line = await self.scripted(server, "mail", address)
        if line is not None:
            return line
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        line = await self.scripted(server, "rcpt", address)
        if line is not None:
            return line
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(options)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        line = await self.scripted(server, "data", raw.decode("utf-8", errors="replace"))
        if server.transport is None or server.transport.is_closing():
            return "421 Closing connection"  # a scripted hang-up: nothing was accepted
        if line is not None and not line.startswith("2"):
            return line
        credentials = session.auth_data if isinstance(session.auth_data, LoginPassword) else None
        now = self.mocks.store.clock()
        record = MailRecord(
            peer=_peer(session),
            mail_from=envelope.mail_from or "",
            rcpt_tos=tuple(envelope.rcpt_tos),
            data=raw,
            time=now,
            helo=session.host_name,
            tls=session.ssl is not None,
            login=_text(credentials.login) if credentials else None,
            password=_text(credentials.password) if credentials else None,
            mail_options=tuple(envelope.mail_options),
            rcpt_options=tuple(envelope.rcpt_options),
        )
        try:
            await self.mocks.keep_alive(self.mock, now)
            await self.mocks.add_to_history(self.mock, record)
        except Unavailable as error:  # not recorded: not accepted either
            return store_unavailable(error)
        except UnknownMock:  # deleted meanwhile, through another process
            return MOCK_GONE
        return line or "250 OK"


def accept_any_credentials(
    server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
) -> AuthResult:
    """AUTH PLAIN and LOGIN succeed with any user and password, which are recorded."""
    return AuthResult(success=True, auth_data=auth_data)


class ScriptedSMTP(SMTP):
    """aiosmtpd's SMTP session, with the ``connect`` stage scripted before the greeting.

    It belongs to ``sessions`` while its connection is open, so that deleting the mock
    can hang up on it, and counts in the server's connection budget.
    """

    def __init__(
        self,
        handler: MailHandler,
        sessions: set[ScriptedSMTP],
        budget: ConnectionBudget | None = None,
        **options: Any,
    ) -> None:
        super().__init__(handler, **options)
        self.mail_handler = handler
        self.sessions = sessions
        self.budget = budget
        self.counted = False
        sessions.add(self)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # Called again once STARTTLS is under way: count the connection once.
        if self.budget is not None and not self.counted:
            self.budget.open += 1
            self.counted = True
        super().connection_made(transport)

    def connection_lost(self, error: Exception | None) -> None:
        self.sessions.discard(self)
        if self.budget is not None and self.counted:
            self.budget.open -= 1
            self.counted = False
        super().connection_lost(error)

    def hang_up(self) -> None:
        if self.transport is not None:
            self.transport.close()

    async def _handle_client(self) -> None:
        assert self.session is not None
        peer = self.session.peer
        host = str(peer[0]) if isinstance(peer, tuple) else str(peer)
        line = await self.mail_handler.scripted(self, "connect", host)
        if self.transport is None or self.transport.is_closing():
            return
        if line is not None:
            await self.push(line)
            if not line.startswith("2"):
                self.transport.close()
                return
        await super()._handle_client()


class SmtpMockAdapter:
    """Opens and closes the listening socket of each SMTP mock."""

    def __init__(
        self, settings: Settings, mocks: MockService, connections: ConnectionBudget | None = None
    ) -> None:
        self.settings = settings
        self.mocks = mocks
        self.connections = connections or ConnectionBudget(10_000)
        _AIOSMTPD_LOG.addFilter(_AIOSMTPD_FILTER)  # adding the same filter twice is a no-op
        self._tls: TlsIdentity | None = None
        self._servers: dict[str, asyncio.AbstractServer] = {}
        self._sessions: dict[str, set[ScriptedSMTP]] = {}

    def tls(self) -> TlsIdentity:
        """STARTTLS's certificate and context, made once (a self-signed pair unless given)."""
        if self._tls is None:
            self._tls = server_identity(self.settings.smtp_tls_cert, self.settings.smtp_tls_key)
        return self._tls

    async def open(self, mock: Mock, options: wire.CreateMock) -> dict[str, object]:
        handler = MailHandler(mock, self.mocks)
        size_limit = self.settings.smtp_size_limit
        if isinstance(options, wire.CreateSmtpMock) and options.size_limit is not None:
            size_limit = options.size_limit
        sessions: set[ScriptedSMTP] = set()
        tls = self.tls().context
        loop = asyncio.get_running_loop()
        budget = self.connections

        def new_session() -> asyncio.Protocol:
            if budget.full:
                return Refusal(budget, smtp_refusal(budget))
            return ScriptedSMTP(
                handler,
                sessions,
                budget,
                data_size_limit=size_limit,
                enable_SMTPUTF8=True,
                hostname="pretenders",
                ident=IDENT,
                tls_context=tls,
                auth_require_tls=False,
                authenticator=accept_any_credentials,
                loop=loop,
            )

        if budget.full:
            raise Unavailable(f"cannot open a port for the SMTP mock: {budget.message()}")
        server = await _listen(loop, new_session, self.settings.host)
        port = server.sockets[0].getsockname()[1]
        budget.open += 1  # its listening socket holds a descriptor too
        self._servers[mock.id] = server
        self._sessions[mock.id] = sessions
        logger.info("SMTP mock %s listening on port %s", mock.id, port)
        return {"port": port, "host": self._shown_host()}

    def _shown_host(self) -> str:
        host = self.settings.host
        return "localhost" if host in WILDCARD_HOSTS else host

    def close(self, mock: Mock) -> None:
        """Stop listening and hang up on the mock's open sessions."""
        server = self._servers.pop(mock.id, None)
        if server is not None:
            server.close()
            self.connections.open -= 1
        for session in list(self._sessions.pop(mock.id, ())):
            session.hang_up()

    def describe(self, mock: Mock) -> wire.CreatedSmtpMock:
        shown = mock.details.get("host") or self._shown_host()
        return wire.CreatedSmtpMock(id=mock.id, full_host=f"{shown}:{mock.details['port']}")


async def _listen(loop: asyncio.AbstractEventLoop, factory: Any, host: str) -> asyncio.Server:
    """A listening socket on a free port of ``host``, or :class:`Unavailable` saying why not.

    asyncio skips an address whose socket cannot be made (as when the process is out of
    file descriptors) and may then hand back a server with no socket at all.
    """
    try:
        server = await loop.create_server(factory, host, 0)
    except OSError as error:
        raise Unavailable(
            f"cannot open a port for the SMTP mock on {host}: {error.strerror or error}"
            + _DESCRIPTOR_HINT * (error.errno in _OUT_OF_DESCRIPTORS)
        ) from None
    if not server.sockets:
        server.close()
        raise Unavailable(
            f"cannot open a port for the SMTP mock on {host}: no socket could be made"
            + _DESCRIPTOR_HINT
        )
    return server


_OUT_OF_DESCRIPTORS = {errno.EMFILE, errno.ENFILE}
_DESCRIPTOR_HINT = (
    " (the server may be out of file descriptors: delete some mocks, close connections, "
    "or raise the open-file limit, ulimit -n, and --max-connections)"
)


__all__ = ["MailHandler", "ScriptedSMTP", "SmtpMockAdapter"]
