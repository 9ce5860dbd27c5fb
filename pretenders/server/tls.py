"""TLS for STARTTLS: a self-signed certificate made at start-up, or the user's own."""

from __future__ import annotations

import datetime
import ipaddress
import ssl
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def self_signed_pem(hostname: str = "localhost") -> tuple[bytes, bytes]:
    """A certificate and its private key (PEM), valid for localhost and 127.0.0.1."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname)])
    now = datetime.datetime.now(datetime.timezone.utc)
    names: list[x509.GeneralName] = [
        x509.DNSName(hostname),
        x509.DNSName("localhost"),
        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
        x509.IPAddress(ipaddress.ip_address("::1")),
    ]
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=365))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return certificate.public_bytes(serialization.Encoding.PEM), key_pem


@dataclass(frozen=True)
class TlsIdentity:
    """The server side of STARTTLS: its context, and its certificate for clients to trust."""

    context: ssl.SSLContext
    certificate_pem: bytes


def server_identity(cert_file: str | None = None, key_file: str | None = None) -> TlsIdentity:
    """A TLS identity from the given files, or from a fresh self-signed pair."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    if cert_file:
        context.load_cert_chain(cert_file, key_file)
        return TlsIdentity(context, Path(cert_file).read_bytes())
    certificate, key = self_signed_pem()
    # load_cert_chain only reads files; they live just long enough to be read.
    with tempfile.TemporaryDirectory(prefix="pretenders-tls-") as directory:
        cert_path, key_path = Path(directory, "cert.pem"), Path(directory, "key.pem")
        cert_path.write_bytes(certificate)
        key_path.write_bytes(key)
        key_path.chmod(0o600)
        context.load_cert_chain(cert_path, key_path)
    return TlsIdentity(context, certificate)
