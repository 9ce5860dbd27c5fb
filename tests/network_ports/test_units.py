"""The parts without sockets: host names, the context cache's bound, the host of a request."""

from __future__ import annotations

import pytest

from pretenders.server.certificates import CertificateAuthority, valid_host_name
from pretenders.server.core.matching import MatchSubject
from pretenders.server.core.records import RequestRecord
from pretenders.server.core.rule_fields import host_of
from pretenders.server.https import HttpsContexts, answers_to


@pytest.mark.parametrize(
    ("name", "valid"),
    [
        ("api.example.com", True),
        ("*.example.com", True),
        ("localhost", True),
        ("127.0.0.1", True),
        ("::1", True),
        ("bad host", False),
        ("a..b", False),
        ("", False),
        ("x" * 254, False),
        ("-leading.example.com", False),
    ],
)
def test_host_names(name: str, valid: bool) -> None:
    assert valid_host_name(name) is valid


def test_which_names_a_mock_answers_to() -> None:
    assert answers_to([], "anything.example.com")
    assert answers_to(["api.example.com"], "api.example.com")
    assert not answers_to(["api.example.com"], "auth.example.com")
    assert answers_to(["*.example.com"], "auth.example.com")
    assert not answers_to(["*.example.com"], "a.b.example.com")


def test_the_context_cache_is_bounded() -> None:
    contexts = HttpsContexts(CertificateAuthority.generate(), limit=3)
    first = contexts.context(("a.example.com",), None)
    for name in ("b", "c", "d"):
        contexts.context((f"{name}.example.com",), None)
    assert len(contexts) == 3
    assert contexts.context(("a.example.com",), None) is not first  # dropped, made again
    assert contexts.context(("a.example.com",), None) is contexts.context(("a.example.com",), None)


@pytest.mark.parametrize(
    ("headers", "server_name", "host"),
    [
        ((("Host", "API.example.com:8443"),), None, "api.example.com"),
        ((("Host", "[::1]:80"),), None, "::1"),
        ((("Host", "example.com"),), "other.example.com", "example.com"),
        ((), "sni.example.com", "sni.example.com"),
        ((), None, None),
    ],
)
def test_the_host_a_request_is_for(
    headers: tuple[tuple[str, str], ...], server_name: str | None, host: str | None
) -> None:
    record = RequestRecord("GET", "/", headers, b"", 0.0, server_name=server_name)
    assert host_of(MatchSubject(record)) == host
