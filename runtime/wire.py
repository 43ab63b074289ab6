"""Errors on the wire: one class per wire code (DESIGN §3, STYLE habit 4).

::

    WireError                          {"error": code, "error_description": fixed text}
    ├── OAuth 2.0 token endpoint       RFC 6749 §5.2
    │     InvalidRequest, InvalidClient, InvalidGrant, UnauthorizedClient, UnsupportedGrantType
    ├── bearer-protected resources     RFC 6750 §3.1
    │     InvalidToken, InsufficientScope
    ├── authorization requests, PAR    RFC 6749 §4.1.2.1, RFC 9126 §2.3, RFC 9396 §5
    │     InvalidScope, UnsupportedResponseType, InvalidAuthorizationDetails
    ├── attestation-based client auth  draft-ietf-oauth-attestation-based-client-auth §6
    │     UseFreshAttestation
    ├── DPoP                           RFC 9449 §5, §7.1, §8, §9 (400 at the token endpoint,
    │     InvalidDpopProof, UseDpopNonce,                  401 with a challenge elsewhere)
    │     InvalidDpopProofChallenge, UseDpopNonceChallenge, InvalidDpopToken
    ├── OpenID4VCI 1.0                 §8.3.1.2 credential, §9.3 deferred, §11.3 notification
    │     InvalidProof, InvalidNonce, InvalidCredentialRequest, UnknownCredentialConfiguration,
    │     UnknownCredentialIdentifier, CredentialRequestDenied, IssuancePending,
    │     InvalidTransactionId, InvalidNotificationId, InvalidNotificationRequest
    ├── OpenID4VP 1.0                  §8.5
    │     InvalidTransactionData, VpFormatsNotSupported, InvalidRequestUriMethod
    ├── HTTP semantics                 RFC 9110 §15.5
    │     NotFound, MethodNotAllowed, PayloadTooLarge, UnsupportedMediaType
    ├── our back-office API            no standard defines these codes
    │     Unauthorized, Forbidden, Conflict
    └── the service itself             RFC 6749 §4.1.2.1 names both codes
          ServiceUnavailable, ServerError

The description is fixed text chosen by code, never built from the request: an error body says
which rule was broken, not what was submitted. Each endpoint maps the core's ``Rejected``
reasons to these classes with one :func:`reason_table`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import ClassVar

from starlette.responses import JSONResponse

from specs.errors import Rejected

_RESERVED_MEMBERS = frozenset({"error", "error_description"})


class WireError(Exception):
    """An error response: status code, the spec's wire code and a fixed description.

    ``extra`` adds members the spec defines next to ``error`` (the deferred endpoint's
    ``interval``); ``headers`` adds response headers (``Allow``, ``Retry-After``).
    """

    status_code: ClassVar[int]
    error: ClassVar[str]
    description: ClassVar[str]
    default_headers: ClassVar[Mapping[str, str]] = MappingProxyType({})

    def __init__(
        self,
        description: str | None = None,
        *,
        extra: Mapping[str, int | str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(self.error)
        if extra and _RESERVED_MEMBERS & extra.keys():
            raise ValueError("extra members may not replace error or error_description")
        self.error_description = self.description if description is None else description
        self.extra: dict[str, int | str] = dict(extra or {})
        self.headers: dict[str, str] = dict(headers or {})

    def body(self) -> dict[str, object]:
        return {"error": self.error, "error_description": self.error_description, **self.extra}

    def response_headers(self) -> dict[str, str]:
        return {**self.headers, **self.default_headers}


def render(error: WireError) -> JSONResponse:
    """The one rendering of a wire error; never cached (RFC 6749 §5.1 asks it of token replies)."""
    headers = {**error.response_headers(), "Cache-Control": "no-store"}
    return JSONResponse(error.body(), status_code=error.status_code, headers=headers)


def reason_table(
    table: Mapping[StrEnum, type[WireError]],
    *,
    default: type[WireError],
    describe_reason: bool = False,
) -> Callable[[Rejected], WireError]:
    """One endpoint's mapping from the core's reasons to wire errors (STYLE habit 4).

    The table is copied, so later changes to the caller's dict cannot change an endpoint.
    ``describe_reason`` puts the reason's slug in ``error_description`` (still fixed text,
    chosen by code): the verifier's wallet-facing endpoints do, so a wallet developer sees
    which rule failed (OpenID4VP 1.0 §8.5 leaves the description to the verifier).
    """
    frozen: Mapping[StrEnum, type[WireError]] = MappingProxyType(dict(table))

    def to_wire(rejected: Rejected) -> WireError:
        error = frozen.get(rejected.reason, default)
        return error(rejected.reason.value) if describe_reason else error()

    return to_wire


# RFC 6749 §5.2: the token endpoint's error codes.


class InvalidRequest(WireError):
    """RFC 6749 §5.2 ``invalid_request``: a parameter is missing, repeated, unsupported or
    the request is otherwise malformed. Also RFC 6750 §3.1 and OpenID4VCI 1.0 §6.3."""

    status_code = 400
    error = "invalid_request"
    description = "the request is malformed"


class InvalidClient(WireError):
    """RFC 6749 §5.2 ``invalid_client``: client authentication failed; answered with 401.
    OpenID4VCI 1.0 §6.3 uses it when the issuer does not accept anonymous access."""

    status_code = 401
    error = "invalid_client"
    description = "client authentication failed"


class InvalidGrant(WireError):
    """RFC 6749 §5.2 ``invalid_grant``: the grant is invalid, expired, revoked or used.
    OpenID4VCI 1.0 §6.3: a wrong transaction code or an expired pre-authorized code."""

    status_code = 400
    error = "invalid_grant"
    description = "the grant is invalid, expired or already used"


class UnauthorizedClient(WireError):
    """RFC 6749 §5.2 ``unauthorized_client``: this client may not use this grant type."""

    status_code = 400
    error = "unauthorized_client"
    description = "the client may not use this grant type"


class UnsupportedGrantType(WireError):
    """RFC 6749 §5.2 ``unsupported_grant_type``: the server does not support the grant."""

    status_code = 400
    error = "unsupported_grant_type"
    description = "the grant type is not supported"


# RFC 6750 §3.1: bearer-protected resources such as the credential endpoint.


class InvalidToken(WireError):
    """RFC 6750 §3.1 ``invalid_token``: the access token is expired, revoked, malformed or
    invalid; answered with 401 and a ``WWW-Authenticate: Bearer`` challenge (§3)."""

    status_code = 401
    error = "invalid_token"
    description = "the access token is invalid"
    default_headers = MappingProxyType({"WWW-Authenticate": 'Bearer error="invalid_token"'})


class InsufficientScope(WireError):
    """RFC 6750 §3.1 ``insufficient_scope``: the token lacks the privileges the request needs;
    answered with 403 and a ``WWW-Authenticate: Bearer`` challenge (§3)."""

    status_code = 403
    error = "insufficient_scope"
    description = "the access token does not cover this request"
    default_headers = MappingProxyType({"WWW-Authenticate": 'Bearer error="insufficient_scope"'})


# RFC 6749 §4.1.2.1 and RFC 9126 §2.3: authorization request errors, also at the PAR endpoint.


class InvalidScope(WireError):
    """RFC 6749 §4.1.2.1, §5.2 ``invalid_scope``: the scope is unknown or malformed; HAIP 1.0
    §4.3 maps each scope value to one credential configuration."""

    status_code = 400
    error = "invalid_scope"
    description = "the requested scope is invalid or unknown"


class UnsupportedResponseType(WireError):
    """RFC 6749 §4.1.2.1 ``unsupported_response_type``: only ``code`` is supported."""

    status_code = 400
    error = "unsupported_response_type"
    description = "the response type is not supported"


class InvalidAuthorizationDetails(WireError):
    """RFC 9396 §5 ``invalid_authorization_details``: what a server answers when it does not
    support ``authorization_details`` (this one asks for the scope instead)."""

    status_code = 400
    error = "invalid_authorization_details"
    description = "authorization_details are not supported; use scope"


# draft-ietf-oauth-attestation-based-client-auth (OpenID4VCI 1.0 Appendix E; HAIP §4.4.1).


class UseFreshAttestation(WireError):
    """``use_fresh_attestation``: the wallet attestation is valid but older than the server
    accepts; the wallet fetches a new one from its provider and tries again. Other defects of
    an attestation or its PoP are ``invalid_client``."""

    status_code = 400
    error = "use_fresh_attestation"
    description = "the client attestation is not fresh enough"


# RFC 9449: DPoP at the token endpoint (§5, §8) and at protected resources (§7.1, §9).

_DPOP_ALGS = 'DPoP algs="ES256"'


class InvalidDpopProof(WireError):
    """RFC 9449 §5 ``invalid_dpop_proof`` at the token endpoint: the proof is missing where
    required, malformed, replayed or made for another request."""

    status_code = 400
    error = "invalid_dpop_proof"
    description = "the DPoP proof is missing or invalid"


class UseDpopNonce(WireError):
    """RFC 9449 §8 ``use_dpop_nonce`` at the token endpoint: sign a new proof with the nonce
    in the ``DPoP-Nonce`` header of this answer (pass it in ``headers``)."""

    status_code = 400
    error = "use_dpop_nonce"
    description = "use the DPoP-Nonce of this response in the DPoP proof"


class InvalidDpopProofChallenge(WireError):
    """RFC 9449 §7.1 ``invalid_dpop_proof`` at a protected resource: 401 with a ``DPoP``
    challenge."""

    status_code = 401
    error = "invalid_dpop_proof"
    description = "the DPoP proof is missing or invalid"
    default_headers = MappingProxyType(
        {"WWW-Authenticate": f'{_DPOP_ALGS}, error="invalid_dpop_proof"'}
    )


class UseDpopNonceChallenge(WireError):
    """RFC 9449 §9 ``use_dpop_nonce`` at a protected resource: 401 with a ``DPoP`` challenge;
    the nonce goes in the ``DPoP-Nonce`` header (pass it in ``headers``)."""

    status_code = 401
    error = "use_dpop_nonce"
    description = "use the DPoP-Nonce of this response in the DPoP proof"
    default_headers = MappingProxyType(
        {"WWW-Authenticate": f'{_DPOP_ALGS}, error="use_dpop_nonce"'}
    )


class InvalidDpopToken(WireError):
    """RFC 6750 §3.1 ``invalid_token`` in a ``DPoP`` challenge (RFC 9449 §7.1): the token is
    unknown or expired, bound to another key, or a DPoP-bound token sent as a Bearer token."""

    status_code = 401
    error = "invalid_token"
    description = "the access token is invalid"
    default_headers = MappingProxyType({"WWW-Authenticate": f'{_DPOP_ALGS}, error="invalid_token"'})


# OpenID4VCI 1.0 §8.3.1.2: Credential Request errors.


class InvalidCredentialRequest(WireError):
    """OpenID4VCI 1.0 §8.3.1.2 ``invalid_credential_request``: the Credential Request is
    missing a parameter or is otherwise malformed."""

    status_code = 400
    error = "invalid_credential_request"
    description = "the credential request is malformed"


class UnknownCredentialConfiguration(WireError):
    """OpenID4VCI 1.0 §8.3.1.2 ``unknown_credential_configuration``: the requested Credential
    Configuration is unknown to the issuer."""

    status_code = 400
    error = "unknown_credential_configuration"
    description = "the credential configuration is unknown"


class UnknownCredentialIdentifier(WireError):
    """OpenID4VCI 1.0 §8.3.1.2 ``unknown_credential_identifier``: the requested Credential
    Identifier is unknown to the issuer."""

    status_code = 400
    error = "unknown_credential_identifier"
    description = "the credential identifier is unknown"


class InvalidProof(WireError):
    """OpenID4VCI 1.0 §8.3.1.2 ``invalid_proof``: the proofs parameter is missing or a key
    proof is invalid."""

    status_code = 400
    error = "invalid_proof"
    description = "the key proof is missing or invalid"


class InvalidNonce(WireError):
    """OpenID4VCI 1.0 §8.3.1.2 ``invalid_nonce``: a key proof carries a nonce the issuer did
    not issue or that is no longer valid; the wallet fetches a fresh one (§7)."""

    status_code = 400
    error = "invalid_nonce"
    description = "the nonce in the key proof is unknown or expired"


class CredentialRequestDenied(WireError):
    """OpenID4VCI 1.0 §8.3.1.2 ``credential_request_denied``: the request is valid but the
    issuer will not issue the Credential; retrying will not help."""

    status_code = 400
    error = "credential_request_denied"
    description = "the credential will not be issued"


# OpenID4VCI 1.0 §9.3: Deferred Credential errors.


class IssuancePending(WireError):
    """OpenID4VCI 1.0 §9.3 ``issuance_pending``: the Credential is not ready yet; the wallet
    retries later, after ``interval`` seconds when the issuer sends one (pass it in ``extra``)."""

    status_code = 400
    error = "issuance_pending"
    description = "the credential is not ready yet"


class InvalidTransactionId(WireError):
    """OpenID4VCI 1.0 §9.3 ``invalid_transaction_id``: the transaction id is unknown or was
    already used."""

    status_code = 400
    error = "invalid_transaction_id"
    description = "the transaction id is unknown"


# OpenID4VCI 1.0 §11.3: Notification errors.


class InvalidNotificationId(WireError):
    """OpenID4VCI 1.0 §11.3 ``invalid_notification_id``: the notification id is unknown."""

    status_code = 400
    error = "invalid_notification_id"
    description = "the notification id is unknown"


class InvalidNotificationRequest(WireError):
    """OpenID4VCI 1.0 §11.3 ``invalid_notification_request``: the Notification Request is
    missing a parameter or is otherwise malformed."""

    status_code = 400
    error = "invalid_notification_request"
    description = "the notification request is malformed"


# RFC 9110 §15.5: plain HTTP failures, in the same body shape.


class NotFound(WireError):
    """RFC 9110 §15.5.5 404: no resource at this path."""

    status_code = 404
    error = "not_found"
    description = "no such resource"


class MethodNotAllowed(WireError):
    """RFC 9110 §15.5.6 405: the method is not supported here; the response carries ``Allow``."""

    status_code = 405
    error = "method_not_allowed"
    description = "method not allowed"


class PayloadTooLarge(WireError):
    """RFC 9110 §15.5.14 413: the body is larger than the service accepts (DESIGN §4 size caps).
    The code is ``invalid_request`` so OAuth clients read it as a malformed request."""

    status_code = 413
    error = "invalid_request"
    description = "request body too large"


class UnsupportedMediaType(WireError):
    """RFC 9110 §15.5.16 415: the body's media type is not one this endpoint accepts."""

    status_code = 415
    error = "invalid_request"
    description = "unsupported media type"


# OpenID4VP 1.0 §8.5: the codes of the presentation protocol.


class InvalidTransactionData(WireError):
    """OpenID4VP 1.0 §8.5 ``invalid_transaction_data``: transaction data or its hashes are
    missing, unknown or do not match."""

    status_code = 400
    error = "invalid_transaction_data"
    description = "transaction data not accepted"


class VpFormatsNotSupported(WireError):
    """OpenID4VP 1.0 §8.5 ``vp_formats_not_supported``: a presentation in a format or with an
    algorithm the verifier does not accept."""

    status_code = 400
    error = "vp_formats_not_supported"
    description = "presentation format not supported"


class InvalidRequestUriMethod(WireError):
    """OpenID4VP 1.0 §8.5 ``invalid_request_uri_method``: the request_uri was fetched with a
    method or body the verifier does not accept."""

    status_code = 400
    error = "invalid_request_uri_method"
    description = "request_uri method not supported"


# The back-office API: the operator's own clients, so no standard code applies.


class Unauthorized(WireError):
    """401 for the back-office API: the API key is missing or wrong. RFC 9110 §15.5.2 requires
    a ``WWW-Authenticate`` challenge with every 401."""

    status_code = 401
    error = "unauthorized"
    description = "authentication required"
    default_headers = MappingProxyType({"WWW-Authenticate": "Bearer"})


class Forbidden(WireError):
    """403 for the back-office API: the caller is known but may not do this."""

    status_code = 403
    error = "forbidden"
    description = "not allowed"


class Conflict(WireError):
    """409 for the back-office API: the request conflicts with the current state."""

    status_code = 409
    error = "conflict"
    description = "conflicts with the current state"


# The service itself: RFC 6749 §4.1.2.1 defines both codes.


class ServiceUnavailable(WireError):
    """RFC 6749 §4.1.2.1 ``temporarily_unavailable``: overloaded or a dependency is down.

    Always with ``Retry-After`` (RFC 9110 §10.2.3): the one 5xx a client may see by design
    says when to ask again (THREATS INV-2). A raiser that knows better passes its own.
    """

    status_code = 503
    error = "temporarily_unavailable"
    description = "temporarily unavailable"
    retry_after_seconds: ClassVar[int] = 5
    """A dependency outage (trust registry, status list host) seldom ends within a second."""

    def response_headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after_seconds), **super().response_headers()}


class ServerError(WireError):
    """RFC 6749 §4.1.2.1 ``server_error``: an unexpected condition. Says nothing more (§3)."""

    status_code = 500
    error = "server_error"
    description = "internal error"
