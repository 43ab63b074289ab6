"""The authorization code flow's browser-facing endpoints (OID4VCI 1.0 §5, HAIP 1.0 §4.3).

* ``POST /par``: pushed authorization request (RFC 9126 §2), the only way in;
* ``GET /authorize?client_id=&request_uri=``: the browser arrives (RFC 9126 §4) and is
  handed to the authenticator, or straight back with a code when it already knows who;
* ``GET|POST /authorize/callback``: where a login ends; the browser goes back to the
  client's ``redirect_uri`` with ``code``, ``state`` and ``iss`` (RFC 9207).

Errors before the pushed request is found are shown here (400, ``invalid_request``), never
redirected: only the pushed request says which redirect URI may be trusted (RFC 6749
§4.1.2.1). Every answer is ``no-store``.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from issuer.authenticators import LoginFailed
from issuer.authorization import begin_login, finish_login, push
from issuer.client_auth import authenticate_client
from issuer.dependencies import Context
from issuer.dpop import check_dpop_proof
from issuer.forms import form_pairs
from issuer.wire_tables import AUTHORIZE_ERRORS, PAR_ERRORS
from runtime.wire import InvalidDpopProof, InvalidRequest
from specs.errors import Rejected
from specs.jose import constant_time_equals
from specs.oauth import parse_authorization_reference, parse_pushed_authorization_request

router = APIRouter(tags=["OAuth 2.0 authorization"])
NO_STORE = {"Cache-Control": "no-store"}


@router.post(
    "/par",
    status_code=201,
    summary="Pushed authorization request (RFC 9126)",
    response_class=JSONResponse,
)
async def pushed_authorization_request(request: Request, context: Context) -> JSONResponse:
    pairs = await form_pairs(request)
    try:
        parsed = parse_pushed_authorization_request(pairs)
    except Rejected as rejected:
        raise PAR_ERRORS(rejected) from None
    dpop_jkt = await _code_key(context, request, parsed.dpop_jkt)
    await authenticate_client(context, request.headers, parsed.client_id)
    pushed = await push(context, parsed, dpop_jkt=dpop_jkt)
    body = {"request_uri": pushed.request_uri, "expires_in": pushed.expires_in}
    return JSONResponse(body, status_code=201, headers=NO_STORE)


async def _code_key(context: Context, request: Request, dpop_jkt: str | None) -> str | None:
    """The DPoP key the code will be bound to (RFC 9449 §10): ``dpop_jkt``, or the key of a
    DPoP proof sent here, which must then be the same. Checked before the client's
    attestation, so a request refused for want of a DPoP nonce spends no attestation PoP."""
    if "dpop" not in request.headers:
        return dpop_jkt
    proof = await check_dpop_proof(context, request, access_token=None, at_resource=False)
    if dpop_jkt is not None and not constant_time_equals(dpop_jkt, proof.thumbprint):
        raise InvalidDpopProof("dpop_jkt is not the key of the DPoP proof")
    return proof.thumbprint


@router.get("/authorize", summary="Authorization endpoint (a request_uri from /par only)")
async def authorize(request: Request, context: Context) -> Response:
    try:
        reference = parse_authorization_reference(list(request.query_params.multi_items()))
    except Rejected as rejected:
        raise AUTHORIZE_ERRORS(rejected) from None
    login = await begin_login(context, reference)
    assert context.authenticator is not None  # begin_login refuses when the flow is off
    outcome = await context.authenticator.start(login)
    if isinstance(outcome, str):
        return _redirect(await finish_login(context, login.handle, outcome))
    return outcome


@router.get(
    "/authorize/callback",
    summary="Where the citizen's login ends",
    response_class=RedirectResponse,
    operation_id="login_callback_get",
)
@router.post(
    "/authorize/callback",
    summary="Where the citizen's login ends (a login form's POST)",
    response_class=RedirectResponse,
    operation_id="login_callback_post",
)
async def login_callback(request: Request, context: Context) -> Response:
    if context.authenticator is None:
        raise InvalidRequest("the authorization code flow is not enabled")
    try:
        finished = await context.authenticator.finish(request)
    except LoginFailed:
        raise InvalidRequest("the login cannot be continued") from None
    return _redirect(await finish_login(context, finished.handle, finished.subject))


def _redirect(url: str) -> RedirectResponse:
    """303: the browser GETs the client's redirect URI, also after the login form's POST."""
    return RedirectResponse(url, status_code=303, headers=NO_STORE)
