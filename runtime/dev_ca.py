"""Development certificates: a throwaway root, a leaf for a signing key, and their files.

Some signatures are trusted by certificate chain rather than by key: a wallet provider's
wallet and key attestations carry its certificate in ``x5c`` and an issuer trusts them by a
configured root (HAIP 1.0 §4.4.1, §4.5.1). In production the key and its chain come from a
real PKI and are provisioned as files; in the development profile (the demo, the tests) a
service creates them on first start, as it creates its other development keys:

* an ES256 key file (``runtime.key_files``, owner-only);
* a PEM chain file: the leaf for that key (one SAN, ``digitalSignature`` only), then the root
  that signed it. The root's key is discarded once it has signed, so nothing else can ever
  be issued under it; trusting it means trusting exactly this leaf.

RFC 5280 path validation refuses an end-entity certificate as its own root, hence a chain
rather than a self-signed leaf. ``SigningIdentity.x5c`` leaves the root out: a relying party
trusts anchors it configured, never one sent to it.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from runtime.key_files import KeyFileError, create_signing_key, load_signing_key
from specs.jose import PrivateJwk
from specs.oid4vp.haip import is_self_signed

MAX_CHAIN_FILE_BYTES = 64 * 1024
_CLOCK_SKEW = dt.timedelta(minutes=5)


@dataclass(frozen=True)
class DevelopmentCa:
    """A root certificate and its key, for as long as it takes to sign a leaf."""

    key: ec.EllipticCurvePrivateKey
    certificate: x509.Certificate

    def issue(
        self, public_key: ec.EllipticCurvePublicKey, *, subject: str, uri: str, now: int, days: int
    ) -> x509.Certificate:
        """A leaf for ``public_key`` that may sign and nothing else, SAN = ``uri``."""
        start, end = _validity(now, days)
        return (
            x509.CertificateBuilder()
            .subject_name(_name(subject))
            .issuer_name(self.certificate.subject)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(end)
            .add_extension(
                x509.SubjectAlternativeName([x509.UniformResourceIdentifier(uri)]), critical=False
            )
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_key_usage(ca=False), critical=True)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()),
                critical=False,
            )
            .sign(self.key, hashes.SHA256())
        )


def create_development_ca(*, name: str, now: int, days: int) -> DevelopmentCa:
    """A new P-256 root that may sign leaves only (path length 0), valid ``days`` days."""
    key = ec.generate_private_key(ec.SECP256R1())
    start, end = _validity(now, days)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(_name(name))
        .issuer_name(_name(name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(ca=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return DevelopmentCa(key, certificate)


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
    if not key_path.exists():
        if not development:
            raise KeyFileError(f"{key_path}: no signing key (provision one)")
        with contextlib.suppress(FileExistsError):  # another worker created it first
            create_signing_key(key_path)
    signer = load_signing_key(key_path)
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


def write_certificates(path: Path, certificates: tuple[x509.Certificate, ...]) -> None:
    """A new PEM file (never overwritten), readable by all: certificates are public."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    with os.fdopen(descriptor, "wb") as handle:
        for certificate in certificates:
            handle.write(certificate.public_bytes(serialization.Encoding.PEM))


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


def _validity(now: int, days: int) -> tuple[dt.datetime, dt.datetime]:
    at = dt.datetime.fromtimestamp(now, dt.UTC)
    return at - _CLOCK_SKEW, at + dt.timedelta(days=days)


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64] or "aanspraak")])


def _key_usage(*, ca: bool) -> x509.KeyUsage:
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
