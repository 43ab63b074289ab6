"""One mapping table per endpoint: core rejection reasons -> OID4VCI / OAuth wire errors.

DESIGN §3 and STYLE habit 4: handlers never write wire codes as string literals; the core
raises ``Rejected(reason)`` and the endpoint's table names the error. Reasons missing from a
table fall to the table's default, which is that endpoint's generic "bad request" code.
"""

from __future__ import annotations

from runtime.wire import (
    InvalidAuthorizationDetails,
    InvalidClient,
    InvalidCredentialRequest,
    InvalidDpopProof,
    InvalidDpopProofChallenge,
    InvalidNonce,
    InvalidNotificationRequest,
    InvalidProof,
    InvalidRequest,
    InvalidScope,
    UnsupportedGrantType,
    UnsupportedResponseType,
    UseFreshAttestation,
    reason_table,
)
from specs.errors import AttestationReason as A
from specs.errors import OAuthReason as O
from specs.errors import Oid4vciReason as R

#: OID4VCI 1.0 §6.3 / RFC 6749 §5.2.
TOKEN_ERRORS = reason_table(
    {R.UNSUPPORTED_GRANT_TYPE: UnsupportedGrantType},
    default=InvalidRequest,
)

#: OID4VCI 1.0 §8.3.1.2. A proof's defects are ``invalid_proof``, its nonce ``invalid_nonce``.
CREDENTIAL_REQUEST_ERRORS = reason_table(
    {
        R.PROOF_MISSING: InvalidProof,
        R.UNSUPPORTED_PROOF_TYPE: InvalidProof,
        R.TOO_MANY_PROOFS: InvalidCredentialRequest,
    },
    default=InvalidCredentialRequest,
)
#: Any rejection while verifying one proof JWT (Appendix F.4), its key attestation (F.1,
#: Appendix D) or an ``attestation`` proof (F.3) is ``invalid_proof``, except a nonce that
#: differs between the proofs of one request (§8.2: one c_nonce per request). The
#: description names the rule (the reason's slug), so a wallet developer sees which failed.
PROOF_ERRORS = reason_table(
    {R.PROOF_NONCES_DIFFER: InvalidNonce}, default=InvalidProof, describe_reason=True
)

#: Wallet attestations at /par and /token (OpenID4VCI 1.0 Appendix E; HAIP §4.4.1): a bad
#: attestation or PoP is ``invalid_client`` (RFC 6749 §5.2, 401); one that is only too old is
#: ``use_fresh_attestation`` (attestation-based client auth §6). The description is the slug.
CLIENT_ATTESTATION_ERRORS = reason_table(
    {A.NOT_FRESH: UseFreshAttestation}, default=InvalidClient, describe_reason=True
)

#: RFC 9449 §5 (token endpoint, 400) and §7.1 (resources, 401 with a challenge): every proof
#: defect is ``invalid_dpop_proof``; the description names the rule (the reason's slug).
DPOP_PROOF_ERRORS = reason_table({}, default=InvalidDpopProof, describe_reason=True)
DPOP_RESOURCE_PROOF_ERRORS = reason_table(
    {}, default=InvalidDpopProofChallenge, describe_reason=True
)

#: RFC 9126 §2.3: the PAR endpoint answers with the authorization errors of RFC 6749
#: §4.1.2.1 in the token endpoint's format; RFC 9396 §5 for ``authorization_details``.
PAR_ERRORS = reason_table(
    {
        O.UNSUPPORTED_RESPONSE_TYPE: UnsupportedResponseType,
        O.MALFORMED_SCOPE: InvalidScope,
        O.AUTHORIZATION_DETAILS_UNSUPPORTED: InvalidAuthorizationDetails,
    },
    default=InvalidRequest,
)

#: RFC 9126 §4: a reference the authorization endpoint cannot read. No redirect: without the
#: pushed request the redirect URI is unknown (RFC 6749 §4.1.2.1).
AUTHORIZE_ERRORS = reason_table({}, default=InvalidRequest)

#: RFC 6749 §5.2 for the ``authorization_code`` and ``refresh_token`` grants.
OAUTH_TOKEN_ERRORS = reason_table(
    {O.UNSUPPORTED_GRANT_TYPE: UnsupportedGrantType, O.MALFORMED_SCOPE: InvalidScope},
    default=InvalidRequest,
)

#: OID4VCI 1.0 §9.3: the deferred endpoint reuses the credential endpoint's codes.
DEFERRED_ERRORS = reason_table({}, default=InvalidRequest)

#: OID4VCI 1.0 §11.3.
NOTIFICATION_ERRORS = reason_table({}, default=InvalidNotificationRequest)

__all__ = [
    "AUTHORIZE_ERRORS",
    "CLIENT_ATTESTATION_ERRORS",
    "CREDENTIAL_REQUEST_ERRORS",
    "DEFERRED_ERRORS",
    "DPOP_PROOF_ERRORS",
    "DPOP_RESOURCE_PROOF_ERRORS",
    "NOTIFICATION_ERRORS",
    "OAUTH_TOKEN_ERRORS",
    "PAR_ERRORS",
    "PROOF_ERRORS",
    "TOKEN_ERRORS",
]
