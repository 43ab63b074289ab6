"""DPoP, RFC 9449: proof-of-possession for OAuth access tokens, one signed JWT per request.

The wallet service binds its session tokens to the device key this way, and the issuer can
bind access tokens to a wallet's key. Everything here is pure: time, randomness and keys are
parameters; the replay store and the token's ``cnf.jkt`` check belong to the caller.
"""

from specs.dpop.htu import normalize_htu
from specs.dpop.proof import (
    ALLOWED_ALGS,
    DPOP_TYP,
    MAX_JTI_CHARS,
    MAX_PROOF_BYTES,
    VerifiedDpopProof,
    access_token_hash,
    build_dpop_proof,
    new_jti,
    verify_dpop_proof,
)

__all__ = [
    "ALLOWED_ALGS",
    "DPOP_TYP",
    "MAX_JTI_CHARS",
    "MAX_PROOF_BYTES",
    "VerifiedDpopProof",
    "access_token_hash",
    "build_dpop_proof",
    "new_jti",
    "normalize_htu",
    "verify_dpop_proof",
]
