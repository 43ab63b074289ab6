"""How a verifier finds the key of a JWS issuer, without trusting the JWS to name it.

Resolvers receive documents that the edges fetched (issuer metadata, DID documents, trust
anchors); the core never fetches (DESIGN §1). A resolver looks at the unverified header and
payload (``kid``, ``x5c``, ``iss``) only to select among keys it already trusts, and raises
``Rejected`` when none fits.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from specs.jose.keys import PublicJwk


class KeyResolver(Protocol):
    """Select the public key that must have signed a JWS."""

    def resolve_key(
        self, header: Mapping[str, Any], payload: Mapping[str, Any], *, now: int
    ) -> PublicJwk:
        """Return the key or raise ``Rejected``; ``now`` is for certificate validity."""
        ...


@dataclass(frozen=True, slots=True)
class StaticKeyResolver:
    """One key configured out of band (a key file on the command line, a test)."""

    key: PublicJwk

    def resolve_key(
        self, header: Mapping[str, Any], payload: Mapping[str, Any], *, now: int
    ) -> PublicJwk:
        return self.key
