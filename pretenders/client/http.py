"""``HTTPMock``: preset replies on a fake HTTP service, then read what it received."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, TypeVar, overload
from urllib.parse import urlsplit

from pretenders.client import BossClient, MockFacts
from pretenders.client import _operations as ops
from pretenders.client.matchers import ValueLike
from pretenders.client.models import (
    Difference,
    HeaderDict,
    HistoryStats,
    NearMiss,
    RecordedRequest,
)
from pretenders.client.presets import Preset, payloads, when
from pretenders.client.replies import ReplyOptions, States
from pretenders.common.constants import FOREVER, Forever

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from pretenders.client._rules import RuleKeywords

__all__ = [
    "Difference",
    "HTTPMock",
    "HeaderDict",
    "HistoryStats",
    "HttpMockFacts",
    "NearMiss",
    "Preset",
    "RecordedRequest",
    "when",
]


Bound = TypeVar("Bound", bound="HttpMockFacts")


def http_options(
    own_port: int | None,
    tls: bool,
    hosts: Sequence[str] | None,
    client_cert: str | None,
) -> dict[str, Any]:
    """The create call's fields for an HTTP mock's own port, TLS and host names."""
    options: dict[str, Any] = {}
    if own_port is not None:
        options["port"] = own_port
    if tls:
        options["tls"] = True
    if hosts:
        options["hosts"] = list(hosts)
    if client_cert is not None:
        options["client_cert"] = client_cert
    return options


class HttpMockFacts(MockFacts):
    """The parts of an HTTP mock client that need no server: its URLs and ``when``."""

    boss_mock_type = "http"
    rule: dict[str, Any] | str = ""

    @property
    def own_port(self) -> int | None:
        """The port the mock has to itself (created with ``own_port``), else None."""
        url = self.pretender_details.get("url")
        return urlsplit(url).port if isinstance(url, str) else None

    @property
    def pretend_access_path(self) -> str:
        """``/mockhttp/<id>``; empty for a mock on a port of its own (served at ``/``)."""
        if self.own_port is not None:
            return ""
        return str(self.pretender_details["path"])

    @property
    def pretend_access_point(self) -> str:
        """``host:port`` where the fake service answers."""
        own_port = self.own_port
        return self.full_host if own_port is None else f"{self.host}:{own_port}"

    @property
    def pretend_url(self) -> str:
        """The base URL of the fake service, to give to the code under test:
        ``http://host:port/mockhttp/<id>``, or ``http(s)://host:ownport`` for a mock on a
        port of its own (the host this client reached the server with)."""
        own_port = self.own_port
        if own_port is not None:
            scheme = urlsplit(str(self.pretender_details["url"])).scheme
            return f"{scheme}://{self.host}:{own_port}"
        host = self.host if self.port == 80 else f"{self.host}:{self.port}"
        return f"http://{host}{self.pretend_access_path}"

    @property
    def ca_pem(self) -> str | None:
        """For an HTTPS mock: the certificate authority (PEM) its certificates are signed
        by, to trust (``ssl.create_default_context(cadata=mock.ca_pem)``); else None."""
        ca = self.pretender_details.get("ca")
        return ca if isinstance(ca, str) else None

    def when(
        self: Bound,
        rule: str = "",
        headers: Mapping[str, ValueLike] | None = None,
        body: str | None = None,
        data: Mapping[str, str] | None = None,
        **fields: Unpack[RuleKeywords],
    ) -> Bound:
        """A copy of this mock whose next ``reply`` applies to matching requests only.

        ``rule`` is a regex matched at the start of ``"METHOD /path?query"`` (always a
        regex, as in 1.4: a path template goes in ``path=``); ``headers`` must all be
        sent with these values (or match these matchers); ``body`` is a regex matched at
        the start of the body; ``data`` is a dict of form fields the posted form must
        equal (it replaces ``body``).

        Keywords add conditions, all of which must hold: ``method``, ``path`` (a template,
        ``/users/{id}``), ``path_params``, ``query``, ``cookies``, ``json`` (with
        ``json_partial``, ``json_any_order``), ``jsonpath``, ``json_schema``, ``xml``,
        ``xpath`` (with ``namespaces``), ``parts``, and ``all_of`` / ``any_of`` / ``not_``
        over nested rules (``matchers.rule(...)``). Values are plain (equal to it) or
        matchers from :mod:`pretenders.client.matchers`. Example::

            mock.when(method="GET", path="/users/{id}", query={"page": "2"}).reply("Ann")
        """
        bound = copy.copy(self)
        bound.rule = ops.rule_payload(rule, headers, body, data, fields)
        return bound


class HTTPMock(HttpMockFacts, BossClient):
    """A fake HTTP service as seen from the test writer.

    Example::

        mock = HTTPMock('localhost', 8000)
        mock.when('GET /hello').reply('Hello')
        # ... exercise the code under test against mock.pretend_url ...
        assert mock.get_request(0).url == '/hello'

    ``timeout`` is how long the mock may go without being called before the server
    removes it (seconds or FOREVER; the server's default otherwise). Mocks with the same
    ``name`` are the same mock, reachable at a URL known in advance.

    ``own_port`` (0 for a free one) also serves the mock at ``/`` on a port of its own,
    ``tls=True`` over HTTPS (trust :attr:`ca_pem`), with ``hosts`` the names its
    certificates carry and ``client_cert`` (``"required"`` or ``"optional"``) asking
    clients for a certificate; :attr:`pretend_url` is then that address (see
    docs/network.md).

    ``presets`` (``when(...).reply(...)``, see :mod:`pretenders.client.presets`) are added
    in the same call that creates the mock: one round trip, all of them or none.
    """

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
        self.create_options = http_options(own_port, tls, hosts, client_cert)
        super().__init__(host, port, timeout, name, token, payloads(presets))

    def reply(
        self,
        body: bytes | str = b"",
        status: int | str = 200,
        headers: Mapping[str, str] | None = None,
        times: int | Forever = 1,
        after: float = 0,
        **options: Unpack[ReplyOptions],
    ) -> HTTPMock:
        """Add a canned reply: served ``times`` times (or FOREVER), ``after`` seconds late.

        ``priority``: tried before the presets of a larger number (1 first), and before
        every preset without one; ties, and presets without one, keep "first added, first
        tried".

        ``template``: the status, header values and body are Jinja2 templates rendered
        from each request (``{{ request.path_params.id }}``, ``{{ uuid() }}``; see
        docs/replies.md). ``body_file``: the body is this file's, a path under the
        server's ``--files-root``, read per request.

        ``fault``: ``"reset"``, ``"empty"``, ``"garbage"`` or ``"malformed_chunk"``
        instead of a reply; ``pacing``: the body sent slowly, ``{"chunks": N, "over":
        seconds}`` or ``{"bytes_per_second": B}``; ``delay``: drawn for each request,
        ``{"fixed": s}``, ``{"uniform": [low, high]}`` or ``{"lognormal": {"median": s,
        "sigma": x}}`` (optionally with ``"seed": n``), not with ``after``.

        ``replies``: several replies (:class:`~pretenders.client.replies.Reply`) instead
        of ``body``/``status``/``headers``/``after``, served in order and then the last
        again (``pick="sequence"``), over again (``"cycle"``) or drawn by weight
        (``"random"``, seeded by ``seed``); ``times`` counts the preset's uses.
        ``state``: a :class:`~pretenders.client.replies.State` the preset requires and
        moves on (see docs/replies.md)."""
        preset = ops.preset_payload(self.rule, body, status, headers, times, after, **options)
        self._run(ops.add_preset(self.pretend_access_point_id, preset))
        return self

    def state(self) -> States:
        """The mock's state machine instances: ``mock.state()["order", "42"]`` (an
        instance never moved is in ``"start"``)."""
        return self._run(ops.states(self.pretend_access_point_id))

    def set_state(self, machine: str, state: str, key: str | None = None) -> None:
        """Put one state machine instance (``key``: None for the unkeyed one) in ``state``."""
        self._run(ops.set_state(self.pretend_access_point_id, machine, state, key))

    def reset_state(self, machine: str | None = None, key: str | None = None) -> None:
        """Move state machines back to start: all, one ``machine``'s, or one instance."""
        self._run(ops.reset_state(self.pretend_access_point_id, machine, key))

    def proxy(
        self,
        to: str,
        *,
        add_headers: Mapping[str, str] | None = None,
        remove_headers: tuple[str, ...] | list[str] = (),
        timeout: float | None = None,
        times: int | Forever = FOREVER,
        after: float = 0,
        priority: int | None = None,
    ) -> HTTPMock:
        """Forward the requests this rule matches to the upstream ``to`` (a base URL; the
        path below the mock is appended) and answer what it answers. ``add_headers`` are
        set and ``remove_headers`` left out of the forwarded request; ``timeout``: seconds
        the upstream has (10 by default), past which the reply is a 504."""
        fields = ops.proxy_fields(to, add_headers, remove_headers, timeout)
        mock_id = self.pretend_access_point_id
        self._run(ops.add_proxy(mock_id, self.rule, fields, times, after, priority))
        return self

    def record(
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
        return self._run(ops.start_recording(self.pretend_access_point_id, fields))

    def stop_recording(self) -> int:
        """Stop recording (the recorded presets stay and now answer); 0 if it was not."""
        return self._run(ops.stop_recording(self.pretend_access_point_id))

    def recording(self) -> dict[str, Any]:
        """Whether the mock records (``{"recording": true, "to": ..., "match": ...}``)."""
        return self._run(ops.recording(self.pretend_access_point_id))

    def export(self, format: str = "json") -> str:
        """The mock's presets as a ``--load`` file (``json`` or ``yaml``), to replay them
        offline with ``pretenders --load FILE``."""
        return self._run(ops.export(self.pretend_access_point_id, format))

    def import_stubs(self, document: Any, format: str) -> dict[str, Any]:
        """Add WireMock mappings (``format="wiremock"``) or mountebank imposters
        (``"mountebank"``) as presets; per stub, what could not be mapped."""
        return self._run(ops.import_stubs(self.pretend_access_point_id, document, format))

    @overload
    def get_request(self, sequence_id: int) -> RecordedRequest | None: ...

    @overload
    def get_request(self, sequence_id: None = None) -> list[RecordedRequest]: ...

    def get_request(
        self, sequence_id: int | None = None
    ) -> RecordedRequest | list[RecordedRequest] | None:
        """The ``sequence_id``-th request received (None if there is none), or all of them."""
        if sequence_id is None:
            return self._run(ops.requests(self.pretend_access_point_id))
        return self._run(ops.request(self.pretend_access_point_id, sequence_id))

    def count(
        self,
        rule: str = "",
        headers: Mapping[str, ValueLike] | None = None,
        body: str | None = None,
        data: Mapping[str, str] | None = None,
        **fields: Unpack[RuleKeywords],
    ) -> int:
        """How many recorded requests match, in the preset rule language (``when``'s
        arguments and keywords).

        Only the records the server kept count: a ``HistoryLimitWarning`` says when its
        ``--history-limit`` dropped older ones.
        """
        payload = ops.rule_payload(rule, headers, body, data, fields)
        found, dropped = self._run(ops.count(self.pretend_access_point_id, payload))
        ops.warn_dropped("count()", dropped)
        return found

    def unmatched_requests(self) -> list[RecordedRequest]:
        """The requests that no preset served (they got a 404), with their near misses."""
        return self._run(ops.requests(self.pretend_access_point_id, matched="false"))

    def unused_presets(self) -> list[dict[str, Any]]:
        """Presets still owed requests: uses left to count down, or FOREVER and never served.

        Each is the server's preset document: ``rule``, ``times`` (uses left), ``served``...
        """
        return self._run(ops.unused_presets(self.pretend_access_point_id))

    def assert_called(
        self,
        rule: str = "",
        times: int | None = None,
        headers: Mapping[str, ValueLike] | None = None,
        body: str | None = None,
        data: Mapping[str, str] | None = None,
        **fields: Unpack[RuleKeywords],
    ) -> None:
        """Fail unless ``times`` recorded requests match (None: at least one).

        The failure message lists what the mock did receive, with the near misses of
        requests no preset matched. Once the server's ``--history-limit`` dropped records,
        an exact ``times`` cannot be proven, and fails saying so.
        """
        payload = ops.rule_payload(rule, headers, body, data, fields)
        self._run(ops.assert_called(self.pretend_access_point_id, payload, times))

    def assert_no_unmatched(self) -> None:
        """Fail if any request got the 404 because no preset matched it, saying why."""
        dropped = self._run(ops.assert_no_unmatched(self.pretend_access_point_id))
        ops.warn_dropped("assert_no_unmatched()", dropped)

    def assert_no_unused_presets(self) -> None:
        """Fail if a preset is still owed requests (see ``unused_presets``)."""
        self._run(ops.assert_no_unused_presets(self.pretend_access_point_id))

    def wait_for_request(
        self,
        rule: str = "",
        count: int = 1,
        timeout: float = 5,
        headers: Mapping[str, ValueLike] | None = None,
        body: str | None = None,
        data: Mapping[str, str] | None = None,
        **fields: Unpack[RuleKeywords],
    ) -> list[RecordedRequest]:
        """Block until ``count`` recorded requests match (those already there count too),
        and return them all; raise ``WaitTimeout`` after ``timeout`` seconds (at most 300).

        The server holds the call open, so this returns as soon as the request arrives.
        """
        payload = ops.rule_payload(rule, headers, body, data, fields)
        return self._run(
            ops.wait_for_request(self.pretend_access_point_id, payload, count, timeout)
        )
