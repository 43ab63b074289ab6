"""OpenID for Verifiable Credential Issuance 1.0: the messages, without the HTTP.

::

    offer.py      §4.1   Credential Offers: build, link (by value / by reference), parse
    metadata.py   §12.2  Credential Issuer Metadata: build, well-known URL, parse (identical
                  §12.3  issuer); Authorization Server metadata for the pre-authorized grant
    proof.py      F.1    ``jwt`` key proofs: build, verify (F.4), batch rules
    requests.py   §6.1   Token Request (form), §8.2 Credential Request, §9.1 Deferred
                  §11.1  Credential Request, Notification Request
    responses.py  §8.3   Credential Responses and deferrals (§9.2): build, parse
    fields.py            field readers shared by the parsers (types, bounds, URLs)

Section numbers are those of the 1.0 final text (Appendix F: proof types). Only the
Pre-Authorized Code Flow, the ``dc+sd-jwt`` format and the ``jwt`` proof type with a ``jwk``
header are implemented; encrypted requests and responses (§10) are refused, not ignored.
Every parser raises ``Rejected(Oid4vciReason.*)`` (or a ``JoseReason`` for a broken JWS) and
nothing else; the services map reasons to the wire error codes of each endpoint.
"""

from specs.oid4vci.metadata import (
    AUTHORIZATION_SERVER_WELL_KNOWN,
    CREDENTIAL_FORMAT,
    ISSUER_WELL_KNOWN,
    CredentialConfiguration,
    IssuerMetadata,
    authorization_server_metadata_url,
    build_authorization_server_metadata,
    build_issuer_metadata,
    issuer_metadata_url,
    parse_configurations,
    parse_issuer_metadata,
)
from specs.oid4vci.offer import (
    AUTHORIZATION_CODE_GRANT,
    MAX_TX_CODE_LENGTH,
    OFFER_SCHEME,
    PRE_AUTHORIZED_GRANT,
    CredentialOffer,
    TxCode,
    build_credential_offer,
    offer_link,
    offer_link_by_reference,
    parse_credential_offer,
    parse_offer_link,
)
from specs.oid4vci.proof import (
    PROOF_JWT_TYP,
    VerifiedProof,
    build_jwt_proof,
    check_proof_batch,
    verify_jwt_proof,
)
from specs.oid4vci.requests import (
    NOTIFICATION_EVENTS,
    CredentialRequest,
    NotificationRequest,
    TokenRequest,
    parse_credential_request,
    parse_deferred_request,
    parse_notification_request,
    parse_token_request,
)
from specs.oid4vci.responses import (
    CredentialResponse,
    build_credential_response,
    build_deferred_response,
    parse_credential_response,
)

__all__ = [
    "AUTHORIZATION_CODE_GRANT",
    "AUTHORIZATION_SERVER_WELL_KNOWN",
    "CREDENTIAL_FORMAT",
    "ISSUER_WELL_KNOWN",
    "MAX_TX_CODE_LENGTH",
    "NOTIFICATION_EVENTS",
    "OFFER_SCHEME",
    "PRE_AUTHORIZED_GRANT",
    "PROOF_JWT_TYP",
    "CredentialConfiguration",
    "CredentialOffer",
    "CredentialRequest",
    "CredentialResponse",
    "IssuerMetadata",
    "NotificationRequest",
    "TokenRequest",
    "TxCode",
    "VerifiedProof",
    "authorization_server_metadata_url",
    "build_authorization_server_metadata",
    "build_credential_offer",
    "build_credential_response",
    "build_deferred_response",
    "build_issuer_metadata",
    "build_jwt_proof",
    "check_proof_batch",
    "issuer_metadata_url",
    "offer_link",
    "offer_link_by_reference",
    "parse_configurations",
    "parse_credential_offer",
    "parse_credential_request",
    "parse_credential_response",
    "parse_deferred_request",
    "parse_issuer_metadata",
    "parse_notification_request",
    "parse_offer_link",
    "parse_token_request",
    "verify_jwt_proof",
]
