"""The examples of docs/network.md, each run as a program against a real server."""

from __future__ import annotations

import os
import re
import ssl
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from pretenders.server.embedded import EmbeddedServer
from pretenders.server.loader import LoadError
from tests.deployments.matrix import Deployed
from tests.network_ports.helpers import free_port

DOC = Path(__file__).parents[2] / "docs" / "network.md"


def examples() -> list[str]:
    """The Python blocks marked ``<!-- network-example -->``, in order."""
    return re.findall(r"<!-- network-example -->\s*```python\n(.*?)```", DOC.read_text(), re.S)


def test_every_section_has_its_example() -> None:
    assert len(examples()) == 6


@pytest.mark.parametrize("number", range(6))
def test_the_example_runs(number: int, server: Deployed, tmp_path: Path) -> None:
    code = examples()[number]
    code = code.replace('"localhost", 8000', f'"{server.host}", {server.port}')
    code = code.replace("localhost:8000", f"{server.host}:{server.port}")
    environment = {
        name: value
        for name, value in os.environ.items()
        if name not in ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "SSL_CERT_DIR")
    }
    program = tmp_path / "example.py"
    program.write_text(code)
    done = subprocess.run(
        [sys.executable, str(program)],
        capture_output=True,
        text=True,
        timeout=60,
        env=environment,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr


def test_the_load_file_example_serves_https_on_its_port(tmp_path: Path) -> None:
    found = re.search(r"<!-- network-load-example -->\s*```yaml\n(.*?)```", DOC.read_text(), re.S)
    assert found, "docs/network.md has no network-load-example block"
    port = free_port()
    mocks = tmp_path / "payments.yaml"
    mocks.write_text(found.group(1).replace("port: 8443", f"port: {port}"))
    with EmbeddedServer(load=(str(mocks),)) as server:
        authority = httpx.get(server.url + "/tls/ca.pem").text
        assert httpx.get(server.url + "/http/payments").json()["url"] == f"https://127.0.0.1:{port}"
        with httpx.Client(verify=ssl.create_default_context(cadata=authority)) as client:
            answer = client.get(
                f"https://127.0.0.1:{port}/v1/status",
                headers={"Host": f"api.payments.example:{port}"},
                extensions={"sni_hostname": "api.payments.example"},
            )
        assert answer.json() == {"status": "up"}


def test_a_load_file_with_bad_network_options_names_them(tmp_path: Path) -> None:
    mocks = tmp_path / "bad.yaml"
    mocks.write_text(
        "mocks:\n"
        "  - {name: a, tls: true}\n"
        "  - {name: b, protocol: smtp, port: 0}\n"
        "  - {name: c, hosts: ['not a host']}\n"
    )
    server = EmbeddedServer(load=(str(mocks),))
    with pytest.raises(LoadError) as raised:
        server.start()
    message = str(raised.value)
    assert "tls needs a port of its own" in message
    assert "port, tls, hosts and client_cert are for HTTP mocks" in message
    assert "'not a host' is not a host name" in message
