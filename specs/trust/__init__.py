"""The trust registry's data model, its pure decisions, and the signed trust list (DESIGN §1)."""

from specs.trust.decisions import (
    canonical_claim_key,
    canonical_iso_date,
    check_anchor,
    check_fresh,
    check_issuer,
    check_verifier,
    claim_key,
)
from specs.trust.key_refs import certificate_key_ref
from specs.trust.model import IssuerEntry, RegulationAnchor, TrustSnapshot, VerifierEntry
from specs.trust.trust_list import build_trust_list, verify_trust_list

__all__ = [
    "IssuerEntry",
    "RegulationAnchor",
    "TrustSnapshot",
    "VerifierEntry",
    "build_trust_list",
    "canonical_claim_key",
    "canonical_iso_date",
    "certificate_key_ref",
    "check_anchor",
    "check_fresh",
    "check_issuer",
    "check_verifier",
    "claim_key",
    "verify_trust_list",
]
