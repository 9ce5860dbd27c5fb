"""Fixtures: a real server on a free port, and plain HTTP clients to talk to it.

A test module marked ``pytestmark = pytest.mark.deployments`` runs each test that uses the
server against every deployment chosen (ids ``[memory]``, ``[redis]``, ``[redis-pair]``;
``--deployments=memory`` or ``PRETENDERS_DEPLOYMENTS=memory,redis`` narrow them); a test in
it marked ``memory_only`` (it reads one server's state) and every other module get the
memory server only; one marked ``direct_only(reason=...)`` (it sends what no HTTP proxy
passes on) is skipped behind the front. See ``tests/deployments/matrix.py``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import httpx
import pytest

from pretenders.client.http import HTTPMock
from pretenders.client.smtp import SMTPMock
from pretenders.common.exceptions import ResourceNotFound
from tests.deployments import matrix
from tests.deployments.matrix import Deployed, Deployments
from tests.deployments.redis_server import RedisServer, require_redis

pytest_plugins = ["pytester"]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        matrix.OPTION,
        default=None,
        help="comma-separated deployments the tests marked 'deployments' run against: "
        f"{', '.join(matrix.KNOWN)} (default: ${matrix.VARIABLE}, else "
        f"{','.join(matrix.DEFAULT)})",
    )


def pytest_configure(config: pytest.Config) -> None:
    try:
        matrix.chosen(config.getoption(matrix.OPTION))
    except ValueError as error:
        raise pytest.UsageError(str(error)) from None


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    marked = metafunc.definition.get_closest_marker("deployments") is not None
    memory_only = metafunc.definition.get_closest_marker("memory_only") is not None
    if "deployment" in metafunc.fixturenames and marked and not memory_only:
        kinds = matrix.chosen(metafunc.config.getoption(matrix.OPTION))
        metafunc.parametrize("deployment", kinds, indirect=True, scope="session")


@pytest.fixture(autouse=True)
def _direct_only(request: pytest.FixtureRequest) -> None:
    """Skip a test marked ``direct_only`` on the deployments behind the alternating front."""
    marker = request.node.get_closest_marker("direct_only")
    callspec = getattr(request.node, "callspec", None)
    kind = callspec.params.get("deployment") if callspec is not None else None
    if marker is not None and kind in matrix.FRONTED:
        pytest.skip(f"not behind an HTTP proxy: {marker.kwargs.get('reason', marker.args)}")


@pytest.fixture(scope="session")
def deployment(request: pytest.FixtureRequest) -> str:
    """The name of the deployment the test runs against (``memory`` unless parametrized)."""
    return str(getattr(request, "param", matrix.MEMORY))


@pytest.fixture(scope="session")
def deployments(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployments]:
    """The session's deployments (and Redis), started on first use, stopped at the end."""
    pool = Deployments(tmp_path_factory.mktemp("redis"))
    yield pool
    pool.close()


@pytest.fixture(scope="session")
def redis_server(deployments: Deployments) -> RedisServer:
    """The session's ``redis-server`` (the one the redis deployments use): ``.url(db)``,
    ``.new_db()`` for a database no one else uses, ``.port``."""
    require_redis()
    return deployments.redis()


@pytest.fixture
def make_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., RedisServer]]:
    """``make_redis(appendonly=False, appendfsync="always")``: a ``redis-server`` of the test's
    own, started, in a directory of its own; ``.pause()``, ``.resume()``, ``.kill()``,
    ``.restart()`` (same port and directory) for fault tests. Stopped by PID after the test."""
    require_redis()
    started: list[RedisServer] = []

    def make(**options: Any) -> RedisServer:
        redis = RedisServer(tmp_path_factory.mktemp("redis"), **options)
        started.append(redis)
        return redis.start()

    yield make
    for redis in started:
        redis.stop()


@pytest.fixture(scope="session")
def start_deployment(
    deployments: Deployments,
) -> Callable[..., contextlib.AbstractContextManager[Deployed]]:
    """``start_deployment(kind, **server_options)``: another deployment of that kind, with
    these options, as a context manager (e.g. a module's server with a small history limit)."""

    def start(kind: str, **options: Any) -> contextlib.AbstractContextManager[Deployed]:
        if kind in matrix.ON_REDIS:
            require_redis()
        return deployments.start(kind, **options)

    return start


@pytest.fixture(scope="session")
def server(deployment: str, deployments: Deployments) -> Deployed:
    """One real server (or pair) for the session, in background threads, on a free port."""
    if deployment in matrix.ON_REDIS:
        require_redis()
    return deployments.get(deployment)


@pytest.fixture
def admin(server: Deployed) -> Iterator[httpx.Client]:
    """A plain HTTP client for the admin API and the mock endpoints."""
    with httpx.Client(base_url=server.url, timeout=10) as client:
        yield client


Client = TypeVar("Client", HTTPMock, SMTPMock)


def _mocks_of_a_test(kind: type[Client], server: Deployed) -> Iterator[Callable[..., Client]]:
    """Yield a factory of mocks made through the client; delete them after the test."""
    made: list[Client] = []

    def make(**options: object) -> Client:
        mock = kind(server.host, server.port, **options)  # type: ignore[arg-type]
        made.append(mock)
        return mock

    yield make
    for mock in made:
        with contextlib.suppress(ResourceNotFound):  # the test itself deleted it
            mock.delete_mock()
        mock.close()


@pytest.fixture
def make_mock(server: Deployed) -> Iterator[Callable[..., HTTPMock]]:
    """Create HTTP mocks through the client; they are deleted after the test."""
    yield from _mocks_of_a_test(HTTPMock, server)


@pytest.fixture
def make_smtp(server: Deployed) -> Iterator[Callable[..., SMTPMock]]:
    """Create SMTP mocks through the client; they are deleted after the test."""
    yield from _mocks_of_a_test(SMTPMock, server)


@pytest.fixture
def mock(make_mock: Callable[..., HTTPMock]) -> HTTPMock:
    return make_mock()


@pytest.fixture
def new_mock(admin: httpx.Client) -> Callable[..., str]:
    """Create a mock over plain HTTP; returns its id."""

    def create(**body: object) -> str:
        response = admin.post("/http", json=body)
        assert response.status_code == 200, response.text
        return str(response.json()["id"])

    return create
