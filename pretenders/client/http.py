"""``HTTPMock``: preset replies on a fake HTTP service, then read what it received."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar, overload

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
from pretenders.common.constants import Forever

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


class HttpMockFacts(MockFacts):
    """The parts of an HTTP mock client that need no server: its URLs and ``when``."""

    boss_mock_type = "http"
    rule: dict[str, Any] | str = ""

    @property
    def pretend_access_path(self) -> str:
        """``/mockhttp/<id>``."""
        return str(self.pretender_details["path"])

    @property
    def pretend_url(self) -> str:
        """The base URL of the fake service, to give to the code under test."""
        host = self.host if self.port == 80 else f"{self.host}:{self.port}"
        return f"http://{host}{self.pretend_access_path}"

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
    ``name`` are the same mock, reachable at a URL known in advance. ``presets``
    (``when(...).reply(...)``, see :mod:`pretenders.client.presets`) are added in the
    same call that creates the mock: one round trip, all of them or none.
    """

    def __init__(
        self,
        host: str,
        port: int,
        timeout: float | Forever | None = None,
        name: str | None = None,
        token: str | None = None,
        *,
        presets: Iterable[Preset] = (),
    ) -> None:
        super().__init__(host, port, timeout, name, token, payloads(presets))

    def reply(
        self,
        body: bytes | str = b"",
        status: int = 200,
        headers: Mapping[str, str] | None = None,
        times: int | Forever = 1,
        after: float = 0,
        *,
        priority: int | None = None,
    ) -> HTTPMock:
        """Add a canned reply: served ``times`` times (or FOREVER), ``after`` seconds late.

        ``priority``: tried before the presets of a larger number (1 first), and before
        every preset without one; ties, and presets without one, keep "first added, first
        tried"."""
        mock_id = self.pretend_access_point_id
        self._run(ops.add_preset(mock_id, self.rule, body, status, headers, times, after, priority))
        return self

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
