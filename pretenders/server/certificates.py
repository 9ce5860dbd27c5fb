"""The server's certificate authority: made once per server (or given with ``--tls-ca-cert``
and ``--tls-ca-key``), it signs the certificates HTTPS mocks present, one per host name
asked for, and client certificates for tests that need one.

Tests trust the authority (``GET /tls/ca.pem``) once, and every HTTPS mock of the server
is then trusted under whatever names it answers to.
"""

from __future__ import annotations

import datetime
import hashlib
import ipaddress
import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey

MAX_NAME_LENGTH = 253
_DNS_NAME = re.compile(r"(?:\*\.)?(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.)*[a-z0-9_-]{1,63}\Z")

LOCAL_NAMES: tuple[str, ...] = ("localhost", "127.0.0.1", "::1")
"""Names every HTTPS mock's certificate also carries, so that a client that connects by
address (and so sends no name) verifies it too."""


class CertificateError(ValueError):
    """A certificate or key that cannot be used, with what to do about it."""


def valid_host_name(name: str) -> bool:
    """Whether ``name`` is a DNS name (``*.`` allowed in front) or an IP address."""
    if not name or len(name) > MAX_NAME_LENGTH:
        return False
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return _DNS_NAME.match(name.lower()) is not None
    return True


def _general_name(name: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)


def _public_der(key: Any) -> bytes:
    return bytes(
        key.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )


def _pem_key(key: PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


class CertificateAuthority:
    """A CA certificate and its key, and the leaf certificates it signs."""

    def __init__(self, certificate: x509.Certificate, key: PrivateKey) -> None:
        self.certificate = certificate
        self.key = key
        self.certificate_pem = certificate.public_bytes(serialization.Encoding.PEM)
        """What clients trust (``GET /tls/ca.pem``)."""
        # One key for every leaf a server presents: making a key is the costly step,
        # and these certificates only ever serve tests.
        self._leaf_key = ec.generate_private_key(ec.SECP256R1())
        self.leaf_key_pem = _pem_key(self._leaf_key)

    @classmethod
    def generate(cls, common_name: str = "pretenders test CA") -> CertificateAuthority:
        """A new authority, valid for ten years from yesterday."""
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name(
            [
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "pretenders"),
                x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            ]
        )
        now = datetime.datetime.now(datetime.timezone.utc)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
            )
            .sign(key, hashes.SHA256())
        )
        return cls(certificate, key)

    def to_pem(self) -> bytes:
        """The certificate and its private key, in one PEM text (see :meth:`from_pem`)."""
        return self.certificate_pem + _pem_key(self.key)

    @classmethod
    def from_pem(cls, pem: bytes) -> CertificateAuthority:
        """The authority :meth:`to_pem` wrote."""
        certificate = x509.load_pem_x509_certificate(pem)
        key = serialization.load_pem_private_key(pem, password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
            raise CertificateError("the shared certificate authority's key is not EC or RSA")
        return cls(certificate, key)

    @classmethod
    def load(cls, cert_file: str, key_file: str) -> CertificateAuthority:
        """The authority in these PEM files (``--tls-ca-cert``, ``--tls-ca-key``)."""
        try:
            certificate = x509.load_pem_x509_certificate(Path(cert_file).read_bytes())
        except (OSError, ValueError) as error:
            raise CertificateError(
                f"--tls-ca-cert {cert_file}: not a PEM certificate that can be read ({error})"
            ) from None
        try:
            key = serialization.load_pem_private_key(Path(key_file).read_bytes(), password=None)
        except (OSError, ValueError, TypeError) as error:
            raise CertificateError(
                f"--tls-ca-key {key_file}: not an unencrypted PEM private key that can be "
                f"read ({error})"
            ) from None
        if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
            raise CertificateError(f"--tls-ca-key {key_file}: an EC or RSA key is needed")
        if _public_der(key.public_key()) != _public_der(certificate.public_key()):
            raise CertificateError(
                f"--tls-ca-key {key_file} is not the private key of --tls-ca-cert {cert_file}"
            )
        return cls(certificate, key)

    def issue(self, names: Sequence[str]) -> bytes:
        """A server certificate for ``names`` (DNS names or IP addresses), followed by the
        authority's, in PEM; its key is :attr:`leaf_key_pem`."""
        return self._sign(names[0], names, self._leaf_key, client=False)

    def issue_client(self, common_name: str) -> tuple[bytes, bytes]:
        """A client certificate (PEM) for ``common_name``, and its new private key (PEM)."""
        key = ec.generate_private_key(ec.SECP256R1())
        return self._sign(common_name, (), key, client=True), _pem_key(key)

    def _sign(
        self, common_name: str, names: Sequence[str], key: PrivateKey, *, client: bool
    ) -> bytes:
        now = datetime.datetime.now(datetime.timezone.utc)
        usage = ExtendedKeyUsageOID.CLIENT_AUTH if client else ExtendedKeyUsageOID.SERVER_AUTH
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64])]))
            .issuer_name(self.certificate.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=365))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()),
                critical=False,
            )
        )
        if names:
            unique = list(dict.fromkeys(names))
            builder = builder.add_extension(
                x509.SubjectAlternativeName([_general_name(name) for name in unique]),
                critical=False,
            )
        certificate = builder.sign(self.key, hashes.SHA256())
        return certificate.public_bytes(serialization.Encoding.PEM) + self.certificate_pem


@lru_cache(maxsize=256)
def describe_certificate(der: bytes) -> tuple[str, str]:
    """A presented certificate's subject (RFC 4514, e.g. ``CN=alice``) and SHA-256
    fingerprint (hex); cached, since a client presents the same one on every connection."""
    fingerprint = hashlib.sha256(der).hexdigest()
    try:
        subject = x509.load_der_x509_certificate(der).subject.rfc4514_string()
    except ValueError:
        subject = ""
    return subject, fingerprint


__all__ = [
    "LOCAL_NAMES",
    "CertificateAuthority",
    "CertificateError",
    "describe_certificate",
    "valid_host_name",
]
