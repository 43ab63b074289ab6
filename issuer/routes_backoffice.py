"""The agency's back-office API (separate router, API key, documented in OpenAPI).

Every call carries ``Authorization: Bearer aak_...``; a key may only touch offers of the
credential configurations it is scoped to (others look absent: 404, not 403, so a key cannot
probe for offers it may not see). Error bodies never echo the claims that were sent.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header
from fastapi.responses import JSONResponse
from fastapi.security import HTTPBearer
from pydantic import BaseModel, ConfigDict, Field

from issuer.api_keys import ApiKey, authenticate_api_key, rotate_api_key
from issuer.dependencies import Context
from issuer.offer_admin import CredentialStatus, approve_offer, change_status, describe_offer
from issuer.offers import OfferGrant, OfferRequest, create_offer

router = APIRouter(prefix="/backoffice", tags=["Back office"])
_bearer = HTTPBearer(auto_error=False, description="Back-office API key (aak_...)")
BearerScheme = Annotated[Any, Depends(_bearer)]


async def api_key(
    context: Context,
    authorization: Annotated[str | None, Header()] = None,
    _scheme: BearerScheme = None,
) -> ApiKey:
    return await authenticate_api_key(context, authorization)


Key = Annotated[ApiKey, Depends(api_key)]


class OfferBody(BaseModel):
    """A credential offer to create."""

    model_config = ConfigDict(extra="forbid")

    configuration_id: str = Field(max_length=100, description="A credential configuration id")
    claims: dict[str, Any] | None = Field(
        default=None, description="The claims to attest (or give subject)"
    )
    subject: str | None = Field(
        default=None, max_length=64, description="A subject reference for the source adapter"
    )
    batch_size: int = Field(default=1, ge=1, le=100, description="One-time credential instances")
    deferred: bool = Field(default=False, description="Issue only after an approval call")
    tx_code: bool | None = Field(
        default=None,
        description="Require a tx_code sent out of band (default: true for the pre-authorized"
        " code; an authorization_code offer has none)",
    )
    expires_in: int | None = Field(default=None, ge=60, description="Seconds the offer is valid")
    grant: OfferGrant = Field(
        default=OfferGrant.PRE_AUTHORIZED_CODE,
        description="The offer's grant (OpenID4VCI 1.0 §4.1.1): pre-authorized_code, or"
        " authorization_code with an issuer_state (HAIP 1.0 §4.2): the citizen logs in, as"
        " subject if one is given; no claims, they come from the subject source",
    )


class ApproveBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    claims: dict[str, Any] | None = None


class StatusBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: CredentialStatus


class RotateBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    overlap_seconds: int = Field(default=86_400, ge=0, le=30 * 86_400)


@router.post("/offers", status_code=201, summary="Create a credential offer")
async def post_offer(body: OfferBody, key: Key, context: Context) -> JSONResponse:
    created = await create_offer(
        context,
        OfferRequest(
            configuration_id=body.configuration_id,
            claims=body.claims,
            subject=body.subject,
            batch_size=body.batch_size,
            deferred=body.deferred,
            tx_code=body.tx_code
            if body.tx_code is not None
            else body.grant is OfferGrant.PRE_AUTHORIZED_CODE,
            expires_in=body.expires_in,
            grant=body.grant,
        ),
        api_key_id=key.id,
        allowed=key.scope,
    )
    return JSONResponse(created.as_json(), status_code=201)


@router.get("/offers/{offer_id}", summary="State of an offer and its credentials")
async def get_offer(offer_id: str, key: Key, context: Context) -> dict[str, Any]:
    return await describe_offer(context, offer_id, allowed=key.scope)


@router.post("/offers/{offer_id}/approve", status_code=204, summary="Release a deferred offer")
async def post_approve(offer_id: str, body: ApproveBody, key: Key, context: Context) -> None:
    await approve_offer(context, offer_id, claims=body.claims, allowed=key.scope)


@router.post(
    "/offers/{offer_id}/status", summary="Revoke, suspend or reinstate an offer's credentials"
)
async def post_status(
    offer_id: str, body: StatusBody, key: Key, context: Context
) -> dict[str, Any]:
    changed = await change_status(context, offer_id, body.status, allowed=key.scope)
    return {"offer_id": offer_id, "status": body.status.value, "changed": changed}


@router.post("/api-keys/rotate", summary="Rotate the calling API key")
async def post_rotate(body: RotateBody, key: Key, context: Context) -> dict[str, Any]:
    fresh = await rotate_api_key(context, key.id, overlap_seconds=body.overlap_seconds)
    return {
        "id": fresh.key.id,
        "api_key": fresh.secret,
        "previous_key_valid_for": body.overlap_seconds,
    }
