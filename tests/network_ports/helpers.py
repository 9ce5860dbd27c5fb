"""Helpers of the network tests: a free port, refused connections, certificates on disk."""

from __future__ import annotations

import socket
import ssl
from pathlib import Path

import httpx

from tests.waiting import wait_until


def refused(url: str) -> bool:
    """Whether a connection to ``url``'s port is refused (nothing listens there)."""
    port = httpx.URL(url).port
    assert port is not None
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            return False
    except ConnectionRefusedError:
        return True


def wait_refused(url: str, timeout: float = 10) -> None:
    """Wait until nothing listens on ``url``'s port any more (bounded)."""
    wait_until(lambda: refused(url), timeout=timeout)


def trusting(ca_pem: str, cert: tuple[Path, Path] | None = None) -> ssl.SSLContext:
    """A client context that trusts ``ca_pem`` (and presents ``cert``, if given)."""
    context = ssl.create_default_context(cadata=ca_pem)
    if cert is not None:
        context.load_cert_chain(*cert)
    return context


def client_certificate(admin: httpx.Client, name: str, directory: Path) -> tuple[Path, Path]:
    """A client certificate for ``name`` from the server, as (certificate, key) files."""
    answer = admin.post("/tls/client-certificate", json={"name": name})
    assert answer.status_code == 200, answer.text
    cert, key = directory / f"{name}.pem", directory / f"{name}.key"
    cert.write_text(answer.json()["certificate"])
    key.write_text(answer.json()["key"])
    return cert, key


def peer_names(url: str, server_name: str, ca_pem: str) -> list[str]:
    """The DNS names of the certificate the server at ``url`` presents for ``server_name``."""
    parsed = httpx.URL(url)
    context = ssl.create_default_context(cadata=ca_pem)
    context.check_hostname = False
    with (
        socket.create_connection(("127.0.0.1", parsed.port or 443), timeout=5) as raw,
        context.wrap_socket(raw, server_hostname=server_name) as tls,
    ):
        certificate = tls.getpeercert()
    assert certificate is not None
    names: tuple[tuple[str, str], ...] = certificate.get("subjectAltName", ())  # type: ignore[assignment]
    return [value for kind, value in names if kind == "DNS"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
