"""pytest fixtures for pretenders, active once the package is installed.

- ``pretenders_server``: one server for the session; the embedded server by default, or an
  external one given with ``--pretenders-url`` or ``PRETENDERS_URL`` (and its admin token,
  if it has one, with ``--pretenders-token`` or ``PRETENDERS_ADMIN_TOKEN``).
- ``http_mock`` and ``smtp_mock``: a fresh mock per test, deleted after it.
- ``make_http_mock`` and ``make_smtp_mock``: factories for tests that need several.

A request that reached one of a test's HTTP mocks and matched no preset fails that test,
with the request in the message. Opt out with ``@pytest.mark.pretenders_allow_unmatched``
or ``--pretenders-allow-unmatched``.
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

from pretenders.client import _operations as ops
from pretenders.client._report import dropped_note
from pretenders.client.http import HTTPMock, RecordedRequest
from pretenders.client.smtp import SMTPMock
from pretenders.common.exceptions import HistoryLimitWarning, PretendersError
from pretenders.common.wire_names import TOKEN_VARIABLE
from pretenders.server.embedded import EmbeddedServer

URL_VARIABLE = "PRETENDERS_URL"
ALLOW_UNMATCHED_MARKER = "pretenders_allow_unmatched"

_MOCKS_OF_TEST = pytest.StashKey[list[HTTPMock]]()


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
    with EmbeddedServer() as server:
        yield ServerAddress(server.host, server.port)


Client = TypeVar("Client", HTTPMock, SMTPMock)


def _factory(
    kind: type[Client], server: ServerAddress, made: list[Client]
) -> Iterator[Callable[..., Client]]:
    """Yield ``make(name=None, timeout=None)``; delete what it made once the test is over."""

    def make(name: str | None = None, timeout: Any = None) -> Client:
        mock = kind(server.host, server.port, timeout, name, token=server.token)
        made.append(mock)
        return mock

    yield make
    for mock in made:
        _discard(mock)


@pytest.fixture
def make_http_mock(
    pretenders_server: ServerAddress, request: pytest.FixtureRequest
) -> Iterator[Callable[..., HTTPMock]]:
    """``make_http_mock(name=None, timeout=None)``: a new HTTP mock, deleted after the test."""
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
        report, unchecked = check_unmatched(mocks)
        if report:
            raise AssertionError(report)
        if unchecked:
            warnings.warn(
                "the check for unmatched requests only saw the requests the mocks kept:\n"
                + "\n".join(unchecked),
                HistoryLimitWarning,
                stacklevel=1,
            )
    return result


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
    lines: list[str] = []
    unchecked: list[str] = []
    for mock in mocks:
        try:
            recorded, dropped = mock._run(ops.history(mock.pretend_access_point_id))
        except PretendersError:
            continue  # the test deleted the mock itself
        if dropped:
            unchecked.append(f"  mock {mock.pretend_url}: {dropped_note(dropped)}")
        for request in recorded:
            if _is_unmatched(request):
                lines.append(f"  {request.method} {request.url}  (mock {mock.pretend_url})")
                lines.extend(f"      {line}" for line in _explanation(request))
    if not lines:
        return "", unchecked
    count = len([line for line in lines if not line.startswith("      ")])
    report = f"{count} request(s) to this test's HTTP mocks matched no preset:\n" + "\n".join(lines)
    if unchecked:
        report += "\nand older requests went unchecked:\n" + "\n".join(unchecked)
    report += (
        f"\n(allow them with @pytest.mark.{ALLOW_UNMATCHED_MARKER} or --pretenders-allow-unmatched)"
    )
    return report, unchecked


def _is_unmatched(recorded: RecordedRequest) -> bool:
    if recorded.data.get("body_too_large"):
        return True  # refused with a 413 before any preset could match
    return recorded.data.get("status") == 404 and recorded.data.get("preset") is None


def _explanation(recorded: RecordedRequest) -> list[str]:
    """Why the request missed: the closest presets, as the server recorded them."""
    if recorded.data.get("body_too_large"):
        return ["its body was over the server's --max-body-size: answered 413"]
    if "near_misses" not in recorded.data:
        return []  # an external server too old to record them
    misses = recorded.near_misses
    if not misses:
        return ["the mock had no presets"]
    return ["closest presets:", *(f"  {miss.text}" for miss in misses)]


def _discard(mock: HTTPMock | SMTPMock) -> None:
    with contextlib.suppress(PretendersError):
        mock.delete_mock()
    mock.close()
