"""Django's SMTP backend, with STARTTLS and a login, works against an SMTP mock unchanged."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from pretenders.client.smtp import SMTPMock
from pretenders.server.embedded import EmbeddedServer

pytest.importorskip("django", reason="Django is part of the dev extra")


def test_django_starttls_and_login(server: EmbeddedServer, tmp_path: Path) -> None:
    certificate = tmp_path / "pretenders.pem"
    certificate.write_bytes(httpx.get(f"{server.url}/tls/certificate").content)
    mock = SMTPMock(server.host, server.port)
    try:
        done = subprocess.run(
            [
                sys.executable,
                str(Path(__file__).with_name("django_send_mail.py")),
                str(mock.pretend_port),
            ],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "SSL_CERT_FILE": str(certificate)},
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == "sent 1"
        mail = mock.get_email(0)
        assert mail is not None
        assert (mail.tls, mail.login, mail.password) == (True, "django-app", "app-password")
        assert (mail.subject, mail.rcpt_tos) == ("Welcome", ["new.user@example.com"])
        assert mail.content == "Thanks for signing up.\n"
    finally:
        mock.delete_mock()
        mock.close()
