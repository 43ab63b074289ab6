"""The trust registry's data, as every backend (chain, file) delivers it: a snapshot.

Entries are keyed by their exact identifier: an issuer's ``iss`` (HTTPS URL or DID) or a
verifier's client identifier, compared byte for byte, never normalised (THREATS R-06).
Key references are 32-byte hashes, base64url: the RFC 7638 thumbprint of an issuer's JWK, or
the SHA-256 of the SubjectPublicKeyInfo of an X.509 root its ``x5c`` chains end in.
Times are UNIX seconds; ``effective_from`` lets governance announce an addition before it
takes effect, while removals take effect at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class IssuerEntry:
    issuer: str
    vcts: frozenset[str]
    key_refs: frozenset[str]
    valid_from: int
    valid_until: int
    effective_from: int


@dataclass(frozen=True, slots=True)
class VerifierEntry:
    client_id: str
    permissions: Mapping[str, frozenset[str]]
    """Regulation id -> the claims it may ask for, each a JSON claims path (``'["a","b"]'``)."""
    legal_basis: str
    valid_from: int
    valid_until: int
    effective_from: int


@dataclass(frozen=True, slots=True)
class RegulationAnchor:
    regulation: str
    version: str
    """The content hash of the regulation file (``sha256:...``), as ``specs.rules`` computes it."""
    valid_from: str
    effective_from: int


@dataclass(frozen=True)
class TrustSnapshot:
    """Everything the registry says, as of ``as_of`` (block time or signing time)."""

    issuers: Mapping[str, IssuerEntry] = field(default_factory=dict)
    verifiers: Mapping[str, VerifierEntry] = field(default_factory=dict)
    anchors: Mapping[tuple[str, str], RegulationAnchor] = field(default_factory=dict)
    """(regulation id, valid_from ISO date) -> anchor."""
    as_of: int = 0
    source: str = ""
