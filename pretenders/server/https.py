"""TLS for HTTPS mocks: a context per mock, a certificate per host name asked for (SNI).

Each HTTPS mock presents, by default, a certificate for its ``hosts`` and the loopback
names; a client that asks for a name (SNI) gets one issued for that name on the spot, by
the server's :class:`CertificateAuthority`, when the mock answers to it (any name, when
the mock lists no ``hosts``). Contexts are cached per name, up to
:data:`MAX_CACHED_CONTEXTS`, the least recently used dropped first.
"""

from __future__ import annotations

import fnmatch
import ssl
import tempfile
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pretenders.server.certificates import (
    LOCAL_NAMES,
    CertificateAuthority,
    describe_certificate,
    valid_host_name,
)

ClientCertMode = Literal["required", "optional"]

MAX_CACHED_CONTEXTS = 1024
"""TLS contexts (each with its certificate) kept per server, for the names and client
certificate modes asked for recently."""

_SERVER_NAME = "pretenders_server_name"
"""The attribute of a connection's ``ssl.SSLObject`` that keeps the name its client asked
for: set during the handshake, read with each request."""

_VERIFY = {None: ssl.CERT_NONE, "optional": ssl.CERT_OPTIONAL, "required": ssl.CERT_REQUIRED}


@dataclass(frozen=True, slots=True)
class TlsFacts:
    """What a request's TLS connection tells: the name asked for (SNI) and the client's
    certificate (its subject and SHA-256 fingerprint), each None when there is none."""

    server_name: str | None
    client_cert: str | None
    client_cert_sha256: str | None


def tls_facts(ssl_object: ssl.SSLObject | None) -> TlsFacts:
    """The :class:`TlsFacts` of a connection (``transport.get_extra_info("ssl_object")``)."""
    if ssl_object is None:
        return TlsFacts(None, None, None)
    der = ssl_object.getpeercert(binary_form=True)
    subject, fingerprint = describe_certificate(der) if der else (None, None)
    return TlsFacts(getattr(ssl_object, _SERVER_NAME, None), subject, fingerprint)


def answers_to(hosts: Sequence[str], name: str) -> bool:
    """Whether a mock with these ``hosts`` answers to ``name`` (all names when none given;
    ``*.example.com`` covers one label below ``example.com``)."""
    if not hosts:
        return True
    for host in hosts:
        if host == name:
            return True
        wildcard = host.startswith("*.") and name.count(".") == host.count(".")
        if wildcard and fnmatch.fnmatchcase(name, host):
            return True
    return False


class HttpsContexts:
    """The TLS contexts of a server's HTTPS mocks, from its certificate authority."""

    def __init__(self, authority: CertificateAuthority, limit: int = MAX_CACHED_CONTEXTS) -> None:
        self.authority = authority
        self.limit = limit
        self._contexts: OrderedDict[tuple[tuple[str, ...], str | None], ssl.SSLContext]
        self._contexts = OrderedDict()

    def __len__(self) -> int:
        return len(self._contexts)

    def for_mock(self, hosts: Sequence[str], client_cert: ClientCertMode | None) -> ssl.SSLContext:
        """The context an HTTPS mock listens with: its default certificate is for
        ``hosts`` and the loopback names, and a name asked for gets its own."""
        names = tuple(hosts) + tuple(n for n in LOCAL_NAMES if n not in hosts)
        context = self._make(names, client_cert)
        wanted = tuple(hosts)

        def choose(ssl_object: ssl.SSLObject, name: str | None, _: ssl.SSLContext) -> None:
            if name is None:
                return
            name = name.lower()
            setattr(ssl_object, _SERVER_NAME, name)
            if answers_to(wanted, name) and valid_host_name(name):
                ssl_object.context = self.context((name,), client_cert)

        context.sni_callback = choose
        return context

    def context(self, names: tuple[str, ...], client_cert: ClientCertMode | None) -> ssl.SSLContext:
        """The cached context with a certificate for ``names`` (made on first use)."""
        key = (names, client_cert)
        context = self._contexts.get(key)
        if context is not None:
            self._contexts.move_to_end(key)
            return context
        context = self._contexts[key] = self._new_context(names, client_cert)
        while len(self._contexts) > self.limit:
            self._contexts.popitem(last=False)
        return context

    def _make(self, names: tuple[str, ...], client_cert: ClientCertMode | None) -> ssl.SSLContext:
        # Not cached: the mock's own context carries its own SNI callback.
        return self._new_context(names, client_cert)

    def _new_context(
        self, names: tuple[str, ...], client_cert: ClientCertMode | None
    ) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        chain = self.authority.issue(names)
        # load_cert_chain only reads files; they live just long enough to be read, in a
        # directory only this user can enter.
        with tempfile.TemporaryDirectory(prefix="pretenders-https-") as directory:
            cert_path, key_path = Path(directory, "cert.pem"), Path(directory, "key.pem")
            cert_path.write_bytes(chain)
            key_path.write_bytes(self.authority.leaf_key_pem)
            context.load_cert_chain(cert_path, key_path)
        context.verify_mode = _VERIFY[client_cert]
        if client_cert is not None:
            context.load_verify_locations(cadata=self.authority.certificate_pem.decode("ascii"))
        return context


__all__ = [
    "MAX_CACHED_CONTEXTS",
    "ClientCertMode",
    "HttpsContexts",
    "TlsFacts",
    "answers_to",
    "tls_facts",
]
