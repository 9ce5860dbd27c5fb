"""The certificate authority: given by the user, or agreed on by the processes of a store."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from pretenders.server.certificates import CertificateAuthority, CertificateError
from pretenders.server.embedded import EmbeddedServer
from pretenders.server.server import parse_args
from tests.deployments.redis_server import RedisServer
from tests.network_ports.helpers import client_certificate, trusting, wait_refused


def _authority_files(directory: Path) -> tuple[Path, Path]:
    authority = CertificateAuthority.generate("our own test CA")
    pem = authority.to_pem().decode()
    split = pem.index("-----BEGIN PRIVATE KEY-----")
    cert, key = directory / "ca.pem", directory / "ca.key"
    cert.write_text(pem[:split])
    key.write_text(pem[split:])
    return cert, key


def test_a_given_authority_signs_the_mocks_certificates(tmp_path: Path) -> None:
    cert, key = _authority_files(tmp_path)
    with (
        EmbeddedServer(tls_ca_cert=str(cert), tls_ca_key=str(key)) as server,
        httpx.Client(base_url=server.url) as admin,
    ):
        assert admin.get("/tls/ca.pem").text == cert.read_text()
        created = admin.post("/http", json={"port": 0, "tls": True}).json()
        answer = httpx.get(created["url"] + "/", verify=trusting(cert.read_text()))
        assert answer.status_code == 404  # trusted: the mock answered


def test_a_key_that_is_not_the_authoritys_stops_the_start(tmp_path: Path) -> None:
    (tmp_path / "one").mkdir()
    (tmp_path / "other").mkdir()
    cert, _ = _authority_files(tmp_path / "one")
    _, other_key = _authority_files(tmp_path / "other")
    with pytest.raises(CertificateError, match="is not the private key of --tls-ca-cert"):
        CertificateAuthority.load(str(cert), str(other_key))
    with pytest.raises(CertificateError, match="not a PEM certificate"):
        CertificateAuthority.load(str(other_key), str(other_key))


def test_the_ca_options_go_together(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        parse_args(["--tls-ca-cert", "ca.pem"])
    assert "--tls-ca-cert and --tls-ca-key go together" in capsys.readouterr().err


def test_two_processes_on_one_store_share_the_authority_and_the_ports_owner(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    store = redis_server.url(redis_server.new_db())
    with (
        EmbeddedServer(store=store) as one,
        EmbeddedServer(store=store) as other,
        httpx.Client(base_url=one.url) as first,
        httpx.Client(base_url=other.url) as second,
    ):
        authority = first.get("/tls/ca.pem").text
        assert second.get("/tls/ca.pem").text == authority
        created = first.post(
            "/http", json={"name": "shared", "port": 0, "tls": True, "client_cert": "required"}
        ).json()
        assert second.post("/http", json={"name": "shared"}).json()["url"] == created["url"]
        second.post("/preset/shared", json={"rule": {"client_cert": "CN=dave"}, "body": "b2s="})
        # A client certificate made by the other process is good on this one's port.
        dave = client_certificate(second, "dave", tmp_path)
        answer = httpx.get(created["url"] + "/", verify=trusting(authority, dave))
        assert answer.text == "ok"
        assert second.get("/history/shared").json()[0]["client_cert"] == "CN=dave"
        # Deleted through the other process: the process that opened the port closes it.
        assert second.delete("/http/shared").status_code == 200
        wait_refused(created["url"])
