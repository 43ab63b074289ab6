"""A certification authority for tests of ``x5c`` issuer keys (HAIP §6.1.1).

Built on ``tests.pki``: a self-signed root and leaves for an issuer identifier; every key and
certificate is generated when a test runs.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding

from specs.jose import PrivateJwk, b64url_encode, public_jwk_from_key
from specs.trust import certificate_key_ref
from tests.pki import PrivateKey, certificate


def x5c(*certificates: x509.Certificate) -> list[str]:
    """RFC 7515 §4.1.6: standard base64 DER, in the order given."""
    return [base64.b64encode(c.public_bytes(Encoding.DER)).decode("ascii") for c in certificates]


def signing_key() -> PrivateJwk:
    """A P-256 key as a ``PrivateJwk`` whose cryptography object can be certified."""
    key = ec.generate_private_key(ec.SECP256R1())
    return PrivateJwk(key, public_jwk_from_key(key.public_key()))


@dataclass
class Ca:
    key: ec.EllipticCurvePrivateKey
    root: x509.Certificate
    now: datetime

    @property
    def key_ref(self) -> str:
        """What the registry lists for this CA."""
        return certificate_key_ref(self.root)

    @property
    def aki(self) -> str:
        """The CA's key identifier, as a DCQL ``aki`` value names it."""
        ski = self.root.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
        return b64url_encode(ski.digest)

    def leaf(
        self, key: PrivateKey, iss: str, *, days: int = 30, signer: PrivateKey | None = None
    ) -> x509.Certificate:
        """A certificate for ``key`` bound to ``iss`` by a URI SAN."""
        return certificate(
            key,
            signer or self.key,
            subject="issuer",
            issuer="test CA",
            ca=False,
            not_before=self.now - timedelta(days=1),
            not_after=self.now + timedelta(days=days),
            san=[x509.UniformResourceIdentifier(iss)],
        )

    def chain(self, key: PrivateJwk, iss: str) -> list[str]:
        """``x5c`` for ``key``: its certificate, then the root."""
        assert isinstance(key.key, ec.EllipticCurvePrivateKey)
        return x5c(self.leaf(key.key, iss), self.root)


def new_ca(now: int) -> Ca:
    """A root valid around ``now`` (a year either way)."""
    at = datetime.fromtimestamp(now, tz=UTC)
    key = ec.generate_private_key(ec.SECP256R1())
    root = certificate(
        key,
        key,
        subject="test CA",
        issuer="test CA",
        ca=True,
        not_before=at - timedelta(days=365),
        not_after=at + timedelta(days=365),
    )
    return Ca(key, root, at)
