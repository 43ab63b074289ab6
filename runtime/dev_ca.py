"""Development certificates: throwaway roots, leaves for signing keys, and their files.

Some signatures are trusted by certificate chain rather than by key: a wallet provider's
wallet and key attestations carry its certificate in ``x5c`` and an issuer trusts them by a
configured root (HAIP 1.0 §4.4.1, §4.5.1); an issuer's credentials and a verifier's request
objects carry theirs too (HAIP §6.1.1, OpenID4VP 1.0 §5.9.3). In production the key and its
chain come from a real PKI and are provisioned as files; in the development profile (the
demo, the tests) a service creates them on first start, as it creates its other development
keys. This module is the one place that builds those certificates, so every role's
development PKI follows the same profile:

* a root: P-256, self-signed, ``keyCertSign`` and ``cRLSign``, path length 0 (leaves only);
* a leaf: ``digitalSignature`` only, its SANs a URI and/or host names (DNS or IP), which is
  how a relying party binds the certificate to a service;
* both carry the subject and authority key identifiers RFC 5280 path building uses, and
  start a little before ``now`` so a relying party whose clock lags accepts them.

Most roots sign once and their key is discarded (``create_development_ca``), so nothing else
can ever be issued under them: trusting one means trusting exactly that leaf. A root that must
issue again later (the issuer renews its leaf when its URL changes) keeps its key in an
owner-only file (``load_or_create_development_ca``).

``load_or_create_signing_identity`` makes the usual pair of files:

* an ES256 key file (``runtime.key_files``, owner-only);
* a PEM chain file: the leaf for that key (one URI SAN), then the root that signed it.

RFC 5280 path validation refuses an end-entity certificate as its own root, hence a chain
rather than a self-signed leaf. ``SigningIdentity.x5c`` leaves the root out: a relying party
trusts anchors it configured, never one sent to it.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import ipaddress
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from runtime.key_files import KeyFileError, load_or_create_signing_key
from specs.jose import PrivateJwk
from specs.oid4vp.haip import is_self_signed

MAX_CHAIN_FILE_BYTES = 64 * 1024
CLOCK_SKEW = dt.timedelta(minutes=5)
"""How long before ``now`` a development certificate starts, unless the caller says more."""


@dataclass(frozen=True)
class DevelopmentCa:
    """A root certificate and its key: held only while it signs a leaf, or kept in a file
    when it must issue again (``load_or_create_development_ca``)."""

    key: ec.EllipticCurvePrivateKey
    certificate: x509.Certificate

    def issue(
        self,
        public_key: ec.EllipticCurvePublicKey,
        *,
        subject: str,
        uri: str | None = None,
        hosts: Sequence[str] = (),
        now: int,
        days: int,
        backdate: dt.timedelta = CLOCK_SKEW,
    ) -> x509.Certificate:
        """A leaf for ``public_key`` that may sign and nothing else.

        Its SANs are ``uri`` (a URI), then each of ``hosts`` (an IP address when it parses as
        one, else a DNS name): what a relying party matches against the service's URL or
        client identifier.
        """
        names: list[x509.GeneralName] = [x509.UniformResourceIdentifier(uri)] if uri else []
        names.extend(_host_name(host) for host in hosts)
        if not names:
            raise ValueError("a development leaf needs a URI or a host name")
        return (
            _builder(_name(subject), self.certificate.subject, public_key, signer=self.key)
            .not_valid_before(_start(now, backdate))
            .not_valid_after(_end(now, days))
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_key_usage(ca=False), critical=True)
            .sign(self.key, hashes.SHA256())
        )


def create_development_ca(
    *, name: str, now: int, days: int, backdate: dt.timedelta = CLOCK_SKEW
) -> DevelopmentCa:
    """A new P-256 root that may sign leaves only (path length 0), valid ``days`` days."""
    key = ec.generate_private_key(ec.SECP256R1())
    certificate = (
        _builder(_name(name), _name(name), key.public_key(), signer=key)
        .not_valid_before(_start(now, backdate))
        .not_valid_after(_end(now, days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(ca=True), critical=True)
        .sign(key, hashes.SHA256())
    )
    return DevelopmentCa(key, certificate)


def load_or_create_development_ca(
    key_path: Path,
    certificate_path: Path,
    *,
    name: str,
    now: int,
    days: int,
    backdate: dt.timedelta = CLOCK_SKEW,
) -> DevelopmentCa:
    """A root that keeps its key, so it can issue again later (module docstring).

    Reused while both files load, belong together and the root is valid at ``now``; made
    again otherwise, its key written owner-only (PKCS#8 PEM) and its certificate readable by
    all. Each file is replaced whole, so another worker never reads half of one.
    """
    at = dt.datetime.fromtimestamp(now, tz=dt.UTC)
    with contextlib.suppress(OSError, ValueError):
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        certificate = x509.load_pem_x509_certificate(certificate_path.read_bytes())
        if (
            isinstance(key, ec.EllipticCurvePrivateKey)
            and certificate.not_valid_before_utc <= at < certificate.not_valid_after_utc
            and certificate.public_key() == key.public_key()
        ):
            return DevelopmentCa(key, certificate)
    ca = create_development_ca(name=name, now=now, days=days, backdate=backdate)
    pem_key = ca.key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    _replace_file(key_path, pem_key, mode=0o600)
    write_certificates(certificate_path, (ca.certificate,), replace=True)
    return ca


@dataclass(frozen=True)
class SigningIdentity:
    """A signing key and its certificate chain, leaf first."""

    signer: PrivateJwk
    chain: tuple[x509.Certificate, ...]

    @property
    def x5c(self) -> list[str]:
        """RFC 7515 §4.1.6 ``x5c`` (standard base64 DER), without self-signed certificates."""
        return [
            base64.b64encode(certificate.public_bytes(serialization.Encoding.DER)).decode()
            for certificate in self.chain
            if not is_self_signed(certificate)
        ]

    @property
    def anchors(self) -> tuple[x509.Certificate, ...]:
        """The self-signed certificates of the chain file: in development, the root a relying
        party is configured with (the demo and the tests hand it over)."""
        return tuple(certificate for certificate in self.chain if is_self_signed(certificate))


def load_or_create_signing_identity(
    key_path: Path, chain_path: Path, *, development: bool, subject: str, uri: str, now: int
) -> SigningIdentity:
    """The key and chain from their files; in development, created when missing.

    Production never creates them: a missing file is a ``KeyFileError`` naming it. A chain
    whose leaf does not certify the key is refused either way.
    """
    signer = load_or_create_signing_key(key_path, development=development)
    if not chain_path.exists():
        if not development:
            raise KeyFileError(f"{chain_path}: no certificate chain (provision one)")
        ca = create_development_ca(name=f"{subject} development root", now=now, days=365)
        leaf = ca.issue(_ec_public(signer), subject=subject, uri=uri, now=now, days=365)
        with contextlib.suppress(FileExistsError):
            write_certificates(chain_path, (leaf, ca.certificate))
    chain = load_certificate_chain(chain_path)
    if chain[0].public_key() != signer.public.key:
        raise KeyFileError(f"{chain_path}: the leaf certificate does not certify the signing key")
    return SigningIdentity(signer, chain)


def write_certificates(
    path: Path, certificates: tuple[x509.Certificate, ...], *, replace: bool = False
) -> None:
    """A PEM file readable by all (certificates are public).

    A new file, never overwritten; or with ``replace``, one that takes the place of any file
    at ``path`` whole (a renewed chain).
    """
    data = b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certificates)
    if replace:
        _replace_file(path, data, mode=0o644)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)


def load_certificate_chain(path: Path) -> tuple[x509.Certificate, ...]:
    """A non-empty PEM chain, bounded in size."""
    try:
        raw = path.read_bytes()[: MAX_CHAIN_FILE_BYTES + 1]
    except OSError as error:
        raise KeyFileError(f"{path}: cannot be read") from error
    if len(raw) > MAX_CHAIN_FILE_BYTES:
        raise KeyFileError(f"{path}: too large for a certificate chain")
    try:
        chain = tuple(x509.load_pem_x509_certificates(raw))
    except ValueError as error:
        raise KeyFileError(f"{path}: not a PEM certificate chain") from error
    return chain


def _ec_public(signer: PrivateJwk) -> ec.EllipticCurvePublicKey:
    key = signer.public.key
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise KeyFileError("a development certificate needs an EC signing key")
    return key


def _builder(
    subject: x509.Name,
    issuer: x509.Name,
    public_key: ec.EllipticCurvePublicKey,
    *,
    signer: ec.EllipticCurvePrivateKey,
) -> x509.CertificateBuilder:
    """Name, key, serial and the key identifiers RFC 5280 path building uses."""
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(signer.public_key()),
            critical=False,
        )
    )


def _start(now: int, backdate: dt.timedelta) -> dt.datetime:
    return dt.datetime.fromtimestamp(now, dt.UTC) - backdate


def _end(now: int, days: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(now, dt.UTC) + dt.timedelta(days=days)


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64] or "aanspraak")])


def _host_name(host: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        return x509.DNSName(host)


def _replace_file(path: Path, data: bytes, *, mode: int) -> None:
    """Write to a temporary file and rename it, so another worker never reads half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
    os.replace(temporary, path)


def _key_usage(*, ca: bool) -> x509.KeyUsage:
    """A root signs certificates (and would sign revocation lists); a leaf signs the service's
    tokens and nothing else."""
    return x509.KeyUsage(
        digital_signature=not ca,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )
