"""The wallet-facing endpoints (OID4VCI 1.0): token, nonce, credential, deferred, notification.

Handlers are thin (STYLE habit 1): read the body with the size limit already applied by the
app, parse it with ``specs.oid4vci`` (strict JSON, bounded), call the issuance service, and
encode the answer. Each endpoint's rejections go through its table in ``wire_tables``.
Responses carrying tokens or nonces are ``Cache-Control: no-store`` (RFC 6749 §5.1,
OID4VCI 1.0 §7.2).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request, Response
from fastapi.responses import JSONResponse

from issuer.access import authenticate
from issuer.authorization import code_flow_enabled
from issuer.client_auth import authenticate_client
from issuer.code_grants import redeem_code, refresh
from issuer.dependencies import Context
from issuer.dpop import NONCE_HEADER, new_dpop_nonce, token_request_key
from issuer.forms import form_pairs, media_type
from issuer.issuance import (
    Deferred,
    Issued,
    fetch_deferred,
    request_credentials,
)
from issuer.nonces import new_nonce
from issuer.notifications import record_notification
from issuer.redemption import redeem
from issuer.wire_tables import (
    CREDENTIAL_REQUEST_ERRORS,
    DEFERRED_ERRORS,
    NOTIFICATION_ERRORS,
    OAUTH_TOKEN_ERRORS,
    TOKEN_ERRORS,
)
from runtime.wire import (
    InvalidCredentialRequest,
    InvalidDpopProof,
    InvalidNotificationRequest,
    InvalidRequest,
    UnsupportedGrantType,
    WireError,
)
from specs.errors import Rejected
from specs.jose import loads_strict
from specs.oauth import GRANT_TYPES, AuthorizationCodeRequest, RefreshRequest
from specs.oauth import parse_token_request as parse_oauth_token_request
from specs.oid4vci import (
    TokenRequest,
    build_credential_response,
    build_deferred_response,
    parse_credential_request,
    parse_deferred_request,
    parse_notification_request,
    parse_token_request,
)

router = APIRouter(tags=["OpenID4VCI"])
NO_STORE = {"Cache-Control": "no-store"}
Authorization = Annotated[
    str | None,
    Header(
        alias="Authorization",
        description="`DPoP <access_token>` (RFC 9449 §7.1) or, outside strict HAIP mode and "
        "for a token issued without DPoP, `Bearer <access_token>` (RFC 6750 §2.1).",
    ),
]
DpopHeader = Annotated[
    str | None,
    Header(
        alias="DPoP",
        description="A DPoP proof (RFC 9449 §4.2) with `ath` and the server's current nonce.",
    ),
]


async def _json_body(request: Request, error: type[WireError]) -> Any:
    if media_type(request) != "application/json":
        raise error("the body must be application/json")
    try:
        return loads_strict(await request.body())
    except Rejected:
        raise error("the body is not a valid JSON object") from None


@router.post("/token", summary="Token endpoint (OID4VCI 1.0 §6; RFC 6749 §4.1.3, §6)")
async def token(request: Request, context: Context) -> JSONResponse:
    """The pre-authorized code, authorization code and refresh token grants.

    The client authenticates first (``issuer.client_auth``: a wallet attestation, required in
    strict HAIP mode). With a ``DPoP`` proof the tokens are bound to its key (RFC 9449 §5) and
    the answer carries a fresh ``DPoP-Nonce`` for the next proof (§8); strict HAIP mode
    requires the proof.
    """
    pairs = await form_pairs(request)
    grant_type = next((value for name, value in pairs if name == "grant_type"), "")
    parsed: TokenRequest | AuthorizationCodeRequest | RefreshRequest
    if grant_type in GRANT_TYPES:
        if not code_flow_enabled(context):  # not in the metadata either (issuer.oauth_metadata)
            raise UnsupportedGrantType()
        try:
            parsed = parse_oauth_token_request(pairs)
        except Rejected as rejected:
            raise OAUTH_TOKEN_ERRORS(rejected) from None
        client_id = parsed.client_id
    else:
        try:
            parsed = parse_token_request(pairs)
        except Rejected as rejected:
            raise TOKEN_ERRORS(rejected) from None
        client_id = next((value for name, value in pairs if name == "client_id" and value), None)
    authenticated = await authenticate_client(context, request.headers, client_id)
    jkt = await token_request_key(context, request)
    if isinstance(parsed, AuthorizationCodeRequest):
        grant = await redeem_code(context, parsed, jkt=jkt)
    elif isinstance(parsed, RefreshRequest):
        if jkt is None:
            raise InvalidDpopProof("refresh tokens are DPoP-bound: a DPoP proof is required")
        if parsed.client_id is None:  # the attested client must be the grant's (RFC 6749 §6)
            parsed = replace(parsed, client_id=authenticated)
        grant = await refresh(context, parsed, jkt=jkt)
    else:
        grant = await redeem(context, parsed, jkt=jkt)
    headers = dict(NO_STORE)
    if jkt is not None:
        headers[NONCE_HEADER] = new_dpop_nonce(context)
    return JSONResponse(grant.as_json(), headers=headers)


@router.post("/nonce", summary="Nonce endpoint (OID4VCI 1.0 §7)")
async def nonce(context: Context) -> JSONResponse:
    value = new_nonce(
        key=context.nonce_key, now=context.clock(), ttl=context.settings.nonce_ttl_seconds
    )
    return JSONResponse({"c_nonce": value}, headers=NO_STORE)


def _answer(outcome: Issued | Deferred) -> JSONResponse:
    """Credentials (§8.3), or "not yet": 202 with the transaction and interval (§8.3, §9.2)."""
    if isinstance(outcome, Deferred):
        return JSONResponse(
            build_deferred_response(
                transaction_id=outcome.transaction_id, interval=outcome.interval
            ),
            status_code=202,
            headers=NO_STORE,
        )
    return JSONResponse(
        build_credential_response(outcome.credentials, notification_id=outcome.notification_id),
        headers=NO_STORE,
    )


@router.post("/credential", summary="Credential endpoint (OID4VCI 1.0 §8)")
async def credential(
    request: Request,
    context: Context,
    _authorization: Authorization = None,
    _dpop: DpopHeader = None,
) -> JSONResponse:
    offer_id = await authenticate(context, request)
    body = await _json_body(request, InvalidCredentialRequest)
    try:
        parsed = parse_credential_request(
            body,
            max_proofs=context.settings.max_batch_size,
            accept_attestation=context.key_attestation is not None,  # Appendix F.3
        )
    except Rejected as rejected:
        raise CREDENTIAL_REQUEST_ERRORS(rejected) from None
    return _answer(await request_credentials(context, offer_id, parsed))


@router.post("/deferred_credential", summary="Deferred credential endpoint (OID4VCI 1.0 §9)")
async def deferred_credential(
    request: Request,
    context: Context,
    _authorization: Authorization = None,
    _dpop: DpopHeader = None,
) -> JSONResponse:
    offer_id = await authenticate(context, request)
    body = await _json_body(request, InvalidRequest)
    try:
        transaction_id = parse_deferred_request(body)
    except Rejected as rejected:
        raise DEFERRED_ERRORS(rejected) from None
    return _answer(await fetch_deferred(context, offer_id, transaction_id))


@router.post(
    "/notification",
    status_code=204,
    summary="Notification endpoint (OID4VCI 1.0 §11)",
    response_class=Response,
)
async def notification(
    request: Request,
    context: Context,
    _authorization: Authorization = None,
    _dpop: DpopHeader = None,
) -> Response:
    offer_id = await authenticate(context, request)
    body = await _json_body(request, InvalidNotificationRequest)
    try:
        parsed = parse_notification_request(body)
    except Rejected as rejected:
        raise NOTIFICATION_ERRORS(rejected) from None
    await record_notification(context, offer_id, parsed)
    return Response(status_code=204, headers=NO_STORE)
