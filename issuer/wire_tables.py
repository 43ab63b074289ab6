"""One mapping table per endpoint: core rejection reasons -> OID4VCI / OAuth wire errors.

DESIGN §3 and STYLE habit 4: handlers never write wire codes as string literals; the core
raises ``Rejected(reason)`` and the endpoint's table names the error. Reasons missing from a
table fall to the table's default, which is that endpoint's generic "bad request" code.
"""

from __future__ import annotations

from runtime.wire import (
    InvalidCredentialRequest,
    InvalidNonce,
    InvalidNotificationRequest,
    InvalidProof,
    InvalidRequest,
    UnsupportedGrantType,
    reason_table,
)
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
#: Any rejection while verifying one proof JWT (Appendix F.4) is ``invalid_proof``, except
#: a nonce that differs between the proofs of one request (§8.2: one c_nonce per request).
PROOF_ERRORS = reason_table({R.PROOF_NONCES_DIFFER: InvalidNonce}, default=InvalidProof)

#: OID4VCI 1.0 §9.3: the deferred endpoint reuses the credential endpoint's codes.
DEFERRED_ERRORS = reason_table({}, default=InvalidRequest)

#: OID4VCI 1.0 §11.3.
NOTIFICATION_ERRORS = reason_table({}, default=InvalidNotificationRequest)

__all__ = [
    "CREDENTIAL_REQUEST_ERRORS",
    "DEFERRED_ERRORS",
    "NOTIFICATION_ERRORS",
    "PROOF_ERRORS",
    "TOKEN_ERRORS",
]
