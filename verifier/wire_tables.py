"""One mapping table per wallet-facing endpoint: rejection reasons -> OpenID4VP wire errors.

OpenID4VP 1.0 §8.5 codes where one fits, RFC 6749 ``invalid_request`` otherwise. The
reason's slug is the ``error_description`` (fixed text chosen by code, never the input).
"""

from __future__ import annotations

from runtime.wire import (
    InvalidRequest,
    InvalidRequestUriMethod,
    InvalidTransactionData,
    VpFormatsNotSupported,
    reason_table,
)
from specs.errors import JoseReason, Oid4vpReason, SdJwtReason

#: The response endpoint (§8.2, §8.3): the envelope and the presentation.
RESPONSE_ERRORS = reason_table(
    {
        Oid4vpReason.MALFORMED_TRANSACTION_DATA: InvalidTransactionData,
        Oid4vpReason.TRANSACTION_DATA_HASHES_MISSING: InvalidTransactionData,
        Oid4vpReason.TRANSACTION_DATA_HASH_MISMATCH: InvalidTransactionData,
        Oid4vpReason.TRANSACTION_DATA_HASH_ALG: InvalidTransactionData,
        JoseReason.ALG_NOT_ALLOWED: VpFormatsNotSupported,
        SdJwtReason.SD_ALG_UNSUPPORTED: VpFormatsNotSupported,
    },
    default=InvalidRequest,
    describe_reason=True,
)

#: The request_uri endpoint (§5.10): a POST body we cannot read.
REQUEST_URI_ERRORS = reason_table(
    {
        Oid4vpReason.MALFORMED_REQUEST_URI_POST: InvalidRequestUriMethod,
        Oid4vpReason.REQUEST_URI_POST_TOO_LARGE: InvalidRequestUriMethod,
    },
    default=InvalidRequest,
    describe_reason=True,
)
