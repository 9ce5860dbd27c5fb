"""unittest support: mocks per test, and the pytest plugin's check for unmatched requests.

Example::

    from pretenders.unittest import PretendersTestCase


    class WeatherClientTest(PretendersTestCase):
        def test_reads_the_temperature(self):
            mock = self.make_http_mock()
            mock.when("GET /weather").reply('{"temperature": 23}')
            ...

A request that reached one of the test's HTTP mocks and matched no preset fails the test,
with the closest presets and what differed, also when the test failed for another reason
(the app raised on the mock's 404).
"""

from __future__ import annotations

import contextlib
import os
import unittest
import warnings
from collections.abc import Iterable
from typing import Any, ClassVar, TypeVar
from urllib.parse import urlsplit

from pretenders.client._unmatched import find_unmatched
from pretenders.client.http import HTTPMock
from pretenders.client.presets import Preset
from pretenders.client.smtp import SMTPMock
from pretenders.common.exceptions import HistoryLimitWarning, PretendersError
from pretenders.common.wire_names import TOKEN_VARIABLE
from pretenders.server.embedded import EmbeddedServer

__all__ = ["PretendersTestCase"]

URL_VARIABLE = "PRETENDERS_URL"

Client = TypeVar("Client", HTTPMock, SMTPMock)


class PretendersTestCase(unittest.TestCase):
    """A ``TestCase`` with a pretenders server for the class and fresh mocks for each test.

    The server is an embedded one (a free port, this process) started for the class, or the
    external one at ``pretenders_url`` (default ``$PRETENDERS_URL``). Mocks made with
    :meth:`make_http_mock` and :meth:`make_smtp_mock` are deleted after the test; HTTP mocks
    that received requests no preset matched fail the test first, unless
    ``pretenders_allow_unmatched`` is true. A subclass that overrides ``setUpClass`` calls
    ``super().setUpClass()``.
    """

    pretenders_url: ClassVar[str | None] = None
    """An external server's URL; None: ``$PRETENDERS_URL``, or else an embedded server."""
    pretenders_token: ClassVar[str | None] = None
    """The external server's admin token; None: ``$PRETENDERS_ADMIN_TOKEN``."""
    pretenders_allow_unmatched: ClassVar[bool] = False
    """True: requests that matched no preset do not fail the test."""
    pretenders_host: ClassVar[str]
    """Where the class's server answers (set by ``setUpClass``)."""
    pretenders_port: ClassVar[int]
    _pretenders_mocks: list[HTTPMock | SMTPMock] | None = None

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        url = cls.pretenders_url or os.environ.get(URL_VARIABLE)
        if url:
            parts = urlsplit(url if "://" in url else f"http://{url}")
            if not parts.hostname:
                raise ValueError(f"pretenders_url / ${URL_VARIABLE}: no host in {url!r}")
            cls.pretenders_host, cls.pretenders_port = parts.hostname, parts.port or 80
            return
        server = EmbeddedServer().start()
        cls.addClassCleanup(server.stop)
        cls.pretenders_host, cls.pretenders_port = server.host, server.port

    @property
    def pretenders_server_url(self) -> str:
        """``http://host:port`` of the class's server."""
        return f"http://{self.pretenders_host}:{self.pretenders_port}"

    def make_http_mock(
        self, name: str | None = None, timeout: Any = None, *, presets: Iterable[Preset] = ()
    ) -> HTTPMock:
        """A new HTTP mock (or the one with this name), deleted after the test; ``presets``
        (``when(...).reply(...)``) are added in the call that creates it."""
        return self._make(HTTPMock, name, timeout, presets=presets)

    def make_smtp_mock(self, name: str | None = None, timeout: Any = None) -> SMTPMock:
        """A new SMTP mock (or the one with this name), deleted after the test."""
        return self._make(SMTPMock, name, timeout)

    def _make(self, kind: type[Client], name: str | None, timeout: Any, **options: Any) -> Client:
        token = self.pretenders_token or os.environ.get(TOKEN_VARIABLE) or None
        mock = kind(
            self.pretenders_host, self.pretenders_port, timeout, name, token=token, **options
        )
        if self._pretenders_mocks is None:
            self._pretenders_mocks = []
            # Cleanups run last in, first out: this one runs after those the test adds later
            # (stopping the app under test, say), once the app has made all its requests.
            self.addCleanup(self._pretenders_finish, self._pretenders_mocks)
        self._pretenders_mocks.append(mock)
        return mock

    def _pretenders_finish(self, mocks: list[HTTPMock | SMTPMock]) -> None:
        """Fail the test on unmatched requests, then delete its mocks whatever happens."""
        try:
            if not self.pretenders_allow_unmatched:
                found = find_unmatched(m for m in mocks if isinstance(m, HTTPMock))
                if found:
                    raise self.failureException(
                        found.report("allow them with pretenders_allow_unmatched = True")
                    )
                if found.unchecked:
                    warnings.warn(
                        "the check for unmatched requests only saw the requests the mocks "
                        "kept:\n" + "\n".join(found.unchecked),
                        HistoryLimitWarning,
                        stacklevel=2,
                    )
        finally:
            for mock in mocks:
                with contextlib.suppress(PretendersError):
                    mock.delete_mock()
                mock.close()
            self._pretenders_mocks = None
