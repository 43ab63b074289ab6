"""A wallet provider for the issuer's tests: wallet attestations and key attestations.

A development root (``runtime.dev_ca``) certifies the provider key; the root goes into the
issuer's ``wallet_provider_roots_file`` and never into ``x5c``. Every key is generated when a
test runs. The client side of attestation-based client authentication is built here with the
``specs.attestation`` builders; tests that need a broken token change the built one.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding

from runtime.dev_ca import DevelopmentCa, SigningIdentity, create_development_ca
from specs.attestation import (
    ATTESTATION_HEADER,
    POP_HEADER,
    build_client_attestation,
    build_client_attestation_pop,
    build_key_attestation,
)
from specs.dpop import new_jti
from specs.jose import PrivateJwk, PublicJwk, generate_private_key, public_jwk_from_key
from tests.support import START

PROVIDER = "https://wallet-provider.example"
WALLET_CLIENT_ID = "https://wallet.example/client"
"""The attestation's ``sub``: the wallet solution (the code flow tests' ``CLIENT_ID``)."""


def public_of(key: ec.EllipticCurvePrivateKey) -> PublicJwk:
    return public_jwk_from_key(key.public_key())


@dataclass
class WalletAttester:
    """One wallet provider: its root, its certified key, and a client instance key."""

    name: str = "test wallet provider"
    client_id: str = WALLET_CLIENT_ID
    ca: DevelopmentCa = field(init=False)
    identity: SigningIdentity = field(init=False)
    instance_key: PrivateJwk = field(default_factory=generate_private_key)

    def __post_init__(self) -> None:
        self.ca = create_development_ca(name=f"{self.name} root", now=START, days=365)
        signer = generate_private_key()
        public = signer.public.key
        assert isinstance(public, ec.EllipticCurvePublicKey)
        leaf = self.ca.issue(public, subject=self.name, uri=PROVIDER, now=START, days=365)
        self.identity = SigningIdentity(signer, (leaf, self.ca.certificate))

    def write_roots(self, path: Path) -> Path:
        """The issuer's ``wallet_provider_roots_file``: this provider's root, PEM."""
        path.write_bytes(self.ca.certificate.public_bytes(Encoding.PEM))
        return path

    def attestation(self, *, now: int, lifetime: int = 3_600, client_id: str | None = None) -> str:
        """A wallet attestation (Appendix E) of the instance key, ``x5c`` without the root."""
        return build_client_attestation(
            provider_key=self.identity.signer,
            x5c=self.identity.x5c,
            attester=PROVIDER,
            client_id=client_id or self.client_id,
            instance_key=self.instance_key.public,
            now=now,
            lifetime=lifetime,
            wallet_name="test wallet",
        )

    def pop(self, *, audience: str, now: int, jti: str | None = None) -> str:
        """A PoP for one request, signed by the instance key."""
        return build_client_attestation_pop(
            instance_key=self.instance_key,
            client_id=self.client_id,
            audience=audience,
            jti=jti or new_jti(os.urandom),
            now=now,
            challenge=None,
        )

    def headers(self, *, audience: str, now: int) -> dict[str, str]:
        """Both headers of one request: the attestation and a fresh PoP."""
        return {
            ATTESTATION_HEADER: self.attestation(now=now),
            POP_HEADER: self.pop(audience=audience, now=now),
        }

    def key_attestation(
        self,
        keys: Sequence[PublicJwk],
        *,
        nonce: str | None,
        now: int,
        key_storage: Sequence[str] = ("iso_18045_high",),
        user_authentication: Sequence[str] = ("iso_18045_high",),
    ) -> str:
        """A key attestation (Appendix D.1) of ``keys``, answering ``nonce``."""
        return build_key_attestation(
            provider_key=self.identity.signer,
            x5c=self.identity.x5c,
            attested_keys=keys,
            now=now,
            lifetime=3_600,
            nonce=nonce,
            key_storage=key_storage,
            user_authentication=user_authentication,
            attester=PROVIDER,
        )
