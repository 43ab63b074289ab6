"""The wallet-facing endpoints: ``request_uri`` (OpenID4VP 1.0 §5.10) and ``response_uri``
(§8.2 ``direct_post``, §8.3 ``direct_post.jwt``).

Neither takes an API key: the wallet is anonymous, and what protects a transaction is that
its ``request_id`` (in the link), ``state``, ``nonce`` and response key are unguessable and
single use. Error bodies carry the wire code and the rule's slug, never the input.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from runtime.wire import UnsupportedMediaType
from specs.errors import Oid4vpReason, Rejected
from specs.oid4vp.request_object import parse_request_uri_post
from verifier.dependencies import Context
from verifier.responses import PresentationRejected, receive_response
from verifier.transactions import request_object
from verifier.wire_tables import REQUEST_URI_ERRORS, RESPONSE_ERRORS

router = APIRouter(prefix="/wallet", tags=["Wallet (OpenID4VP)"])
FORM = "application/x-www-form-urlencoded"
REQUEST_OBJECT_TYPE = "application/oauth-authz-req+jwt"
NO_STORE = {"Cache-Control": "no-store"}


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


@router.get("/request/{request_id}", summary="Request object by reference (§5.10, GET)")
async def get_request(request_id: str, context: Context) -> Response:
    token = await request_object(context, request_id)
    return Response(token, media_type=REQUEST_OBJECT_TYPE, headers=NO_STORE)


@router.post("/request/{request_id}", summary="Request object by reference (§5.10.1, POST)")
async def post_request(request_id: str, request: Request, context: Context) -> Response:
    if _media_type(request) != FORM:
        raise UnsupportedMediaType("the body must be application/x-www-form-urlencoded")
    try:
        _metadata, wallet_nonce = parse_request_uri_post(await request.body())
    except Rejected as rejected:
        raise REQUEST_URI_ERRORS(rejected) from None
    token = await request_object(context, request_id, wallet_nonce=wallet_nonce)
    return Response(token, media_type=REQUEST_OBJECT_TYPE, headers=NO_STORE)


@router.post("/response", summary="Authorization response (§8.2 direct_post, §8.3 .jwt)")
async def response(request: Request, context: Context) -> JSONResponse:
    try:
        if _media_type(request) != FORM:
            raise Rejected(Oid4vpReason.MALFORMED_RESPONSE)  # §8.2: a form, nothing else
        answer = await receive_response(context, await request.body())
    except PresentationRejected as refused:
        raise RESPONSE_ERRORS(refused.rejected) from None
    except Rejected as rejected:
        raise RESPONSE_ERRORS(rejected) from None
    return JSONResponse(answer.as_json(), headers=NO_STORE)
