"""compose.yaml: two pretenders servers on one Redis, behind a load balancer.

Docker is not needed: the file's shape is checked, and each server's command is parsed
by the server's own argument parser.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from pretenders.server.server import parse_args

ROOT = Path(__file__).parents[2]


def compose() -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "compose.yaml").read_text())
    assert isinstance(data, dict)
    return data


def servers() -> dict[str, dict[str, Any]]:
    """The services built from the Dockerfile: the pretenders servers."""
    return {
        name: service
        for name, service in compose()["services"].items()
        if service.get("build") == "."
    }


def haproxy_backends() -> list[tuple[str, str]]:
    """(name, address) of each ``server`` line of the load balancer's configuration."""
    text = (ROOT / "deploy" / "haproxy.cfg").read_text()
    return re.findall(r"^\s*server\s+(\S+)\s+(\S+)", text, flags=re.MULTILINE)


def test_two_servers_share_one_redis_store() -> None:
    found = servers()
    assert len(found) == 2
    stores = {parse_args(service["command"]).store for service in found.values()}
    assert stores == {"redis://redis:6379/0"}
    for service in found.values():
        arguments = parse_args(service["command"])
        assert (arguments.host, arguments.port) == ("0.0.0.0", 8000)
        assert arguments.workers == 1
        assert "/health" in " ".join(service["healthcheck"]["test"])
        assert service["depends_on"]["redis"]["condition"] == "service_healthy"
        assert "PRETENDERS_ADMIN_TOKEN" in service["environment"]


def test_only_one_server_loads_the_mock_file() -> None:
    loads = [parse_args(service["command"]).load for service in servers().values()]
    assert sorted(loads, key=len) == [[], ["/mocks/mocks.yaml"]]
    loader = next(s for s in servers().values() if parse_args(s["command"]).load)
    source = loader["volumes"][0].split(":")[0]
    assert (ROOT / source).exists()


def test_redis_keeps_an_append_only_file_on_a_volume() -> None:
    redis = compose()["services"]["redis"]
    assert str(redis["image"]).startswith("redis:7")
    command = redis["command"]
    assert command[command.index("--appendonly") + 1] == "yes"
    volume = redis["volumes"][0].split(":")
    assert volume[1] == "/data" and volume[0] in compose()["volumes"]
    assert "ping" in redis["healthcheck"]["test"]


def test_the_load_balancer_spreads_over_both_servers_without_stickiness() -> None:
    balancer = compose()["services"]["pretenders"]
    assert str(balancer["image"]).startswith("haproxy:")
    assert balancer["ports"] == ["8000:8000"]
    config = balancer["volumes"][0].split(":")
    assert (ROOT / config[0]).resolve() == ROOT / "deploy" / "haproxy.cfg"
    assert config[1] == "/usr/local/etc/haproxy/haproxy.cfg"
    assert sorted(balancer["depends_on"]) == sorted(servers())
    backends = haproxy_backends()
    assert backends == [(name, f"{name}:8000") for name in sorted(servers())]
    text = (ROOT / "deploy" / "haproxy.cfg").read_text()
    assert re.search(r"^\s*bind\s+:8000$", text, flags=re.MULTILINE)
    assert "balance roundrobin" in text
    assert "uri /health" in text
    for sticky in ("stick-table", "stick on", "cookie", "prefer-last-server", "balance source"):
        assert sticky not in text


def test_servers_answer_to_the_name_the_balancer_is_reached_by() -> None:
    # The balancer passes the client's Host on: other services send "pretenders".
    for service in servers().values():
        allowed = service["environment"]["PRETENDERS_ALLOWED_HOSTS"].split(",")
        assert "pretenders" in allowed
