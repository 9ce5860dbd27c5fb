"""HTTPS mocks: trusted through the server's authority, a certificate per name asked for
(SNI), client certificates asked for, recorded and matched."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
import requests

from pretenders.client.http import HTTPMock
from pretenders.common.constants import FOREVER
from tests.deployments.matrix import Deployed
from tests.network_ports.helpers import client_certificate, peer_names, trusting, wait_refused

pytestmark = pytest.mark.deployments


def test_an_https_mock_is_trusted_with_the_authority_and_refused_without(
    make_mock: Callable[..., HTTPMock], tmp_path: Path
) -> None:
    mock = make_mock(own_port=0, tls=True)
    assert mock.pretend_url.startswith("https://")
    assert mock.ca_pem is not None
    mock.when("GET /secure").reply("sealed", times=FOREVER)
    ca_file = tmp_path / "ca.pem"
    ca_file.write_text(mock.ca_pem)

    assert httpx.get(mock.pretend_url + "/secure", verify=trusting(mock.ca_pem)).text == "sealed"
    assert requests.get(mock.pretend_url + "/secure", verify=str(ca_file), timeout=10).text == (
        "sealed"
    )
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        httpx.get(mock.pretend_url + "/secure")
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(mock.pretend_url + "/secure", timeout=10)

    recorded = mock.get_request(0)
    assert recorded is not None
    assert recorded.url == "/secure"


def test_the_authority_is_downloadable_and_the_starttls_certificate_still_is(
    admin: httpx.Client,
) -> None:
    authority = admin.get("/tls/ca.pem")
    assert authority.status_code == 200
    assert authority.headers["content-type"] == "application/x-pem-file"
    assert authority.text.startswith("-----BEGIN CERTIFICATE-----")
    starttls = admin.get("/tls/certificate")
    assert starttls.status_code == 200
    assert starttls.text.startswith("-----BEGIN CERTIFICATE-----")


def test_each_name_asked_for_gets_its_own_certificate(admin: httpx.Client) -> None:
    created = admin.post(
        "/http", json={"port": 0, "tls": True, "hosts": ["api.example.com", "auth.example.com"]}
    ).json()
    try:
        ca = created["ca"]
        assert peer_names(created["url"], "api.example.com", ca) == ["api.example.com"]
        assert peer_names(created["url"], "auth.example.com", ca) == ["auth.example.com"]
        # A name the mock does not answer to gets its default certificate (its names and
        # the loopback ones), which a client checking the name refuses.
        assert "other.example.org" not in peer_names(created["url"], "other.example.org", ca)
        assert "api.example.com" in peer_names(created["url"], "other.example.org", ca)
    finally:
        admin.delete(f"/http/{created['id']}")


def test_sni_names_are_recorded_and_verified_by_httpx(admin: httpx.Client) -> None:
    created = admin.post(
        "/http", json={"port": 0, "tls": True, "hosts": ["api.example.com", "auth.example.com"]}
    ).json()
    mock_id, port = created["id"], httpx.URL(created["url"]).port
    try:
        admin.post(
            f"/preset/{mock_id}",
            json={"rule": {"host": "api.example.com"}, "body": "YXBp", "times": "FOREVER"},
        )
        admin.post(
            f"/preset/{mock_id}",
            json={"rule": {"host": "auth.example.com"}, "body": "YXV0aA==", "times": "FOREVER"},
        )
        # Each name is reached on 127.0.0.1, the name in the TLS handshake and in Host (as
        # a client whose resolver sends the name here would send them).
        for name, expected in (("api.example.com", "api"), ("auth.example.com", "auth")):
            with httpx.Client(verify=trusting(created["ca"])) as client:  # a connection each
                answer = client.get(
                    f"https://127.0.0.1:{port}/who",
                    headers={"Host": name},
                    extensions={"sni_hostname": name},
                )
            assert answer.text == expected
        names = [r["server_name"] for r in admin.get(f"/history/{mock_id}").json()]
        assert names == ["api.example.com", "auth.example.com"]
    finally:
        admin.delete(f"/http/{mock_id}")


def test_a_required_client_certificate_refuses_clients_without_one(
    admin: httpx.Client, tmp_path: Path
) -> None:
    created = admin.post("/http", json={"port": 0, "tls": True, "client_cert": "required"}).json()
    mock_id = created["id"]
    try:
        admin.post(
            f"/preset/{mock_id}",
            json={"rule": {"client_cert": "CN=alice"}, "body": "aGkgYWxpY2U=", "times": 5},
        )
        with pytest.raises(httpx.TransportError):
            httpx.get(created["url"] + "/me", verify=trusting(created["ca"]))

        alice = client_certificate(admin, "alice", tmp_path)
        bob = client_certificate(admin, "bob", tmp_path)
        as_alice = httpx.get(created["url"] + "/me", verify=trusting(created["ca"], alice))
        assert as_alice.text == "hi alice"
        ca_file = tmp_path / "ca.pem"
        ca_file.write_text(created["ca"])
        as_bob = requests.get(
            created["url"] + "/me", verify=str(ca_file), cert=(str(bob[0]), str(bob[1])), timeout=10
        )
        assert as_bob.status_code == 404
        assert 'client cert: expected "CN=alice", got "CN=bob"' in as_bob.text

        history = admin.get(f"/history/{mock_id}").json()
        assert [r["client_cert"] for r in history] == ["CN=alice", "CN=bob"]
        assert all(r["tls"] and len(r["client_cert_sha256"]) == 64 for r in history)
        counted = admin.post(f"/count/{mock_id}", json={"client_cert": "CN=bob"}).json()
        assert counted["count"] == 1
    finally:
        admin.delete(f"/http/{mock_id}")
    wait_refused(created["url"])


def test_an_optional_client_certificate_lets_both_in(admin: httpx.Client, tmp_path: Path) -> None:
    created = admin.post("/http", json={"port": 0, "tls": True, "client_cert": "optional"}).json()
    mock_id = created["id"]
    try:
        admin.post(
            f"/preset/{mock_id}",
            json={"rule": {"client_cert": {"absent": True}}, "body": "YW5vbnltb3Vz"},
        )
        assert httpx.get(created["url"], verify=trusting(created["ca"])).text == "anonymous"
        carol = client_certificate(admin, "carol", tmp_path)
        with_one = httpx.get(created["url"], verify=trusting(created["ca"], carol))
        assert with_one.status_code == 404
        assert [r["client_cert"] for r in admin.get(f"/history/{mock_id}").json()] == [
            None,
            "CN=carol",
        ]
    finally:
        admin.delete(f"/http/{mock_id}")


def test_python_ssl_trusts_the_authority_by_file(admin: httpx.Client, tmp_path: Path) -> None:
    created = admin.post("/http", json={"port": 0, "tls": True}).json()
    try:
        ca_file = tmp_path / "ca.pem"
        ca_file.write_text(created["ca"])
        context = ssl.create_default_context(cafile=str(ca_file))
        url = httpx.URL(created["url"])
        with (
            socket.create_connection(("127.0.0.1", url.port or 443), timeout=5) as raw,
            context.wrap_socket(raw, server_hostname="localhost") as tls,
        ):
            tls.sendall(b"GET /raw HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            answer = b""
            while chunk := tls.recv(4096):
                answer += chunk
        assert answer.startswith(b"HTTP/1.1 404")
    finally:
        admin.delete(f"/http/{created['id']}")


def test_a_client_certificate_needs_a_name(admin: httpx.Client) -> None:
    answer = admin.post("/tls/client-certificate", json={"name": ""})
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["field"] == "name"
    missing = admin.post("/tls/client-certificate", json={})
    assert missing.status_code == 400
    assert "name" in missing.json()["errors"][0]["message"]


def test_a_client_certificate_name_past_64_bytes_is_refused(admin: httpx.Client) -> None:
    # 40 characters, 120 bytes: a common name is bounded in bytes, not characters.
    answer = admin.post("/tls/client-certificate", json={"name": "\u20ac" * 40})
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["field"] == "name"
    assert "64 bytes" in answer.json()["errors"][0]["message"]
    fits = admin.post("/tls/client-certificate", json={"name": "\u20ac" * 21})
    assert fits.status_code == 200, fits.text


def test_the_request_page_shows_the_tls_name_and_client_certificate(
    admin: httpx.Client, server: Deployed, tmp_path: Path
) -> None:
    created = admin.post(
        "/http", json={"port": 0, "tls": True, "client_cert": "optional", "hosts": ["a.test"]}
    ).json()
    try:
        erin = client_certificate(admin, "erin", tmp_path)
        port = httpx.URL(created["url"]).port
        with httpx.Client(verify=trusting(created["ca"], erin)) as client:
            client.get(f"https://127.0.0.1:{port}/", extensions={"sni_hostname": "a.test"})
        fingerprint = admin.get(f"/history/{created['id']}").json()[0]["client_cert_sha256"]
        with httpx.Client(base_url=server.url, headers={"Origin": server.url}) as ui:
            page = ui.get(f"/ui/http/{created['id']}/requests/0").text
        assert "HTTPS · name <code>a.test</code>" in page
        assert "<code>CN=erin</code>" in page
        assert f"SHA-256 {fingerprint}" in page
    finally:
        admin.delete(f"/http/{created['id']}")
