"""The wallet-facing endpoints (OID4VCI 1.0): token, nonce, credential, deferred, notification.

Handlers are thin (STYLE habit 1): read the body with the size limit already applied by the
app, parse it with ``specs.oid4vci`` (strict JSON, bounded), call the issuance service, and
encode the answer. Each endpoint's rejections go through its table in ``wire_tables``.
Responses carrying tokens or nonces are ``Cache-Control: no-store`` (RFC 6749 §5.1,
OID4VCI 1.0 §7.2).
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Header, Request, Response
from fastapi.responses import JSONResponse

from issuer.dependencies import Context
from issuer.issuance import (
    Deferred,
    Issued,
    authenticate,
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
    TOKEN_ERRORS,
)
from runtime.wire import (
    InvalidCredentialRequest,
    InvalidNotificationRequest,
    InvalidRequest,
    WireError,
)
from specs.errors import Rejected
from specs.jose import loads_strict
from specs.oid4vci import (
    build_credential_response,
    build_deferred_response,
    parse_credential_request,
    parse_deferred_request,
    parse_notification_request,
    parse_token_request,
)

router = APIRouter(tags=["OpenID4VCI"])
NO_STORE = {"Cache-Control": "no-store"}
Authorization = Annotated[str | None, Header()]


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


async def _json_body(request: Request, error: type[WireError]) -> Any:
    if _media_type(request) != "application/json":
        raise error("the body must be application/json")
    try:
        return loads_strict(await request.body())
    except Rejected:
        raise error("the body is not a valid JSON object") from None


@router.post("/token", summary="Token endpoint (pre-authorized code flow, OID4VCI 1.0 §6)")
async def token(request: Request, context: Context) -> JSONResponse:
    if _media_type(request) != "application/x-www-form-urlencoded":
        raise InvalidRequest("the body must be application/x-www-form-urlencoded")
    try:
        text = (await request.body()).decode("utf-8")
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=bool(text))
    except (UnicodeDecodeError, ValueError):
        raise InvalidRequest("the body is not a valid form") from None
    try:
        parsed = parse_token_request(pairs)
    except Rejected as rejected:
        raise TOKEN_ERRORS(rejected) from None
    grant = await redeem(context, parsed)
    return JSONResponse(grant.as_json(), headers=NO_STORE)


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
    authorization: Authorization = None,
) -> JSONResponse:
    offer_id = await authenticate(context, authorization)
    body = await _json_body(request, InvalidCredentialRequest)
    try:
        parsed = parse_credential_request(body, max_proofs=context.settings.max_batch_size)
    except Rejected as rejected:
        raise CREDENTIAL_REQUEST_ERRORS(rejected) from None
    return _answer(await request_credentials(context, offer_id, parsed))


@router.post("/deferred_credential", summary="Deferred credential endpoint (OID4VCI 1.0 §9)")
async def deferred_credential(
    request: Request,
    context: Context,
    authorization: Authorization = None,
) -> JSONResponse:
    offer_id = await authenticate(context, authorization)
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
    request: Request, context: Context, authorization: Authorization = None
) -> Response:
    offer_id = await authenticate(context, authorization)
    body = await _json_body(request, InvalidNotificationRequest)
    try:
        parsed = parse_notification_request(body)
    except Rejected as rejected:
        raise NOTIFICATION_ERRORS(rejected) from None
    await record_notification(context, offer_id, parsed)
    return Response(status_code=204, headers=NO_STORE)
