"""Fixtures: a real server on a free port, and plain HTTP clients to talk to it."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import TypeVar

import httpx
import pytest

from pretenders.client.http import HTTPMock
from pretenders.client.smtp import SMTPMock
from pretenders.common.exceptions import ResourceNotFound
from pretenders.server.embedded import EmbeddedServer

pytest_plugins = ["pytester"]


@pytest.fixture(scope="session")
def server() -> Iterator[EmbeddedServer]:
    """One real server for the session, in a background thread, on a free port."""
    with EmbeddedServer() as running:
        yield running


@pytest.fixture
def admin(server: EmbeddedServer) -> Iterator[httpx.Client]:
    """A plain HTTP client for the admin API and the mock endpoints."""
    with httpx.Client(base_url=server.url, timeout=10) as client:
        yield client


Client = TypeVar("Client", HTTPMock, SMTPMock)


def _mocks_of_a_test(kind: type[Client], server: EmbeddedServer) -> Iterator[Callable[..., Client]]:
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
def make_mock(server: EmbeddedServer) -> Iterator[Callable[..., HTTPMock]]:
    """Create HTTP mocks through the client; they are deleted after the test."""
    yield from _mocks_of_a_test(HTTPMock, server)


@pytest.fixture
def make_smtp(server: EmbeddedServer) -> Iterator[Callable[..., SMTPMock]]:
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
