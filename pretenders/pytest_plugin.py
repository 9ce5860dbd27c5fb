"""pytest fixtures for pretenders, active once the package is installed.

- ``pretenders_server``: one server for the session; the embedded server by default, or an
  external one given with ``--pretenders-url`` or ``PRETENDERS_URL`` (and its admin token,
  if it has one, with ``--pretenders-token`` or ``PRETENDERS_ADMIN_TOKEN``). The embedded
  server keeps its state in memory, or in the store ``--pretenders-store`` or
  ``PRETENDERS_STORE`` names (a Redis URL: every xdist worker's server shares it).
- ``http_mock`` and ``smtp_mock``: a fresh mock per test, deleted after it.
- ``make_http_mock`` and ``make_smtp_mock``: factories for tests that need several, or an
  HTTP mock set up with its presets in one call (``make_http_mock(presets=[...])``).

A request that reached one of a test's HTTP mocks and matched no preset fails that test,
with the request in the message. Opt out with ``@pytest.mark.pretenders_allow_unmatched``
or ``--pretenders-allow-unmatched``. A test that fails for another reason (the app raised on
the mock's 404) shows the same explanation in a report section of its own.
"""

from __future__ import annotations

import contextlib
import os
import warnings
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

import pytest

from pretenders.client._unmatched import find_unmatched
from pretenders.client.http import HTTPMock
from pretenders.client.smtp import SMTPMock
from pretenders.common.exceptions import HistoryLimitWarning, PretendersError
from pretenders.common.wire_names import STORE_VARIABLE, TOKEN_VARIABLE
from pretenders.server.core.errors import CoreError
from pretenders.server.embedded import EmbeddedServer
from pretenders.server.settings import check_store_url

URL_VARIABLE = "PRETENDERS_URL"
ALLOW_UNMATCHED_MARKER = "pretenders_allow_unmatched"

UNMATCHED_SECTION = "pretenders: requests that matched no preset"

_MOCKS_OF_TEST = pytest.StashKey[list[HTTPMock]]()
_FAILED_BY_CHECK = pytest.StashKey[bool]()
_HOW_TO_ALLOW = (
    f"allow them with @pytest.mark.{ALLOW_UNMATCHED_MARKER} or --pretenders-allow-unmatched"
)


@dataclass(frozen=True)
class ServerAddress:
    """Where the session's pretenders server answers."""

    host: str
    port: int
    token: str | None = None
    """The admin token the clients send (None: none)."""

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("pretenders")
    group.addoption(
        "--pretenders-url",
        default=None,
        help=f"use the pretenders server at this URL instead of an embedded one "
        f"(also ${URL_VARIABLE})",
    )
    group.addoption(
        "--pretenders-token",
        default=None,
        help=f"the admin token of the --pretenders-url server, if it has one (also "
        f"${TOKEN_VARIABLE})",
    )
    group.addoption(
        "--pretenders-store",
        default=None,
        help="keep the embedded server's mocks in this store, e.g. a Redis URL that "
        f"every xdist worker's server shares (default: memory; also ${STORE_VARIABLE})",
    )
    group.addoption(
        "--pretenders-files-root",
        default=None,
        metavar="DIR",
        help="the directory the embedded server reads presets' body_file paths from "
        "(its --files-root; default: none, presets cannot name files)",
    )
    group.addoption(
        "--pretenders-allow-unmatched",
        action="store_true",
        help="do not fail tests whose HTTP mocks received requests that matched no preset",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{ALLOW_UNMATCHED_MARKER}: do not fail this test when its HTTP mocks received "
        "requests that matched no preset",
    )


def _external_url(config: pytest.Config) -> str | None:
    return config.getoption("--pretenders-url") or os.environ.get(URL_VARIABLE) or None


def _address(url: str, token: str | None) -> ServerAddress:
    parts = urlsplit(url if "://" in url else f"http://{url}")
    if not parts.hostname:
        raise pytest.UsageError(f"--pretenders-url / {URL_VARIABLE}: no host in {url!r}")
    return ServerAddress(parts.hostname, parts.port or 80, token)


def _token(config: pytest.Config) -> str | None:
    return config.getoption("--pretenders-token") or os.environ.get(TOKEN_VARIABLE) or None


@pytest.fixture(scope="session")
def pretenders_server(pytestconfig: pytest.Config) -> Iterator[ServerAddress]:
    """The session's server: embedded (a free port, this process), or the external one."""
    url = _external_url(pytestconfig)
    if url:
        yield _address(url, _token(pytestconfig))
        return
    files_root = pytestconfig.getoption("--pretenders-files-root")
    with EmbeddedServer(store=_store(pytestconfig), files_root=files_root) as server:
        yield ServerAddress(server.host, server.port)


def _store(config: pytest.Config) -> str:
    url = config.getoption("--pretenders-store") or os.environ.get(STORE_VARIABLE) or "memory"
    try:
        return check_store_url(url)
    except CoreError as error:
        raise pytest.UsageError(f"--pretenders-store / {STORE_VARIABLE}: {error}") from None


Client = TypeVar("Client", HTTPMock, SMTPMock)


def _factory(
    kind: type[Client], server: ServerAddress, made: list[Client]
) -> Iterator[Callable[..., Client]]:
    """Yield ``make(name=None, timeout=None, **options)``; delete what it made once the
    test is over (``options``: the client class's keywords, e.g. ``own_port=0``)."""

    def make(name: str | None = None, timeout: Any = None, **options: Any) -> Client:
        mock = kind(server.host, server.port, timeout, name, token=server.token, **options)
        made.append(mock)
        return mock

    yield make
    for mock in made:
        _discard(mock)


@pytest.fixture
def make_http_mock(
    pretenders_server: ServerAddress, request: pytest.FixtureRequest
) -> Iterator[Callable[..., HTTPMock]]:
    """``make_http_mock(name=None, timeout=None, presets=[...], **options)``: a new HTTP
    mock, deleted after the test; ``presets`` (``when(...).reply(...)``) are added in the
    call that creates it; ``own_port=0`` (with ``tls=True``, ``hosts=[...]``) gives it a
    port of its own."""
    # Kept on the test item, so that its unmatched requests can fail the test.
    made = request.node.stash.setdefault(_MOCKS_OF_TEST, [])
    yield from _factory(HTTPMock, pretenders_server, made)


@pytest.fixture
def make_smtp_mock(pretenders_server: ServerAddress) -> Iterator[Callable[..., SMTPMock]]:
    """``make_smtp_mock(name=None, timeout=None)``: a new SMTP mock, deleted after the test."""
    yield from _factory(SMTPMock, pretenders_server, [])


@pytest.fixture
def http_mock(make_http_mock: Callable[..., HTTPMock]) -> HTTPMock:
    """A fresh HTTP mock for this test: ``http_mock.pretend_url`` is the fake service."""
    return make_http_mock()


@pytest.fixture
def smtp_mock(make_smtp_mock: Callable[..., SMTPMock]) -> SMTPMock:
    """A fresh SMTP mock for this test: send mail to port ``smtp_mock.pretend_port``."""
    return make_smtp_mock()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    """Once the test body passed, fail it if its HTTP mocks saw requests nothing matched."""
    __tracebackhide__ = True
    result = yield
    mocks = item.stash.get(_MOCKS_OF_TEST, [])
    if mocks and not _unmatched_allowed(item):
        found = find_unmatched(mocks)
        if found:
            item.stash[_FAILED_BY_CHECK] = True
            raise AssertionError(found.report(_HOW_TO_ALLOW))
        if found.unchecked:
            warnings.warn(
                "the check for unmatched requests only saw the requests the mocks kept:\n"
                + "\n".join(found.unchecked),
                HistoryLimitWarning,
                stacklevel=1,
            )
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """When a test failed for another reason (often the app raising on the mock's 404), add
    why its requests matched no preset to the report, as a section of its own; sections
    travel with the report to the xdist controller."""
    report = yield
    if report.when == "call" and report.failed and not item.stash.get(_FAILED_BY_CHECK, False):
        mocks = item.stash.get(_MOCKS_OF_TEST, [])
        found = find_unmatched(mocks) if mocks else None
        if found:
            report.sections.append((UNMATCHED_SECTION, found.report()))
    return report


def _unmatched_allowed(item: pytest.Item) -> bool:
    return bool(
        item.config.getoption("--pretenders-allow-unmatched")
        or item.get_closest_marker(ALLOW_UNMATCHED_MARKER)
    )


def unmatched_report(mocks: list[HTTPMock]) -> str:
    """A readable list of the requests that matched no preset, or "" if there were none."""
    return check_unmatched(mocks)[0]


def check_unmatched(mocks: list[HTTPMock]) -> tuple[str, list[str]]:
    """The report of :func:`unmatched_report`, and a line per mock whose history limit
    dropped requests, which went unchecked."""
    found = find_unmatched(mocks)
    return found.report(_HOW_TO_ALLOW), found.unchecked


def _discard(mock: HTTPMock | SMTPMock) -> None:
    with contextlib.suppress(PretendersError):
        mock.delete_mock()
    mock.close()
