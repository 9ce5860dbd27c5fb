"""Fixtures for the web UI: one headless Chromium per session, a fresh page per test."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from typing import TYPE_CHECKING, TypeVar

import httpx
import pytest

from pretenders.server.core.records import MailRecord
from pretenders.server.core.registry import Mock
from pretenders.server.embedded import EmbeddedServer
from pretenders.server.state import STATE
from tests.ui.chromium import chromium, missing

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

T = TypeVar("T")


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    reason = missing()
    if reason:
        pytest.skip(reason)
    with chromium() as running:
        yield running


@pytest.fixture
def dialogs() -> list[str]:
    """Messages of every alert/confirm/prompt a page opened: any is a script that ran."""
    return []


@pytest.fixture
def page(browser: Browser, server: EmbeddedServer, dialogs: list[str]) -> Iterator[Page]:
    context = browser.new_context(base_url=server.url, accept_downloads=True)
    context.set_default_timeout(10_000)
    opened = context.new_page()

    def on_dialog(dialog: object) -> None:
        dialogs.append(dialog.message)  # type: ignore[attr-defined]
        dialog.dismiss()  # type: ignore[attr-defined]

    opened.on("dialog", on_dialog)
    yield opened
    context.close()


def on_server_loop(server: EmbeddedServer, function: Callable[[], T]) -> T:
    """Run ``function`` on the server's event loop, where the registry lives, and wait."""
    loop: asyncio.AbstractEventLoop = server._loop  # type: ignore[assignment]
    result: Future[T] = Future()

    def run() -> None:
        try:
            result.set_result(function())
        except BaseException as error:
            result.set_exception(error)

    loop.call_soon_threadsafe(run)
    return result.result(timeout=10)


def server_mock(server: EmbeddedServer, protocol: str, mock_id: str) -> Mock:
    registry = server._server.app[STATE].registry  # type: ignore[union-attr]
    return on_server_loop(server, lambda: registry.get(protocol, mock_id))  # type: ignore[arg-type]


@pytest.fixture
def smtp_mock(server: EmbeddedServer) -> Iterator[str]:
    """An SMTP mock made in-process (mail is added to it with ``add_mail``)."""
    registry = server._server.app[STATE].registry  # type: ignore[union-attr]
    name = f"mail-{time.monotonic_ns()}"
    mock = on_server_loop(server, lambda: registry.create_or_join("smtp", name, None)[0])
    yield mock.id
    if on_server_loop(server, lambda: registry.find(name)) is not None:
        on_server_loop(server, lambda: registry.delete("smtp", name))


def add_mail(
    server: EmbeddedServer,
    mock_id: str,
    data: bytes,
    mail_from: str = "sender@example.com",
    rcpt_tos: tuple[str, ...] = ("rcpt@example.com",),
) -> None:
    mock = server_mock(server, "smtp", mock_id)
    record = MailRecord("127.0.0.1:40000", mail_from, list(rcpt_tos), data, time.time())
    on_server_loop(server, lambda: mock.record(record))


CSRF = re.compile(
    r'<form method="post" action="([^"]+)"[^>]*>\s*'
    r'<input type="hidden" name="csrf_token" value="([0-9a-f]+)"'
)


def csrf_tokens(html: str) -> dict[str, str]:
    """Each form's action and CSRF token, as a page hands them out."""
    return {action.replace("&amp;", "&"): token for action, token in CSRF.findall(html)}


@pytest.fixture
def ui(server: EmbeddedServer) -> Iterator[httpx.Client]:
    """A plain client for UI pages, sending what a browser on the UI's own page sends."""
    with httpx.Client(base_url=server.url, timeout=10, headers={"Origin": server.url}) as client:
        yield client
