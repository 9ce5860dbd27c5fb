"""Async clients for asyncio test suites: the same API as the sync ones, awaited.

Example::

    async with AsyncHTTPMock('localhost', 8000) as mock:
        await mock.when('GET /hello').reply('Hello')
        ...
        assert (await mock.get_request(0)).url == '/hello'

A mock is created on the server when the ``async with`` block starts (or by
``await AsyncHTTPMock.create(host, port)``) and the connection closes when it ends;
``delete_mock()`` removes the mock itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, TypeVar, overload

from pretenders.client import MockFacts
from pretenders.client import _operations as ops
from pretenders.client._admin import AsyncAdminConnection, Operation, token_or_default
from pretenders.client.http import HttpMockFacts, http_options
from pretenders.client.matchers import ValueLike
from pretenders.client.models import HistoryStats, RecordedRequest, SMTPMessage
from pretenders.client.presets import Preset, payloads
from pretenders.client.replies import ReplyOptions, States
from pretenders.client.smtp import SmtpMockFacts
from pretenders.common.constants import FOREVER, Forever
from pretenders.common.pretender import PretenderModel

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from pretenders.client._rules import RuleKeywords

__all__ = ["AsyncHTTPMock", "AsyncSMTPMock", "AsyncSmtpStage"]

T = TypeVar("T")
Client = TypeVar("Client", bound="AsyncBossClient")


class AsyncBossClient(MockFacts):
    """What async mock clients share: creating, resetting, describing and deleting."""

    def __init__(
        self,
        host: str,
        port: int,
        timeout: float | Forever | None = None,
        name: str | None = None,
        token: str | None = None,
    ) -> None:
        super().__init__(host, port, timeout, name)
        self.admin = AsyncAdminConnection(host, port, token=token_or_default(token))
        self._presets: list[dict[str, Any]] | None = None
        """Presets to add in the call that creates the mock (HTTP)."""

    @classmethod
    async def create(
        cls: type[Client],
        host: str,
        port: int,
        timeout: float | Forever | None = None,
        name: str | None = None,
        token: str | None = None,
        **options: Any,
    ) -> Client:
        """A client whose mock exists on the server (created, or joined by ``name``);
        ``options``: those of the class (``AsyncHTTPMock``'s ``own_port``, ``tls``...)."""
        return await cls(host, port, timeout, name, token, **options).__aenter__()

    async def open(self: Client) -> Client:
        """Create the mock on the server (or join the one with this client's name)."""
        if not self.pretender_details:
            self.pretender_details = await self.admin.run(
                ops.create_mock(
                    self.boss_mock_type,
                    self.name,
                    self.timeout,
                    self.create_options,
                    self._presets,
                )
            )
        return self

    async def _run(self, operation: Operation[T]) -> T:
        if not self.pretender_details:
            operation.close()
            raise RuntimeError(
                f"the {self.boss_mock_type.upper()} mock is not created yet: use "
                f"'async with {type(self).__name__}(...)' or 'await {type(self).__name__}"
                ".create(...)'"
            )
        return await self.admin.run(operation)

    async def reset(self: Client) -> Client:
        """Forget the mock's history and remove its presets."""
        await self._run(ops.reset(self.pretend_access_point_id))
        return self

    async def delete_mock(self) -> None:
        """Delete the mock on the server, with its presets and history."""
        await self._run(ops.delete_mock(self.boss_mock_type, self.pretend_access_point_id))

    async def get_pretender(self) -> PretenderModel:
        """The server's description of the mock; ResourceNotFound once it is gone."""
        return await self._run(ops.get_pretender(self.boss_mock_type, self.pretend_access_point_id))

    async def history_stats(self) -> HistoryStats:
        """Requests (or mails) received since the last reset, kept, and dropped by the limit."""
        return await self._run(ops.history_stats(self.pretend_access_point_id))

    async def aclose(self) -> None:
        """Close the connection to the server (the mock itself stays)."""
        await self.admin.aclose()

    async def __aenter__(self: Client) -> Client:
        try:
            return await self.open()
        except BaseException:
            await self.aclose()  # the connection would otherwise outlive the failed client
            raise

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


class AsyncHTTPMock(HttpMockFacts, AsyncBossClient):
    """``HTTPMock`` for asyncio: every call to the server is awaited (``own_port``,
    ``tls``, ``hosts``, ``client_cert`` and ``presets`` as ``HTTPMock`` takes them)."""

    def __init__(
        self,
        host: str,
        port: int,
        timeout: float | Forever | None = None,
        name: str | None = None,
        token: str | None = None,
        *,
        own_port: int | None = None,
        tls: bool = False,
        hosts: Sequence[str] | None = None,
        client_cert: Literal["required", "optional"] | None = None,
        presets: Iterable[Preset] = (),
    ) -> None:
        super().__init__(host, port, timeout, name, token)
        self.create_options = http_options(own_port, tls, hosts, client_cert)
        self._presets = payloads(presets)

    async def reply(
        self,
        body: bytes | str = b"",
        status: int | str = 200,
        headers: Mapping[str, str] | None = None,
        times: int | Forever = 1,
        after: float = 0,
        **options: Unpack[ReplyOptions],
    ) -> AsyncHTTPMock:
        """Add a canned reply: served ``times`` times (or FOREVER), ``after`` seconds late,
        tried in ``priority`` order; ``template``, ``body_file``, ``fault``, ``pacing``,
        ``delay``, ``replies`` and ``state`` as ``HTTPMock.reply``."""
        preset = ops.preset_payload(self.rule, body, status, headers, times, after, **options)
        await self._run(ops.add_preset(self.pretend_access_point_id, preset))
        return self

    async def state(self) -> States:
        """The mock's state machine instances (see ``HTTPMock.state``)."""
        return await self._run(ops.states(self.pretend_access_point_id))

    async def set_state(self, machine: str, state: str, key: str | None = None) -> None:
        """Put one state machine instance (``key``: None for the unkeyed one) in ``state``."""
        await self._run(ops.set_state(self.pretend_access_point_id, machine, state, key))

    async def reset_state(self, machine: str | None = None, key: str | None = None) -> None:
        """Move state machines back to start: all, one ``machine``'s, or one instance."""
        await self._run(ops.reset_state(self.pretend_access_point_id, machine, key))

    async def proxy(
        self,
        to: str,
        *,
        add_headers: Mapping[str, str] | None = None,
        remove_headers: tuple[str, ...] | list[str] = (),
        timeout: float | None = None,
        times: int | Forever = FOREVER,
        after: float = 0,
        priority: int | None = None,
    ) -> AsyncHTTPMock:
        """Forward the requests this rule matches to the upstream ``to`` (a base URL; the
        path below the mock is appended) and answer what it answers. ``add_headers`` are
        set and ``remove_headers`` left out of the forwarded request; ``timeout``: seconds
        the upstream has (10 by default), past which the reply is a 504."""
        fields = ops.proxy_fields(to, add_headers, remove_headers, timeout)
        mock_id = self.pretend_access_point_id
        await self._run(ops.add_proxy(mock_id, self.rule, fields, times, after, priority))
        return self

    async def record(
        self,
        to: str,
        *,
        query: bool = True,
        headers: tuple[str, ...] | list[str] = (),
        json_body: bool = False,
        body: bool = False,
        add_headers: Mapping[str, str] | None = None,
        remove_headers: tuple[str, ...] | list[str] = (),
        timeout: float | None = None,
    ) -> dict[str, Any]:
        """Record: every request is forwarded to ``to`` and each exchange kept as a preset
        matching its method and path, and its query, the ``headers`` named, its JSON body
        (``json_body``) or its text body (``body``) as asked. Returns the recording."""
        fields = ops.proxy_fields(to, add_headers, remove_headers, timeout)
        fields["match"] = ops.recording_match(query, headers, json_body, body)
        return await self._run(ops.start_recording(self.pretend_access_point_id, fields))

    async def stop_recording(self) -> int:
        """Stop recording (the recorded presets stay and now answer); 0 if it was not."""
        return await self._run(ops.stop_recording(self.pretend_access_point_id))

    async def recording(self) -> dict[str, Any]:
        """Whether the mock records (``{"recording": true, "to": ..., "match": ...}``)."""
        return await self._run(ops.recording(self.pretend_access_point_id))

    async def export(self, format: str = "json") -> str:
        """The mock's presets as a ``--load`` file (``json`` or ``yaml``), to replay them
        offline with ``pretenders --load FILE``."""
        return await self._run(ops.export(self.pretend_access_point_id, format))

    async def import_stubs(self, document: Any, format: str) -> dict[str, Any]:
        """Add WireMock mappings (``format="wiremock"``) or mountebank imposters
        (``"mountebank"``) as presets; per stub, what could not be mapped."""
        return await self._run(ops.import_stubs(self.pretend_access_point_id, document, format))

    @overload
    async def get_request(self, sequence_id: int) -> RecordedRequest | None: ...

    @overload
    async def get_request(self, sequence_id: None = None) -> list[RecordedRequest]: ...

    async def get_request(
        self, sequence_id: int | None = None
    ) -> RecordedRequest | list[RecordedRequest] | None:
        """The ``sequence_id``-th request received (None if there is none), or all of them."""
        if sequence_id is None:
            return await self._run(ops.requests(self.pretend_access_point_id))
        return await self._run(ops.request(self.pretend_access_point_id, sequence_id))

    async def count(
        self,
        rule: str = "",
        headers: Mapping[str, ValueLike] | None = None,
        body: str | None = None,
        data: Mapping[str, str] | None = None,
        **fields: Unpack[RuleKeywords],
    ) -> int:
        """How many recorded requests match, in the preset rule language (kept ones only:
        a ``HistoryLimitWarning`` says when the server dropped older ones)."""
        payload = ops.rule_payload(rule, headers, body, data, fields)
        found, dropped = await self._run(ops.count(self.pretend_access_point_id, payload))
        ops.warn_dropped("count()", dropped)
        return found

    async def unmatched_requests(self) -> list[RecordedRequest]:
        """The requests that no preset served, with their near misses."""
        return await self._run(ops.requests(self.pretend_access_point_id, matched="false"))

    async def unused_presets(self) -> list[dict[str, Any]]:
        """Presets still owed requests: uses left, or FOREVER and never served."""
        return await self._run(ops.unused_presets(self.pretend_access_point_id))

    async def assert_called(
        self,
        rule: str = "",
        times: int | None = None,
        headers: Mapping[str, ValueLike] | None = None,
        body: str | None = None,
        data: Mapping[str, str] | None = None,
        **fields: Unpack[RuleKeywords],
    ) -> None:
        """Fail unless ``times`` recorded requests match (None: at least one); an exact
        ``times`` fails once the server's history limit dropped records."""
        payload = ops.rule_payload(rule, headers, body, data, fields)
        await self._run(ops.assert_called(self.pretend_access_point_id, payload, times))

    async def assert_no_unmatched(self) -> None:
        """Fail if any request matched no preset, saying why."""
        dropped = await self._run(ops.assert_no_unmatched(self.pretend_access_point_id))
        ops.warn_dropped("assert_no_unmatched()", dropped)

    async def assert_no_unused_presets(self) -> None:
        """Fail if a preset is still owed requests."""
        await self._run(ops.assert_no_unused_presets(self.pretend_access_point_id))

    async def wait_for_request(
        self,
        rule: str = "",
        count: int = 1,
        timeout: float = 5,
        headers: Mapping[str, ValueLike] | None = None,
        body: str | None = None,
        data: Mapping[str, str] | None = None,
        **fields: Unpack[RuleKeywords],
    ) -> list[RecordedRequest]:
        """Wait until ``count`` recorded requests match; ``WaitTimeout`` after ``timeout`` s."""
        payload = ops.rule_payload(rule, headers, body, data, fields)
        mock_id = self.pretend_access_point_id
        return await self._run(ops.wait_for_request(mock_id, payload, count, timeout))


class AsyncSmtpStage:
    """A stage of the SMTP conversation, about to be given a scripted reply (awaited)."""

    def __init__(self, mock: AsyncSMTPMock, stage: str, match: str | None) -> None:
        self.mock = mock
        self.stage = stage
        self.match = match

    async def reply(
        self,
        status: int | None = None,
        message: str = "",
        times: int | Forever = 1,
        after: float = 0,
    ) -> AsyncSMTPMock:
        """Answer ``status message`` at this stage (without a status: late, ``after`` s)."""
        return await self._add(ops.smtp_reply(status, message, times, after))

    async def disconnect(self, times: int | Forever = 1, after: float = 0) -> AsyncSMTPMock:
        """Hang up at this stage without answering."""
        return await self._add(ops.smtp_disconnect(times, after))

    async def _add(self, fields: dict[str, Any]) -> AsyncSMTPMock:
        mock_id = self.mock.pretend_access_point_id
        await self.mock._run(ops.add_smtp_preset(mock_id, self.stage, self.match, **fields))
        return self.mock


class AsyncSMTPMock(SmtpMockFacts, AsyncBossClient):
    """``SMTPMock`` for asyncio: every call to the server is awaited."""

    async def get_emails(self) -> list[SMTPMessage]:
        """Every mail accepted, oldest first."""
        return await self._run(ops.emails(self.pretend_access_point_id))

    async def get_email(self, sequence_id: int) -> SMTPMessage | None:
        """The ``sequence_id``-th mail accepted, or None if there is none."""
        return await self._run(ops.email(self.pretend_access_point_id, sequence_id))

    async def wait_for_email(
        self,
        count: int = 1,
        timeout: float = 5,
        to: str | None = None,
        subject: str | None = None,
    ) -> list[SMTPMessage]:
        """Wait until ``count`` accepted mails match; ``WaitTimeout`` after ``timeout`` s."""
        mock_id = self.pretend_access_point_id
        return await self._run(ops.wait_for_email(mock_id, count, timeout, to, subject))

    def when(
        self,
        stage: str | None = None,
        *,
        connect: str | None = None,
        helo: str | None = None,
        mail: str | None = None,
        rcpt: str | None = None,
        data: str | None = None,
    ) -> AsyncSmtpStage:
        """Pick the stage to script, as ``SMTPMock.when`` does."""
        patterns = {"connect": connect, "helo": helo, "mail": mail, "rcpt": rcpt, "data": data}
        return AsyncSmtpStage(self, *ops.pick_stage(stage, patterns))
