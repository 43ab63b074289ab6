"""Keys, certificates and DIDs for the OpenID4VP tests, all generated at test time.

A Verifier here is a P-256 key with a certificate for ``verifier.example`` issued by a test
root (for ``x509_san_dns`` and ``x509_hash``) or a ``did:jwk`` (for
``decentralized_identifier``). No key or certificate is committed (STYLE §7).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from specs.jose import PrivateJwk, b64url_encode, dumps_compact, public_jwk_from_key
from specs.sd_jwt_vc.did import DidResolver
from tests.conftest import FIXED_NOW
from tests.pki import PrivateKey, key_usage
from tests.pki import certificate as pki_certificate

NOW = FIXED_NOW
MOMENT = datetime.fromtimestamp(NOW, tz=UTC)
DNS_NAME = "verifier.example"
RESPONSE_URI = f"https://{DNS_NAME}/wallet/response"


def signer_of(key: ec.EllipticCurvePrivateKey, kid: str | None = None) -> PrivateJwk:
    return PrivateJwk(key, public_jwk_from_key(key.public_key(), kid=kid))


def der(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.DER)


def certificate(
    key: PrivateKey,
    signer: PrivateKey,
    *,
    subject: str,
    issuer: str,
    ca: bool,
    san: list[x509.GeneralName] | None = None,
    not_before: datetime = MOMENT - timedelta(days=1),
    not_after: datetime = MOMENT + timedelta(days=30),
    digital_signature: bool = True,
) -> x509.Certificate:
    return pki_certificate(
        key,
        signer,
        subject=subject,
        issuer=issuer,
        ca=ca,
        san=san,
        not_before=not_before,
        not_after=not_after,
        usage=key_usage(ca=ca, digital_signature=digital_signature),
    )


@dataclass
class Pki:
    """A root CA and a Verifier leaf certificate for ``DNS_NAME``, signed by the root."""

    root_key: ec.EllipticCurvePrivateKey
    root: x509.Certificate
    leaf_key: ec.EllipticCurvePrivateKey
    leaf: x509.Certificate

    @property
    def signer(self) -> PrivateJwk:
        return signer_of(self.leaf_key)

    def issue(self, key: PrivateKey | None = None, **kwargs: Any) -> x509.Certificate:
        """Another leaf from the same root (``san`` defaults to ``DNS_NAME``)."""
        kwargs.setdefault("san", [x509.DNSName(DNS_NAME)])
        return certificate(
            key or self.leaf_key,
            self.root_key,
            subject="verifier",
            issuer="root",
            ca=False,
            **kwargs,
        )


def new_pki() -> Pki:
    root_key = ec.generate_private_key(ec.SECP256R1())
    root = certificate(root_key, root_key, subject="root", issuer="root", ca=True)
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    pki = Pki(root_key, root, leaf_key, root)
    pki.leaf = pki.issue()
    return pki


@pytest.fixture(scope="module")
def pki() -> Pki:
    return new_pki()


@dataclass
class DidVerifier:
    """A Verifier identified by a ``did:jwk``, and the resolver that trusts that DID."""

    did: str
    kid: str
    signer: PrivateJwk
    resolver: DidResolver


def new_did_verifier() -> DidVerifier:
    signer = signer_of(ec.generate_private_key(ec.SECP256R1()))
    did = "did:jwk:" + b64url_encode(dumps_compact(signer.public.to_jwk()).encode())
    resolver = DidResolver(documents={}, trusted_jwk_dids=frozenset({did}))
    return DidVerifier(did, f"{did}#0", signer, resolver)


@pytest.fixture(scope="module")
def did_verifier() -> DidVerifier:
    return new_did_verifier()
