"""The issuer's signing keys: loaded from files (``runtime.key_files``), behind ``JwsSigner``.

Rotation with overlap: the new key signs, the retired keys stay published in
``/.well-known/jwt-vc-issuer`` until the credentials they signed have expired.
"""

from __future__ import annotations

from dataclasses import dataclass

from runtime.key_files import (
    KeyFileError,
    create_signing_key,
    load_or_create_signing_key,
    load_public_key,
    load_signing_key,
    with_thumbprint_kid,
)
from specs.jose import JwsSigner, PublicJwk

__all__ = [
    "IssuerKeys",
    "KeyFileError",
    "create_signing_key",
    "load_or_create_signing_key",
    "load_public_key",
    "load_signing_key",
    "with_thumbprint_kid",
]


@dataclass(frozen=True, slots=True)
class IssuerKeys:
    """The key that signs now, and every key a verifier may still meet."""

    active: JwsSigner
    retired: tuple[PublicJwk, ...] = ()

    @property
    def published(self) -> tuple[PublicJwk, ...]:
        return (self.active.public, *self.retired)
