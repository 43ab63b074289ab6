"""Wallet and key attestations: what a wallet provider vouches for, and how it is checked.

OpenID4VCI 1.0 Appendix E (wallet attestations, used for OAuth client authentication as
draft-ietf-oauth-attestation-based-client-auth-07 defines it) and Appendix D (key
attestations), profiled by HAIP 1.0 §4.4.1 and §4.5.1::

    provider_jwt.py        the provider's envelope: typ, ES256, x5c chain to the caller's
                           wallet-provider roots (WalletProviderRoots), time claims
    client_attestation.py  wallet attestation + PoP: build both, verify them together
                           (VerifiedClientAttestation; the PoP's jti for the replay store)
    key_attestation.py     key-attestation+jwt: build, verify under a KeyAttestationPolicy
                           (VerifiedKeyAttestation: the attested keys and their levels)

Pure like the rest of ``specs``: time, randomness (a PoP's ``jti``) and keys are arguments.
Every rule raises ``Rejected(AttestationReason.*)`` (or a ``JoseReason`` for a broken JWS);
the issuer maps them to ``invalid_client`` (and the draft's ``use_attestation_challenge``,
``use_fresh_attestation``) at the token and PAR endpoints, and to ``invalid_proof`` at the
credential endpoint, where ``specs.oid4vci.proof`` uses key attestations.
"""

from specs.attestation.client_attestation import (
    ATTESTATION_HEADER,
    CLIENT_ATTESTATION_POP_TYP,
    CLIENT_ATTESTATION_TYP,
    POP_HEADER,
    VerifiedClientAttestation,
    build_client_attestation,
    build_client_attestation_pop,
    verify_client_attestation,
)
from specs.attestation.key_attestation import (
    ISO_18045_LEVELS,
    KEY_ATTESTATION_TYP,
    KeyAttestationPolicy,
    VerifiedKeyAttestation,
    build_key_attestation,
    iso_18045_at_least,
    verify_key_attestation,
)
from specs.attestation.provider_jwt import MAX_ATTESTATION_BYTES, WalletProviderRoots

__all__ = [
    "ATTESTATION_HEADER",
    "CLIENT_ATTESTATION_POP_TYP",
    "CLIENT_ATTESTATION_TYP",
    "ISO_18045_LEVELS",
    "KEY_ATTESTATION_TYP",
    "MAX_ATTESTATION_BYTES",
    "POP_HEADER",
    "KeyAttestationPolicy",
    "VerifiedClientAttestation",
    "VerifiedKeyAttestation",
    "WalletProviderRoots",
    "build_client_attestation",
    "build_client_attestation_pop",
    "build_key_attestation",
    "iso_18045_at_least",
    "verify_client_attestation",
    "verify_key_attestation",
]
