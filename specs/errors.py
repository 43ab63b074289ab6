"""The one error tree of aanspraak (DESIGN §3).

::

    AanspraakError
    ├── Rejected(reason)      the input broke a rule; ``reason`` is a member of one of the
    │                         reason enums below, and every reason belongs to one Family
    │                         (the classes of THREATS.md: MALFORMED, TOO_LARGE, ...)
    │   reasons, one StrEnum per normative text:
    │     JoseReason          RFC 7515/7517/7519/7638: compact JWS, JWK, JWT time claims
    │     SdJwtReason         RFC 9901: serialization, Disclosures, digests, Key Binding
    │     SdJwtVcReason       SD-JWT VC: typ, vct, non-disclosable claims, issuer keys
    │     TypeMetadataReason  SD-JWT VC Type Metadata: extends, integrity (SRI)
    │     StatusListReason    Token Status List: encoding, bounds, Status List Token
    │     TrustReason         the trust registry: issuers, verifiers, regulation anchors
    │     Oid4vciReason       OpenID4VCI 1.0: offers, token and credential requests, key
    │                         proofs, notifications, issuer metadata, credential responses
    │     DpopReason          RFC 9449 DPoP: proof JWT shape, key, signature, request
    │                         binding (htm, htu, ath, nonce) and freshness
    │     OAuthReason         OAuth 2.0 code flow: PAR, PKCE, token requests, the
    │                         authorization response and its ``iss`` (RFC 9207)
    │     AttestationReason   OpenID4VCI Appendices D, E: wallet (client) attestations and
    │                         their PoP, key attestations; HAIP §4.4.1, §4.5.1
    ├── Unsupported(feature)  valid per the standard, but not something we implement or
    │                         have been configured to accept
    └── InvalidRegulation     a regulation file (our own data, not citizen input) breaks the
                              format; the message names the file path and the node

The core never raises anything else for bad input: no ``ValueError``, ``KeyError`` or
``TypeError`` escapes a parser. The edges (CLI, HTTP services) map a reason to the wire
code of their endpoint in one table each and never echo the input.

A reason's value is its slug (``"duplicate-digest"``): it is what the CLI prints after
``rejected:`` and what tests assert, so slugs are stable API.
"""

from __future__ import annotations

from enum import StrEnum


class Family(StrEnum):
    """Error classes of THREATS.md; edges choose status codes by family."""

    MALFORMED = "MALFORMED"
    TOO_LARGE = "TOO_LARGE"
    ALG_REJECTED = "ALG_REJECTED"
    SIG_INVALID = "SIG_INVALID"
    TYPE_INVALID = "TYPE_INVALID"
    ISSUER_UNTRUSTED = "ISSUER_UNTRUSTED"
    DISCLOSURE_INVALID = "DISCLOSURE_INVALID"
    KB_INVALID = "KB_INVALID"
    REPLAY = "REPLAY"
    TIME_INVALID = "TIME_INVALID"
    STATUS_UNAVAILABLE = "STATUS_UNAVAILABLE"
    POLICY_UNSATISFIED = "POLICY_UNSATISFIED"
    TRUST_UNAVAILABLE = "TRUST_UNAVAILABLE"


class JoseReason(StrEnum):
    """Compact JWS, JWK and JWT claim rules (RFC 7515, 7517, 7518, 7519, 7638)."""

    TOKEN_TOO_LARGE = "token-too-large"
    MALFORMED_JWS = "malformed-jws"
    BAD_BASE64URL = "bad-base64url"
    BAD_JSON = "bad-json"
    DUPLICATE_JSON_KEY = "duplicate-json-key"
    NON_FINITE_NUMBER = "non-finite-number"
    NUMBER_TOO_LARGE = "number-too-large"
    INVALID_UNICODE = "invalid-unicode"
    JSON_TOO_DEEP = "json-too-deep"
    NOT_A_JSON_OBJECT = "not-a-json-object"
    ALG_NOT_ALLOWED = "alg-not-allowed"
    ALG_KEY_MISMATCH = "alg-key-mismatch"
    TYP_MISMATCH = "typ-mismatch"
    UNSUPPORTED_HEADER = "unsupported-header"
    BAD_SIGNATURE = "bad-signature"
    BAD_JWK = "bad-jwk"
    PRIVATE_KEY_MATERIAL = "private-key-material"
    BAD_TIME_CLAIM = "bad-time-claim"
    EXPIRED = "expired"
    NOT_YET_VALID = "not-yet-valid"
    ISSUED_IN_FUTURE = "issued-in-future"


class SdJwtReason(StrEnum):
    """RFC 9901 rules: serialization (§4, §8), Disclosures (§4.2), verification (§7)."""

    MALFORMED_SERIALIZATION = "malformed-serialization"
    TOO_MANY_DISCLOSURES = "too-many-disclosures"
    TOO_MANY_DIGESTS = "too-many-digests"
    NESTING_TOO_DEEP = "nesting-too-deep"
    DISCLOSURE_NOT_ARRAY = "disclosure-not-array"
    DISCLOSURE_WRONG_ARITY = "disclosure-wrong-arity"
    DISCLOSURE_BAD_SALT = "disclosure-bad-salt"
    DISCLOSURE_BAD_CLAIM_NAME = "disclosure-bad-claim-name"
    DISCLOSURE_RESERVED_CLAIM_NAME = "disclosure-reserved-claim-name"
    DISCLOSURE_KIND_MISMATCH = "disclosure-kind-mismatch"
    DUPLICATE_DIGEST = "duplicate-digest"
    DUPLICATE_DISCLOSURE = "duplicate-disclosure"
    UNREFERENCED_DISCLOSURE = "unreferenced-disclosure"
    CLAIM_NAME_COLLISION = "claim-name-collision"
    BAD_SD_ARRAY = "bad-sd-array"
    BAD_ARRAY_ELEMENT_PLACEHOLDER = "bad-array-element-placeholder"
    MISPLACED_ELLIPSIS = "misplaced-ellipsis"
    SD_ALG_NOT_TOP_LEVEL = "sd-alg-not-top-level"
    SD_ALG_UNSUPPORTED = "sd-alg-unsupported"
    KEY_BINDING_MISSING = "key-binding-missing"
    KEY_BINDING_UNEXPECTED = "key-binding-unexpected"
    HOLDER_KEY_MISSING = "holder-key-missing"
    HOLDER_KEY_UNSUPPORTED = "holder-key-unsupported"
    KB_CLAIM_MISSING = "kb-claim-missing"
    KB_NONCE_MISMATCH = "kb-nonce-mismatch"
    KB_AUDIENCE_MISMATCH = "kb-audience-mismatch"
    KB_IAT_OUT_OF_WINDOW = "kb-iat-out-of-window"
    KB_SD_HASH_MISMATCH = "kb-sd-hash-mismatch"
    CLAIM_PATH_NOT_FOUND = "claim-path-not-found"
    BAD_CLAIM_PATH = "bad-claim-path"


class SdJwtVcReason(StrEnum):
    """SD-JWT VC rules (draft-ietf-oauth-sd-jwt-vc editor's copy: §2.2 claims, §2.5 and §4 keys)."""

    VCT_MISSING = "vct-missing"
    NON_DISCLOSABLE_CLAIM_DISCLOSED = "non-disclosable-claim-disclosed"
    BAD_REGISTERED_CLAIM = "bad-registered-claim"
    BAD_STATUS_CLAIM = "bad-status-claim"
    ISSUER_KEY_NOT_FOUND = "issuer-key-not-found"
    ISSUER_METADATA_INVALID = "issuer-metadata-invalid"
    ISSUER_METADATA_MISMATCH = "issuer-metadata-mismatch"
    X5C_CHAIN_INVALID = "x5c-chain-invalid"
    X5C_CHAIN_TOO_LARGE = "x5c-chain-too-large"
    DID_UNSUPPORTED = "did-unsupported"
    DID_DOCUMENT_INVALID = "did-document-invalid"


class TypeMetadataReason(StrEnum):
    """SD-JWT VC Type Metadata (draft-ietf-oauth-sd-jwt-vc editor's copy §5, §6 integrity)."""

    METADATA_INVALID = "type-metadata-invalid"
    VCT_MISMATCH = "type-metadata-vct-mismatch"
    EXTENDS_CYCLE = "type-metadata-extends-cycle"
    EXTENDS_TOO_DEEP = "type-metadata-extends-too-deep"
    EXTENDS_MISSING = "type-metadata-extends-missing"
    INTEGRITY_MALFORMED = "integrity-malformed"
    INTEGRITY_UNSUPPORTED_ALG = "integrity-unsupported-alg"
    INTEGRITY_MISMATCH = "integrity-mismatch"


class StatusListReason(StrEnum):
    """Token Status List rules (draft-ietf-oauth-status-list §4, §5, §6, §8)."""

    BAD_BITS = "status-list-bad-bits"
    BAD_LST = "status-list-bad-lst"
    LIST_TOO_LARGE = "status-list-too-large"
    BAD_INDEX = "status-index-malformed"
    INDEX_OUT_OF_RANGE = "status-index-out-of-range"
    BAD_REFERENCE = "status-reference-malformed"
    SUBJECT_MISMATCH = "status-list-subject-mismatch"
    BAD_TTL = "status-list-bad-ttl"
    TOKEN_CLAIM_MISSING = "status-list-claim-missing"
    STALE = "status-list-stale"
    REVOKED = "credential-revoked"
    SUSPENDED = "credential-suspended"
    NOT_VALID = "credential-status-not-valid"
    STATUS_MISSING = "credential-status-missing"


class TrustReason(StrEnum):
    """Trust registry decisions (DESIGN §1 trust/; THREATS R-01..R-08, C-01..C-07)."""

    ISSUER_NOT_REGISTERED = "issuer-not-registered"
    VCT_NOT_AUTHORISED = "vct-not-authorised"
    KEY_NOT_REGISTERED = "key-not-registered"
    VERIFIER_NOT_REGISTERED = "verifier-not-registered"
    REGULATION_NOT_AUTHORISED = "regulation-not-authorised"
    CLAIM_NOT_AUTHORISED = "claim-not-authorised"
    NOT_YET_EFFECTIVE = "registry-entry-not-yet-effective"
    OUTSIDE_VALIDITY = "registry-entry-outside-validity"
    REGULATION_NOT_ANCHORED = "regulation-not-anchored"
    REGULATION_HASH_MISMATCH = "regulation-hash-mismatch"
    MALFORMED_ENTRY = "registry-entry-malformed"
    REGISTRY_UNAVAILABLE = "registry-unavailable"
    REGISTRY_STALE = "registry-stale"
    WRONG_CHAIN = "registry-wrong-chain"
    WRONG_CODE = "registry-wrong-code"
    X5C_ROOT_NOT_REGISTERED = "x5c-root-not-registered"
    """An ``x5c`` chain does not end in a root whose key the registry lists for the issuer
    (HAIP §6.1.1: trust comes from the registry, never from the chain itself)."""


class Oid4vciReason(StrEnum):
    """OpenID4VCI 1.0 rules: §4.1 offers, §6.1 token, §8.2 credential, F.1 proofs, §11, §12."""

    MALFORMED_OFFER = "malformed-credential-offer"
    OFFER_TOO_LARGE = "credential-offer-too-large"
    MALFORMED_TOKEN_REQUEST = "malformed-token-request"
    DUPLICATE_PARAMETER = "duplicate-parameter"
    UNSUPPORTED_GRANT_TYPE = "unsupported-grant-type"
    MISSING_PRE_AUTHORIZED_CODE = "missing-pre-authorized-code"
    MALFORMED_CREDENTIAL_REQUEST = "malformed-credential-request"
    AMBIGUOUS_CREDENTIAL_REQUEST = "ambiguous-credential-request"
    ENCRYPTION_UNSUPPORTED = "encryption-unsupported"
    SINGULAR_PROOF = "singular-proof"
    PROOF_MISSING = "proof-missing"
    UNSUPPORTED_PROOF_TYPE = "unsupported-proof-type"
    TOO_MANY_PROOFS = "too-many-proofs"
    MALFORMED_PROOF = "malformed-proof"
    PROOF_TYP = "proof-typ-mismatch"
    PROOF_ALG = "proof-alg-not-allowed"
    PROOF_KEY_REFERENCE = "proof-key-reference"
    PROOF_KEY_UNSUPPORTED = "proof-key-unsupported"
    PROOF_PRIVATE_KEY = "proof-private-key"
    PROOF_AUDIENCE = "proof-audience-mismatch"
    PROOF_IAT_MISSING = "proof-iat-missing"
    PROOF_STALE = "proof-stale"
    PROOF_FROM_FUTURE = "proof-from-future"
    PROOF_NONCE_MISSING = "proof-nonce-missing"
    PROOF_NONCES_DIFFER = "proof-nonces-differ"
    PROOF_KEYS_REPEATED = "proof-keys-repeated"
    MALFORMED_NOTIFICATION = "malformed-notification"
    UNKNOWN_NOTIFICATION_EVENT = "unknown-notification-event"
    MALFORMED_DEFERRED_REQUEST = "malformed-deferred-request"
    MALFORMED_METADATA = "malformed-credential-issuer-metadata"
    ISSUER_MISMATCH = "credential-issuer-mismatch"
    MALFORMED_CREDENTIAL_RESPONSE = "malformed-credential-response"


class Oid4vpReason(StrEnum):
    """OpenID4VP 1.0 rules: §5 request, §5.9 client identifier prefixes, §5.10 request_uri,
    §8 response (§8.1 vp_token, §8.2 direct_post, §8.3 direct_post.jwt, §8.4 transaction data),
    Appendix B.3 (SD-JWT VC key binding and transaction_data_hashes)."""

    MALFORMED_REQUEST_OBJECT = "malformed-request-object"
    UNSIGNED_REQUEST = "unsigned-request-not-allowed"
    UNKNOWN_CLIENT_ID_PREFIX = "unknown-client-id-prefix"
    CLIENT_ID_MISMATCH = "client-id-mismatch"
    X509_SAN_MISMATCH = "x509-san-dns-mismatch"
    X509_HASH_MISMATCH = "x509-hash-mismatch"
    CERTIFICATE_INVALID = "request-certificate-invalid"
    DID_KEY_MISMATCH = "decentralized-identifier-key-mismatch"
    RESPONSE_URI_NOT_BOUND = "response-uri-not-bound-to-client"
    UNSUPPORTED_RESPONSE_TYPE = "unsupported-response-type"
    UNSUPPORTED_RESPONSE_MODE = "unsupported-response-mode"
    REQUEST_EXPIRED = "request-object-expired"
    WALLET_NONCE_MISMATCH = "wallet-nonce-mismatch"
    MALFORMED_LINK = "malformed-authorization-request-link"
    MALFORMED_RESPONSE = "malformed-authorization-response"
    RESPONSE_TOO_LARGE = "authorization-response-too-large"
    DUPLICATE_PARAMETER = "duplicate-response-parameter"
    VP_TOKEN_MISSING = "vp-token-missing"
    MALFORMED_VP_TOKEN = "malformed-vp-token"
    TOO_MANY_PRESENTATIONS = "too-many-presentations"
    UNKNOWN_STATE = "unknown-state"
    TRANSACTION_EXPIRED = "transaction-expired"
    ALREADY_ANSWERED = "transaction-already-answered"
    ENCRYPTED_RESPONSE_REQUIRED = "encrypted-response-required"
    MALFORMED_JWE = "malformed-jwe"
    JWE_TOO_LARGE = "jwe-too-large"
    JWE_ALG = "jwe-alg-not-allowed"
    JWE_ENC = "jwe-enc-not-allowed"
    JWE_ZIP = "jwe-compression-not-allowed"
    JWE_KEY_MISMATCH = "jwe-key-mismatch"
    JWE_EPK_INVALID = "jwe-epk-invalid"
    JWE_DECRYPTION_FAILED = "jwe-decryption-failed"
    MALFORMED_TRANSACTION_DATA = "malformed-transaction-data"
    TRANSACTION_DATA_HASHES_MISSING = "transaction-data-hashes-missing"
    TRANSACTION_DATA_HASH_MISMATCH = "transaction-data-hash-mismatch"
    TRANSACTION_DATA_HASH_ALG = "transaction-data-hash-alg-not-allowed"
    HOLDERS_DIFFER = "credentials-bound-to-different-holders"
    MALFORMED_CLIENT_ID = "malformed-client-id"
    MALFORMED_REQUEST_URI_POST = "malformed-request-uri-post"
    REQUEST_URI_POST_TOO_LARGE = "request-uri-post-too-large"
    NOT_HAIP = "request-outside-haip"
    """A wallet in strict HAIP mode met a request HAIP 1.0 does not allow (``oid4vp.haip``)."""


class DcqlReason(StrEnum):
    """Digital Credentials Query Language, OpenID4VP 1.0 §6 and §7 (claims path pointers);
    the verifier re-checks every answer against its own query (§6.4, never the wallet's word)."""

    MALFORMED_QUERY = "malformed-dcql-query"
    QUERY_TOO_LARGE = "dcql-query-too-large"
    DUPLICATE_ID = "duplicate-dcql-id"
    UNKNOWN_CREDENTIAL_ID = "unknown-credential-query-id"
    MULTIPLE_NOT_ALLOWED = "multiple-presentations-not-allowed"
    FORMAT_MISMATCH = "credential-format-mismatch"
    VCT_NOT_REQUESTED = "vct-not-requested"
    CLAIM_MISSING = "requested-claim-missing"
    CLAIM_VALUE_NOT_ALLOWED = "claim-value-not-allowed"
    CLAIM_SETS_UNSATISFIED = "claim-sets-unsatisfied"
    CREDENTIAL_SETS_UNSATISFIED = "credential-sets-unsatisfied"
    CLAIM_OUTSIDE_QUERY = "claim-outside-query"
    TRUSTED_AUTHORITY_NOT_MATCHED = "trusted-authority-not-matched"
    """No certificate of the credential's ``x5c`` chain has a key identifier the query's
    ``trusted_authorities`` name (§6.1.1, ``aki``)."""


class DpopReason(StrEnum):
    """RFC 9449 DPoP proofs: the checks of §4.3 on the proof JWT of §4.2."""

    PROOF_TOO_LARGE = "dpop-proof-too-large"
    MALFORMED_PROOF = "malformed-dpop-proof"
    TYP_MISMATCH = "dpop-typ-mismatch"
    ALG_NOT_ALLOWED = "dpop-alg-not-allowed"
    JWK_MISSING = "dpop-jwk-missing"
    JWK_INVALID = "dpop-jwk-invalid"
    JWK_PRIVATE = "dpop-jwk-private"
    BAD_SIGNATURE = "dpop-bad-signature"
    CLAIM_MISSING = "dpop-claim-missing"
    BAD_CLAIM = "dpop-bad-claim"
    BAD_JTI = "dpop-jti-invalid"
    HTM_MISMATCH = "dpop-htm-mismatch"
    HTU_MISMATCH = "dpop-htu-mismatch"
    IAT_TOO_OLD = "dpop-iat-too-old"
    IAT_IN_FUTURE = "dpop-iat-in-future"
    ATH_MISSING = "dpop-ath-missing"
    ATH_MISMATCH = "dpop-ath-mismatch"
    NONCE_MISSING = "dpop-nonce-missing"
    NONCE_MISMATCH = "dpop-nonce-mismatch"
    PROOF_REPLAYED = "dpop-proof-replayed"
    """A proof whose ``jti`` the server has seen (§11.1); the server's store decides it."""


class AttestationReason(StrEnum):
    """Wallet and key attestations: OpenID4VCI 1.0 Appendices D and E, HAIP 1.0 §4.4.1, §4.5.1.

    The client attestation and its PoP follow draft-ietf-oauth-attestation-based-client-auth-07
    §5.1, §5.2 and §7 (the draft OpenID4VCI 1.0 cites); key attestations Appendix D.1, D.2 and
    their use in ``jwt`` proofs (F.1) and as the ``attestation`` proof type (F.3).
    """

    ALG_NOT_ALLOWED = "attestation-alg-not-allowed"
    X5C_MISSING = "attestation-x5c-missing"
    CHAIN_UNTRUSTED = "attestation-chain-untrusted"
    CHAIN_TOO_LARGE = "attestation-chain-too-large"
    BAD_SIGNATURE = "attestation-bad-signature"
    CLAIM_MISSING = "attestation-claim-missing"
    MALFORMED_CLAIM = "attestation-claim-malformed"
    EXPIRED = "attestation-expired"
    NOT_YET_VALID = "attestation-not-yet-valid"
    ISSUED_IN_FUTURE = "attestation-issued-in-future"
    CLIENT_ATTESTATION_TYP = "client-attestation-typ-mismatch"
    NOT_FRESH = "client-attestation-not-fresh"
    CNF_INVALID = "client-attestation-cnf-invalid"
    CNF_PRIVATE_KEY = "client-attestation-cnf-private-key"
    CLIENT_ID_MISMATCH = "client-attestation-client-id-mismatch"
    POP_TYP = "client-attestation-pop-typ-mismatch"
    POP_BAD_SIGNATURE = "client-attestation-pop-bad-signature"
    POP_ISSUER_MISMATCH = "client-attestation-pop-issuer-mismatch"
    POP_AUDIENCE = "client-attestation-pop-audience-mismatch"
    POP_JTI_INVALID = "client-attestation-pop-jti-invalid"
    POP_STALE = "client-attestation-pop-stale"
    POP_REPLAYED = "client-attestation-pop-replayed"
    CHALLENGE_MISSING = "client-attestation-challenge-missing"
    CHALLENGE_MISMATCH = "client-attestation-challenge-mismatch"
    KEY_ATTESTATION_TYP = "key-attestation-typ-mismatch"
    ATTESTED_KEYS_INVALID = "attested-keys-invalid"
    TOO_MANY_ATTESTED_KEYS = "too-many-attested-keys"
    ATTESTED_KEY_PRIVATE = "attested-key-private"
    ATTESTED_KEYS_REPEATED = "attested-keys-repeated"
    KEY_STORAGE_INSUFFICIENT = "key-storage-insufficient"
    USER_AUTHENTICATION_INSUFFICIENT = "user-authentication-insufficient"
    KEY_ATTESTATION_EXPIRY_MISSING = "key-attestation-exp-missing"
    KEY_ATTESTATION_NONCE_MISSING = "key-attestation-nonce-missing"
    KEY_ATTESTATION_NONCE_MISMATCH = "key-attestation-nonce-mismatch"
    KEY_ATTESTATION_MISSING = "key-attestation-missing"
    KEY_NOT_ATTESTED = "proof-key-not-attested"


class OAuthReason(StrEnum):
    """OAuth 2.0 authorization code flow: RFC 6749 §3-§6, PKCE (RFC 7636), PAR (RFC 9126),
    the ``iss`` response parameter (RFC 9207); what HAIP 1.0 §4.3 and §4.4 build on."""

    MALFORMED_REQUEST = "malformed-oauth-request"
    DUPLICATE_PARAMETER = "oauth-duplicate-parameter"
    MISSING_PARAMETER = "oauth-missing-parameter"
    UNSUPPORTED_RESPONSE_TYPE = "oauth-unsupported-response-type"
    UNSUPPORTED_GRANT_TYPE = "oauth-unsupported-grant-type"
    REDIRECT_URI_INVALID = "redirect-uri-invalid"
    MALFORMED_SCOPE = "malformed-scope"
    AUTHORIZATION_DETAILS_UNSUPPORTED = "authorization-details-unsupported"
    REQUEST_OBJECT_UNSUPPORTED = "request-object-unsupported"
    REQUEST_URI_IN_PUSHED_REQUEST = "request-uri-in-pushed-request"
    MALFORMED_REQUEST_URI = "malformed-pushed-request-uri"
    PKCE_CHALLENGE_MISSING = "pkce-challenge-missing"
    PKCE_METHOD_UNSUPPORTED = "pkce-method-unsupported"
    PKCE_CHALLENGE_MALFORMED = "pkce-challenge-malformed"
    PKCE_VERIFIER_MALFORMED = "pkce-verifier-malformed"
    PKCE_MISMATCH = "pkce-verifier-mismatch"
    MALFORMED_AUTHORIZATION_RESPONSE = "malformed-oauth-authorization-response"
    AUTHORIZATION_RESPONSE_ERROR = "oauth-authorization-response-error"
    ISSUER_MISMATCH = "authorization-response-issuer-mismatch"
    STATE_MISMATCH = "authorization-response-state-mismatch"
    DPOP_JKT_MALFORMED = "dpop-jkt-malformed"


Reason = (
    JoseReason
    | SdJwtReason
    | SdJwtVcReason
    | TypeMetadataReason
    | StatusListReason
    | TrustReason
    | Oid4vciReason
    | Oid4vpReason
    | DcqlReason
    | DpopReason
    | OAuthReason
    | AttestationReason
)

REASON_ENUMS: tuple[type[StrEnum], ...] = (
    JoseReason,
    SdJwtReason,
    SdJwtVcReason,
    TypeMetadataReason,
    StatusListReason,
    TrustReason,
    Oid4vciReason,
    Oid4vpReason,
    DcqlReason,
    DpopReason,
    OAuthReason,
    AttestationReason,
)

_F = Family
FAMILY_OF: dict[Reason, Family] = {
    JoseReason.TOKEN_TOO_LARGE: _F.TOO_LARGE,
    JoseReason.MALFORMED_JWS: _F.MALFORMED,
    JoseReason.BAD_BASE64URL: _F.MALFORMED,
    JoseReason.BAD_JSON: _F.MALFORMED,
    JoseReason.DUPLICATE_JSON_KEY: _F.MALFORMED,
    JoseReason.NON_FINITE_NUMBER: _F.MALFORMED,
    JoseReason.NUMBER_TOO_LARGE: _F.MALFORMED,
    JoseReason.INVALID_UNICODE: _F.MALFORMED,
    JoseReason.JSON_TOO_DEEP: _F.TOO_LARGE,
    JoseReason.NOT_A_JSON_OBJECT: _F.MALFORMED,
    JoseReason.ALG_NOT_ALLOWED: _F.ALG_REJECTED,
    JoseReason.ALG_KEY_MISMATCH: _F.ALG_REJECTED,
    JoseReason.TYP_MISMATCH: _F.TYPE_INVALID,
    JoseReason.UNSUPPORTED_HEADER: _F.MALFORMED,
    JoseReason.BAD_SIGNATURE: _F.SIG_INVALID,
    JoseReason.BAD_JWK: _F.MALFORMED,
    JoseReason.PRIVATE_KEY_MATERIAL: _F.MALFORMED,
    JoseReason.BAD_TIME_CLAIM: _F.MALFORMED,
    JoseReason.EXPIRED: _F.TIME_INVALID,
    JoseReason.NOT_YET_VALID: _F.TIME_INVALID,
    JoseReason.ISSUED_IN_FUTURE: _F.TIME_INVALID,
    SdJwtReason.MALFORMED_SERIALIZATION: _F.MALFORMED,
    SdJwtReason.TOO_MANY_DISCLOSURES: _F.TOO_LARGE,
    SdJwtReason.TOO_MANY_DIGESTS: _F.TOO_LARGE,
    SdJwtReason.NESTING_TOO_DEEP: _F.TOO_LARGE,
    SdJwtReason.DISCLOSURE_NOT_ARRAY: _F.DISCLOSURE_INVALID,
    SdJwtReason.DISCLOSURE_WRONG_ARITY: _F.DISCLOSURE_INVALID,
    SdJwtReason.DISCLOSURE_BAD_SALT: _F.DISCLOSURE_INVALID,
    SdJwtReason.DISCLOSURE_BAD_CLAIM_NAME: _F.DISCLOSURE_INVALID,
    SdJwtReason.DISCLOSURE_RESERVED_CLAIM_NAME: _F.DISCLOSURE_INVALID,
    SdJwtReason.DISCLOSURE_KIND_MISMATCH: _F.DISCLOSURE_INVALID,
    SdJwtReason.DUPLICATE_DIGEST: _F.DISCLOSURE_INVALID,
    SdJwtReason.DUPLICATE_DISCLOSURE: _F.DISCLOSURE_INVALID,
    SdJwtReason.UNREFERENCED_DISCLOSURE: _F.DISCLOSURE_INVALID,
    SdJwtReason.CLAIM_NAME_COLLISION: _F.DISCLOSURE_INVALID,
    SdJwtReason.BAD_SD_ARRAY: _F.DISCLOSURE_INVALID,
    SdJwtReason.BAD_ARRAY_ELEMENT_PLACEHOLDER: _F.DISCLOSURE_INVALID,
    SdJwtReason.MISPLACED_ELLIPSIS: _F.DISCLOSURE_INVALID,
    SdJwtReason.SD_ALG_NOT_TOP_LEVEL: _F.DISCLOSURE_INVALID,
    SdJwtReason.SD_ALG_UNSUPPORTED: _F.ALG_REJECTED,
    SdJwtReason.KEY_BINDING_MISSING: _F.KB_INVALID,
    SdJwtReason.KEY_BINDING_UNEXPECTED: _F.KB_INVALID,
    SdJwtReason.HOLDER_KEY_MISSING: _F.KB_INVALID,
    SdJwtReason.HOLDER_KEY_UNSUPPORTED: _F.KB_INVALID,
    SdJwtReason.KB_CLAIM_MISSING: _F.KB_INVALID,
    SdJwtReason.KB_NONCE_MISMATCH: _F.REPLAY,
    SdJwtReason.KB_AUDIENCE_MISMATCH: _F.REPLAY,
    SdJwtReason.KB_IAT_OUT_OF_WINDOW: _F.TIME_INVALID,
    SdJwtReason.KB_SD_HASH_MISMATCH: _F.KB_INVALID,
    SdJwtReason.CLAIM_PATH_NOT_FOUND: _F.POLICY_UNSATISFIED,
    SdJwtReason.BAD_CLAIM_PATH: _F.MALFORMED,
    SdJwtVcReason.VCT_MISSING: _F.MALFORMED,
    SdJwtVcReason.NON_DISCLOSABLE_CLAIM_DISCLOSED: _F.DISCLOSURE_INVALID,
    SdJwtVcReason.BAD_REGISTERED_CLAIM: _F.MALFORMED,
    SdJwtVcReason.BAD_STATUS_CLAIM: _F.MALFORMED,
    SdJwtVcReason.ISSUER_KEY_NOT_FOUND: _F.ISSUER_UNTRUSTED,
    SdJwtVcReason.ISSUER_METADATA_INVALID: _F.ISSUER_UNTRUSTED,
    SdJwtVcReason.ISSUER_METADATA_MISMATCH: _F.ISSUER_UNTRUSTED,
    SdJwtVcReason.X5C_CHAIN_INVALID: _F.ISSUER_UNTRUSTED,
    SdJwtVcReason.X5C_CHAIN_TOO_LARGE: _F.TOO_LARGE,
    SdJwtVcReason.DID_UNSUPPORTED: _F.ISSUER_UNTRUSTED,
    SdJwtVcReason.DID_DOCUMENT_INVALID: _F.ISSUER_UNTRUSTED,
    TypeMetadataReason.METADATA_INVALID: _F.MALFORMED,
    TypeMetadataReason.VCT_MISMATCH: _F.POLICY_UNSATISFIED,
    TypeMetadataReason.EXTENDS_CYCLE: _F.MALFORMED,
    TypeMetadataReason.EXTENDS_TOO_DEEP: _F.TOO_LARGE,
    TypeMetadataReason.EXTENDS_MISSING: _F.MALFORMED,
    TypeMetadataReason.INTEGRITY_MALFORMED: _F.MALFORMED,
    TypeMetadataReason.INTEGRITY_UNSUPPORTED_ALG: _F.ALG_REJECTED,
    TypeMetadataReason.INTEGRITY_MISMATCH: _F.SIG_INVALID,
    StatusListReason.BAD_BITS: _F.MALFORMED,
    StatusListReason.BAD_LST: _F.MALFORMED,
    StatusListReason.LIST_TOO_LARGE: _F.TOO_LARGE,
    StatusListReason.BAD_INDEX: _F.MALFORMED,
    StatusListReason.INDEX_OUT_OF_RANGE: _F.MALFORMED,
    StatusListReason.BAD_REFERENCE: _F.MALFORMED,
    StatusListReason.SUBJECT_MISMATCH: _F.STATUS_UNAVAILABLE,
    StatusListReason.BAD_TTL: _F.MALFORMED,
    StatusListReason.TOKEN_CLAIM_MISSING: _F.MALFORMED,
    StatusListReason.STALE: _F.STATUS_UNAVAILABLE,
    StatusListReason.REVOKED: _F.POLICY_UNSATISFIED,
    StatusListReason.SUSPENDED: _F.POLICY_UNSATISFIED,
    StatusListReason.NOT_VALID: _F.POLICY_UNSATISFIED,
    StatusListReason.STATUS_MISSING: _F.POLICY_UNSATISFIED,
    TrustReason.ISSUER_NOT_REGISTERED: _F.ISSUER_UNTRUSTED,
    TrustReason.VCT_NOT_AUTHORISED: _F.ISSUER_UNTRUSTED,
    TrustReason.KEY_NOT_REGISTERED: _F.ISSUER_UNTRUSTED,
    TrustReason.VERIFIER_NOT_REGISTERED: _F.POLICY_UNSATISFIED,
    TrustReason.REGULATION_NOT_AUTHORISED: _F.POLICY_UNSATISFIED,
    TrustReason.CLAIM_NOT_AUTHORISED: _F.POLICY_UNSATISFIED,
    TrustReason.NOT_YET_EFFECTIVE: _F.ISSUER_UNTRUSTED,
    TrustReason.OUTSIDE_VALIDITY: _F.ISSUER_UNTRUSTED,
    TrustReason.REGULATION_NOT_ANCHORED: _F.POLICY_UNSATISFIED,
    TrustReason.REGULATION_HASH_MISMATCH: _F.POLICY_UNSATISFIED,
    TrustReason.MALFORMED_ENTRY: _F.ISSUER_UNTRUSTED,
    TrustReason.REGISTRY_UNAVAILABLE: _F.TRUST_UNAVAILABLE,
    TrustReason.REGISTRY_STALE: _F.TRUST_UNAVAILABLE,
    TrustReason.WRONG_CHAIN: _F.TRUST_UNAVAILABLE,
    TrustReason.WRONG_CODE: _F.TRUST_UNAVAILABLE,
    TrustReason.X5C_ROOT_NOT_REGISTERED: _F.ISSUER_UNTRUSTED,
    Oid4vciReason.MALFORMED_OFFER: _F.MALFORMED,
    Oid4vciReason.OFFER_TOO_LARGE: _F.TOO_LARGE,
    Oid4vciReason.MALFORMED_TOKEN_REQUEST: _F.MALFORMED,
    Oid4vciReason.DUPLICATE_PARAMETER: _F.MALFORMED,
    Oid4vciReason.UNSUPPORTED_GRANT_TYPE: _F.POLICY_UNSATISFIED,
    Oid4vciReason.MISSING_PRE_AUTHORIZED_CODE: _F.MALFORMED,
    Oid4vciReason.MALFORMED_CREDENTIAL_REQUEST: _F.MALFORMED,
    Oid4vciReason.AMBIGUOUS_CREDENTIAL_REQUEST: _F.MALFORMED,
    Oid4vciReason.ENCRYPTION_UNSUPPORTED: _F.POLICY_UNSATISFIED,
    Oid4vciReason.SINGULAR_PROOF: _F.MALFORMED,
    Oid4vciReason.PROOF_MISSING: _F.KB_INVALID,
    Oid4vciReason.UNSUPPORTED_PROOF_TYPE: _F.TYPE_INVALID,
    Oid4vciReason.TOO_MANY_PROOFS: _F.TOO_LARGE,
    Oid4vciReason.MALFORMED_PROOF: _F.MALFORMED,
    Oid4vciReason.PROOF_TYP: _F.TYPE_INVALID,
    Oid4vciReason.PROOF_ALG: _F.ALG_REJECTED,
    Oid4vciReason.PROOF_KEY_REFERENCE: _F.KB_INVALID,
    Oid4vciReason.PROOF_KEY_UNSUPPORTED: _F.KB_INVALID,
    Oid4vciReason.PROOF_PRIVATE_KEY: _F.KB_INVALID,
    Oid4vciReason.PROOF_AUDIENCE: _F.REPLAY,
    Oid4vciReason.PROOF_IAT_MISSING: _F.MALFORMED,
    Oid4vciReason.PROOF_STALE: _F.TIME_INVALID,
    Oid4vciReason.PROOF_FROM_FUTURE: _F.TIME_INVALID,
    Oid4vciReason.PROOF_NONCE_MISSING: _F.REPLAY,
    Oid4vciReason.PROOF_NONCES_DIFFER: _F.REPLAY,
    Oid4vciReason.PROOF_KEYS_REPEATED: _F.KB_INVALID,
    Oid4vciReason.MALFORMED_NOTIFICATION: _F.MALFORMED,
    Oid4vciReason.UNKNOWN_NOTIFICATION_EVENT: _F.MALFORMED,
    Oid4vciReason.MALFORMED_DEFERRED_REQUEST: _F.MALFORMED,
    Oid4vciReason.MALFORMED_METADATA: _F.MALFORMED,
    Oid4vciReason.ISSUER_MISMATCH: _F.ISSUER_UNTRUSTED,
    Oid4vciReason.MALFORMED_CREDENTIAL_RESPONSE: _F.MALFORMED,
    Oid4vpReason.MALFORMED_REQUEST_OBJECT: _F.MALFORMED,
    Oid4vpReason.UNSIGNED_REQUEST: _F.SIG_INVALID,
    Oid4vpReason.UNKNOWN_CLIENT_ID_PREFIX: _F.POLICY_UNSATISFIED,
    Oid4vpReason.CLIENT_ID_MISMATCH: _F.SIG_INVALID,
    Oid4vpReason.X509_SAN_MISMATCH: _F.SIG_INVALID,
    Oid4vpReason.X509_HASH_MISMATCH: _F.SIG_INVALID,
    Oid4vpReason.CERTIFICATE_INVALID: _F.SIG_INVALID,
    Oid4vpReason.DID_KEY_MISMATCH: _F.SIG_INVALID,
    Oid4vpReason.RESPONSE_URI_NOT_BOUND: _F.POLICY_UNSATISFIED,
    Oid4vpReason.UNSUPPORTED_RESPONSE_TYPE: _F.POLICY_UNSATISFIED,
    Oid4vpReason.UNSUPPORTED_RESPONSE_MODE: _F.POLICY_UNSATISFIED,
    Oid4vpReason.REQUEST_EXPIRED: _F.TIME_INVALID,
    Oid4vpReason.WALLET_NONCE_MISMATCH: _F.REPLAY,
    Oid4vpReason.MALFORMED_LINK: _F.MALFORMED,
    Oid4vpReason.MALFORMED_RESPONSE: _F.MALFORMED,
    Oid4vpReason.RESPONSE_TOO_LARGE: _F.TOO_LARGE,
    Oid4vpReason.DUPLICATE_PARAMETER: _F.MALFORMED,
    Oid4vpReason.VP_TOKEN_MISSING: _F.MALFORMED,
    Oid4vpReason.MALFORMED_VP_TOKEN: _F.MALFORMED,
    Oid4vpReason.TOO_MANY_PRESENTATIONS: _F.TOO_LARGE,
    Oid4vpReason.UNKNOWN_STATE: _F.REPLAY,
    Oid4vpReason.TRANSACTION_EXPIRED: _F.TIME_INVALID,
    Oid4vpReason.ALREADY_ANSWERED: _F.REPLAY,
    Oid4vpReason.ENCRYPTED_RESPONSE_REQUIRED: _F.POLICY_UNSATISFIED,
    Oid4vpReason.MALFORMED_JWE: _F.MALFORMED,
    Oid4vpReason.JWE_TOO_LARGE: _F.TOO_LARGE,
    Oid4vpReason.JWE_ALG: _F.ALG_REJECTED,
    Oid4vpReason.JWE_ENC: _F.ALG_REJECTED,
    Oid4vpReason.JWE_ZIP: _F.MALFORMED,
    Oid4vpReason.JWE_KEY_MISMATCH: _F.MALFORMED,
    Oid4vpReason.JWE_EPK_INVALID: _F.MALFORMED,
    Oid4vpReason.JWE_DECRYPTION_FAILED: _F.SIG_INVALID,
    Oid4vpReason.MALFORMED_TRANSACTION_DATA: _F.MALFORMED,
    Oid4vpReason.TRANSACTION_DATA_HASHES_MISSING: _F.KB_INVALID,
    Oid4vpReason.TRANSACTION_DATA_HASH_MISMATCH: _F.KB_INVALID,
    Oid4vpReason.TRANSACTION_DATA_HASH_ALG: _F.ALG_REJECTED,
    Oid4vpReason.HOLDERS_DIFFER: _F.KB_INVALID,
    Oid4vpReason.MALFORMED_CLIENT_ID: _F.MALFORMED,
    Oid4vpReason.MALFORMED_REQUEST_URI_POST: _F.MALFORMED,
    Oid4vpReason.REQUEST_URI_POST_TOO_LARGE: _F.TOO_LARGE,
    Oid4vpReason.NOT_HAIP: _F.POLICY_UNSATISFIED,
    DcqlReason.MALFORMED_QUERY: _F.MALFORMED,
    DcqlReason.QUERY_TOO_LARGE: _F.TOO_LARGE,
    DcqlReason.DUPLICATE_ID: _F.MALFORMED,
    DcqlReason.UNKNOWN_CREDENTIAL_ID: _F.POLICY_UNSATISFIED,
    DcqlReason.MULTIPLE_NOT_ALLOWED: _F.POLICY_UNSATISFIED,
    DcqlReason.FORMAT_MISMATCH: _F.POLICY_UNSATISFIED,
    DcqlReason.VCT_NOT_REQUESTED: _F.POLICY_UNSATISFIED,
    DcqlReason.CLAIM_MISSING: _F.POLICY_UNSATISFIED,
    DcqlReason.CLAIM_VALUE_NOT_ALLOWED: _F.POLICY_UNSATISFIED,
    DcqlReason.CLAIM_SETS_UNSATISFIED: _F.POLICY_UNSATISFIED,
    DcqlReason.CREDENTIAL_SETS_UNSATISFIED: _F.POLICY_UNSATISFIED,
    DcqlReason.CLAIM_OUTSIDE_QUERY: _F.POLICY_UNSATISFIED,
    DcqlReason.TRUSTED_AUTHORITY_NOT_MATCHED: _F.POLICY_UNSATISFIED,
    DpopReason.PROOF_TOO_LARGE: _F.TOO_LARGE,
    DpopReason.MALFORMED_PROOF: _F.MALFORMED,
    DpopReason.TYP_MISMATCH: _F.TYPE_INVALID,
    DpopReason.ALG_NOT_ALLOWED: _F.ALG_REJECTED,
    DpopReason.JWK_MISSING: _F.KB_INVALID,
    DpopReason.JWK_INVALID: _F.KB_INVALID,
    DpopReason.JWK_PRIVATE: _F.KB_INVALID,
    DpopReason.BAD_SIGNATURE: _F.SIG_INVALID,
    DpopReason.CLAIM_MISSING: _F.MALFORMED,
    DpopReason.BAD_CLAIM: _F.MALFORMED,
    DpopReason.BAD_JTI: _F.MALFORMED,
    DpopReason.HTM_MISMATCH: _F.REPLAY,
    DpopReason.HTU_MISMATCH: _F.REPLAY,
    DpopReason.IAT_TOO_OLD: _F.TIME_INVALID,
    DpopReason.IAT_IN_FUTURE: _F.TIME_INVALID,
    DpopReason.ATH_MISSING: _F.KB_INVALID,
    DpopReason.ATH_MISMATCH: _F.KB_INVALID,
    DpopReason.NONCE_MISSING: _F.REPLAY,
    DpopReason.NONCE_MISMATCH: _F.REPLAY,
    DpopReason.PROOF_REPLAYED: _F.REPLAY,
    OAuthReason.MALFORMED_REQUEST: _F.MALFORMED,
    OAuthReason.DUPLICATE_PARAMETER: _F.MALFORMED,
    OAuthReason.MISSING_PARAMETER: _F.MALFORMED,
    OAuthReason.UNSUPPORTED_RESPONSE_TYPE: _F.POLICY_UNSATISFIED,
    OAuthReason.UNSUPPORTED_GRANT_TYPE: _F.POLICY_UNSATISFIED,
    OAuthReason.REDIRECT_URI_INVALID: _F.MALFORMED,
    OAuthReason.MALFORMED_SCOPE: _F.MALFORMED,
    OAuthReason.AUTHORIZATION_DETAILS_UNSUPPORTED: _F.POLICY_UNSATISFIED,
    OAuthReason.REQUEST_OBJECT_UNSUPPORTED: _F.POLICY_UNSATISFIED,
    OAuthReason.REQUEST_URI_IN_PUSHED_REQUEST: _F.MALFORMED,
    OAuthReason.MALFORMED_REQUEST_URI: _F.MALFORMED,
    OAuthReason.PKCE_CHALLENGE_MISSING: _F.POLICY_UNSATISFIED,
    OAuthReason.PKCE_METHOD_UNSUPPORTED: _F.POLICY_UNSATISFIED,
    OAuthReason.PKCE_CHALLENGE_MALFORMED: _F.MALFORMED,
    OAuthReason.PKCE_VERIFIER_MALFORMED: _F.MALFORMED,
    OAuthReason.PKCE_MISMATCH: _F.KB_INVALID,
    OAuthReason.MALFORMED_AUTHORIZATION_RESPONSE: _F.MALFORMED,
    OAuthReason.AUTHORIZATION_RESPONSE_ERROR: _F.POLICY_UNSATISFIED,
    OAuthReason.ISSUER_MISMATCH: _F.ISSUER_UNTRUSTED,
    OAuthReason.STATE_MISMATCH: _F.REPLAY,
    OAuthReason.DPOP_JKT_MALFORMED: _F.MALFORMED,
    AttestationReason.ALG_NOT_ALLOWED: _F.ALG_REJECTED,
    AttestationReason.X5C_MISSING: _F.ISSUER_UNTRUSTED,
    AttestationReason.CHAIN_UNTRUSTED: _F.ISSUER_UNTRUSTED,
    AttestationReason.CHAIN_TOO_LARGE: _F.TOO_LARGE,
    AttestationReason.BAD_SIGNATURE: _F.SIG_INVALID,
    AttestationReason.CLAIM_MISSING: _F.MALFORMED,
    AttestationReason.MALFORMED_CLAIM: _F.MALFORMED,
    AttestationReason.EXPIRED: _F.TIME_INVALID,
    AttestationReason.NOT_YET_VALID: _F.TIME_INVALID,
    AttestationReason.ISSUED_IN_FUTURE: _F.TIME_INVALID,
    AttestationReason.CLIENT_ATTESTATION_TYP: _F.TYPE_INVALID,
    AttestationReason.NOT_FRESH: _F.TIME_INVALID,
    AttestationReason.CNF_INVALID: _F.KB_INVALID,
    AttestationReason.CNF_PRIVATE_KEY: _F.KB_INVALID,
    AttestationReason.CLIENT_ID_MISMATCH: _F.POLICY_UNSATISFIED,
    AttestationReason.POP_TYP: _F.TYPE_INVALID,
    AttestationReason.POP_BAD_SIGNATURE: _F.KB_INVALID,
    AttestationReason.POP_ISSUER_MISMATCH: _F.KB_INVALID,
    AttestationReason.POP_AUDIENCE: _F.REPLAY,
    AttestationReason.POP_JTI_INVALID: _F.MALFORMED,
    AttestationReason.POP_STALE: _F.TIME_INVALID,
    AttestationReason.POP_REPLAYED: _F.REPLAY,
    AttestationReason.CHALLENGE_MISSING: _F.REPLAY,
    AttestationReason.CHALLENGE_MISMATCH: _F.REPLAY,
    AttestationReason.KEY_ATTESTATION_TYP: _F.TYPE_INVALID,
    AttestationReason.ATTESTED_KEYS_INVALID: _F.MALFORMED,
    AttestationReason.TOO_MANY_ATTESTED_KEYS: _F.TOO_LARGE,
    AttestationReason.ATTESTED_KEY_PRIVATE: _F.KB_INVALID,
    AttestationReason.ATTESTED_KEYS_REPEATED: _F.KB_INVALID,
    AttestationReason.KEY_STORAGE_INSUFFICIENT: _F.POLICY_UNSATISFIED,
    AttestationReason.USER_AUTHENTICATION_INSUFFICIENT: _F.POLICY_UNSATISFIED,
    AttestationReason.KEY_ATTESTATION_EXPIRY_MISSING: _F.MALFORMED,
    AttestationReason.KEY_ATTESTATION_NONCE_MISSING: _F.REPLAY,
    AttestationReason.KEY_ATTESTATION_NONCE_MISMATCH: _F.REPLAY,
    AttestationReason.KEY_ATTESTATION_MISSING: _F.POLICY_UNSATISFIED,
    AttestationReason.KEY_NOT_ATTESTED: _F.KB_INVALID,
}


class AanspraakError(Exception):
    """Root of every error the core raises on purpose."""


class Rejected(AanspraakError):
    """The input broke a rule of a standard or of our policy.

    The message is the reason's slug and nothing else: no input, no claim value, so the
    exception can be logged or rendered without leaking what was submitted.
    """

    def __init__(self, reason: Reason) -> None:
        super().__init__(reason.value)
        self.reason: Reason = reason

    @property
    def family(self) -> Family:
        return FAMILY_OF[self.reason]

    def __repr__(self) -> str:
        return f"Rejected({type(self.reason).__name__}.{self.reason.name})"


class Unsupported(AanspraakError):
    """Valid per the standard, but a feature we do not implement or were told to refuse."""

    def __init__(self, feature: str) -> None:
        super().__init__(feature)
        self.feature = feature


class InvalidRegulation(AanspraakError):
    """A regulation or credential-type file does not follow the format (specs/rules/model.py).

    These files are ours, shipped with the code and validated at load, so the message may
    name the offending node: it never contains citizen data.
    """
