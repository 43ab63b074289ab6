"""Test certificates: one builder for every test that needs an X.509 chain.

A root, intermediates and leaves with the extensions RFC 5280 path validation looks at
(basic constraints, key usage, subject and authority key identifiers), and optional SANs and
extended key usages; dates are explicit, so each test chooses its own clock.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.x509.oid import NameOID

PrivateKey = ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey


def key_usage(*, ca: bool, digital_signature: bool = True) -> x509.KeyUsage:
    """A CA signs certificates; a leaf signs (or, without ``digital_signature``, only
    enciphers keys: a certificate that must not sign)."""
    return x509.KeyUsage(
        digital_signature=digital_signature and not ca,
        content_commitment=False,
        key_encipherment=not ca and not digital_signature,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def certificate(
    key: PrivateKey,
    signer: PrivateKey,
    *,
    subject: str,
    issuer: str,
    ca: bool,
    not_before: datetime,
    not_after: datetime,
    san: list[x509.GeneralName] | None = None,
    usage: x509.KeyUsage | None = None,
    eku: list[x509.ObjectIdentifier] | None = None,
) -> x509.Certificate:
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(usage or key_usage(ca=ca), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(signer.public_key()), critical=False
        )
    )
    if san is not None:
        builder = builder.add_extension(x509.SubjectAlternativeName(san), critical=False)
    if eku is not None:
        builder = builder.add_extension(x509.ExtendedKeyUsage(eku), critical=False)
    algorithm = None if isinstance(signer, ed25519.Ed25519PrivateKey) else hashes.SHA256()
    return builder.sign(signer, algorithm)


def self_signed_leaf(
    key: ec.EllipticCurvePrivateKey, *, name: str, uri: str, now: int
) -> x509.Certificate:
    """A leaf that is its own issuer, SAN = ``uri``, valid a day either side of ``now``: what a
    provider that skips a CA would send, which no configured root can make trustworthy."""
    at = datetime.fromtimestamp(now, tz=UTC)
    return certificate(
        key,
        key,
        subject=name,
        issuer=name,
        ca=False,
        not_before=at - timedelta(days=1),
        not_after=at + timedelta(days=1),
        san=[x509.UniformResourceIdentifier(uri)],
    )
