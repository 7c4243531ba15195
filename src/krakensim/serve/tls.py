"""TLS for ``--tls-port``: a local certificate authority and a server certificate, made once.

python-kraken-sdk dials only ``wss://`` and cryptofeed accepts only ``wss://``, so krakensim also
serves REST and WebSocket over TLS. Unless the user gives a certificate and key of their own
(``--tls-cert``/``--tls-key``), the first start makes a certificate authority and a certificate it
signs for ``localhost``, ``127.0.0.1`` and ``::1`` (and the listening address), keeps both beside
the data (``tls/`` next to the journal; a temporary folder with ``--memory``) and prints the CA's
path: clients trust it with ``SSL_CERT_FILE=<ca.pem>`` (python-kraken-sdk, websockets, requests
through ``REQUESTS_CA_BUNDLE``) or ccxt's ``cafile`` option. The CA's private key is not kept: the
CA can sign nothing else.
"""

from __future__ import annotations

import atexit
import ipaddress
import os
import shutil
import socket
import ssl
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from .config import ConfigError

if TYPE_CHECKING:
    from .build import Settings

CA_FILE = "ca.pem"
CERT_FILE = "server.pem"
KEY_FILE = "server.key"
VALID_DAYS = 3650  # a local test venue's certificate: ten years, so that a kept one does not expire under a CI


@dataclass(frozen=True)
class TlsFiles:
    cert: str
    key: str
    ca: str | None  # the CA to trust (None: the user's own certificate)


def tls_dir(data: str | None) -> str:
    """Where the generated files are kept: ``tls/`` beside the journal, or a folder for this run."""
    if data:
        return os.path.join(os.path.dirname(os.path.abspath(data)), "tls")
    path = tempfile.mkdtemp(prefix="krakensim-tls-")
    atexit.register(shutil.rmtree, path, ignore_errors=True)  # in memory, nothing is kept
    return path


def ensure_certificate(directory: str, host: str = "127.0.0.1") -> TlsFiles:
    """The CA and server certificate in ``directory``, made there if they are not there yet."""
    files = TlsFiles(os.path.join(directory, CERT_FILE), os.path.join(directory, KEY_FILE),
                     os.path.join(directory, CA_FILE))
    assert files.ca is not None
    if all(os.path.exists(p) for p in (files.cert, files.key, files.ca)):
        return files
    os.makedirs(directory, exist_ok=True)
    ca_pem, cert_pem, key_pem = make_certificates(host)
    _write(files.ca, ca_pem, 0o644)
    _write(files.key, key_pem, 0o600)
    _write(files.cert, cert_pem, 0o644)
    return files


def _write(path: str, data: bytes, mode: int) -> None:
    tmp = path + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def make_certificates(host: str = "127.0.0.1") -> tuple[bytes, bytes, bytes]:
    """(CA certificate, server certificate followed by the CA's, server key), PEM."""
    now = datetime.now(UTC) - timedelta(days=1)  # valid from yesterday: clocks disagree a little
    until = now + timedelta(days=VALID_DAYS)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "krakensim"),
                         x509.NameAttribute(NameOID.COMMON_NAME, "krakensim local CA")])
    ca = (
        x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now).not_valid_after(until)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                     crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                                     x509.IPAddress(ipaddress.ip_address("::1"))]
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        if host and host != "localhost":
            names.append(x509.DNSName(host))
    else:
        if not address.is_unspecified and x509.IPAddress(address) not in names:
            names.append(x509.IPAddress(address))
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now).not_valid_after(until)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=True,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                     crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    ca_pem = ca.public_bytes(pem)
    key_pem = key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return ca_pem, cert.public_bytes(pem) + ca_pem, key_pem


def server_context(files: TlsFiles) -> ssl.SSLContext:
    """The server side: TLS 1.2 or later, the certificate and its key (``ssl.SSLError`` if they do not load)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(files.cert, files.key)
    ctx.set_alpn_protocols(["http/1.1"])  # HTTP/1.1 only (WebSocket upgrades included)
    return ctx


@dataclass(frozen=True)
class TlsListener:
    sock: socket.socket
    context: ssl.SSLContext
    files: TlsFiles

    @property
    def port(self) -> int:
        return int(self.sock.getsockname()[1])


def tls_listener(s: Settings) -> TlsListener:
    """The TLS socket of ``s.tls_port`` (bound, not listening yet) with its certificate (made if need be).

    ``OSError`` when the port cannot be bound, or the certificate or key cannot be read or loaded."""
    assert s.tls_port is not None
    if s.tls_cert or s.tls_key:
        if not (s.tls_cert and s.tls_key):
            raise ConfigError("--tls-cert and --tls-key go together")
        files = TlsFiles(s.tls_cert, s.tls_key, None)
    else:
        files = ensure_certificate(tls_dir(s.data), s.host)
    try:
        context = server_context(files)
    except ssl.SSLError as e:
        raise ConfigError(f"the TLS certificate {files.cert} and key {files.key} do not load: {e}") from None
    sock = socket.socket(socket.AF_INET6 if ":" in s.host else socket.AF_INET, socket.SOCK_STREAM,
                         socket.IPPROTO_TCP)  # proto TCP: asyncio sets TCP_NODELAY only then (Nagle: +40 ms)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((s.host, s.tls_port))
    except OSError:
        sock.close()
        raise
    return TlsListener(sock, context, files)


def tls_banner(host: str, tls: TlsListener) -> str:
    base = f"{host}:{tls.port}"
    lines = [f"TLS (REST and WebSocket): https://{base}  wss://{base}/ws/v1"]
    if tls.files.ca is not None:
        lines += [f"  certificate authority: {tls.files.ca}",
                  f"  trust it: SSL_CERT_FILE={tls.files.ca}  (ccxt: options {{'cafile': '{tls.files.ca}'}})"]
    else:
        lines.append(f"  certificate: {tls.files.cert}")
    return "\n".join(lines) + "\n"
