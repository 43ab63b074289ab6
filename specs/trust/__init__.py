"""The trust registry's data model and its pure decisions (DESIGN §1 trust/)."""

from specs.trust.decisions import (
    check_anchor,
    check_fresh,
    check_issuer,
    check_verifier,
    claim_key,
)
from specs.trust.model import IssuerEntry, RegulationAnchor, TrustSnapshot, VerifierEntry

__all__ = [
    "IssuerEntry",
    "RegulationAnchor",
    "TrustSnapshot",
    "VerifierEntry",
    "check_anchor",
    "check_fresh",
    "check_issuer",
    "check_verifier",
    "claim_key",
]
