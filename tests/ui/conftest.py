"""Fixtures for the web UI: one headless Chromium per session, a fresh page per test."""

from __future__ import annotations

import re
import smtplib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import httpx
import pytest

from pretenders.server.embedded import EmbeddedServer
from tests.ui.chromium import chromium, missing

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page


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


@dataclass(frozen=True)
class SmtpMockInfo:
    id: str
    host: str
    port: int


@pytest.fixture
def smtp_mock(admin: httpx.Client) -> Iterator[SmtpMockInfo]:
    """A real SMTP mock, listening on its own port, created through the admin API."""
    created = admin.post("/smtp", json={})
    assert created.status_code == 200, created.text
    host, _, port = created.json()["full_host"].rpartition(":")
    mock = SmtpMockInfo(created.json()["id"], host, int(port))
    yield mock
    admin.delete(f"/smtp/{mock.id}")


def send_mail(
    mock: SmtpMockInfo,
    data: bytes,
    mail_from: str = "sender@example.com",
    rcpt_tos: tuple[str, ...] = ("rcpt@example.com",),
) -> None:
    """Send a message as it is, over SMTP; it is recorded once the server accepted it."""
    with smtplib.SMTP("127.0.0.1", mock.port, timeout=10) as client:
        client.sendmail(mail_from, list(rcpt_tos), data)


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
