"""The holder API for the authorization code flow and refresh (HAIP 1.0 §4.3, §4.4):
start an authorization, hand back the redirect the app received, refresh a batch.

The app opens ``authorization_url`` in the browser; the issuer sends the browser back to the
service's ``redirect_uri`` (the app's claimed link) with ``code``, ``state`` and ``iss``,
and the app posts that whole URL here. Both the redirect and a refresh answer with the
issuance's ``signatures_needed`` step, which ``POST /v1/issuances/{id}/signatures``
completes as for an offer (``wallet.authorizing``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from wallet import authorizing, receiving
from wallet.api_models import AuthorizationStep, IssuanceStep, answers
from wallet.device_auth import Context, Unlocked

router = APIRouter(prefix="/v1", tags=["Holder"])
NO_STORE = {"Cache-Control": "no-store"}
RecordId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")]
DeviceKeys = Field(
    min_length=1,
    max_length=receiving.MAX_KEYS,
    description="Fresh public ES256 JWKs from the device, one per one-time instance",
)


class AuthorizationBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    issuer: str | None = Field(
        default=None, max_length=2_048, description="Credential Issuer Identifier"
    )
    configuration_id: str | None = Field(
        default=None, max_length=128, description="The credential configuration to ask for"
    )
    offer: str | dict[str, Any] | None = Field(
        default=None,
        description="Instead of issuer and configuration: an offer with an "
        "authorization_code grant (OID4VCI 1.0 §4.1)",
    )
    login_hint: str | None = Field(
        default=None,
        max_length=256,
        description="Passed to the issuer's login (OpenID Connect login_hint), if the app "
        "knows whom the citizen will log in as",
    )


class RedirectBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    redirect_url: str = Field(
        max_length=8_192, description="The redirect URI with code, state and iss"
    )
    keys: list[dict[str, str]] = DeviceKeys


class RefreshBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    keys: list[dict[str, str]] = DeviceKeys


@router.post(
    "/authorizations",
    responses=answers(AuthorizationStep, 400, 502, 503, status=201),
    status_code=201,
    summary="Start the authorization code flow at an issuer",
)
async def start_authorization(
    body: AuthorizationBody, context: Context, session: Unlocked
) -> JSONResponse:
    answer = await authorizing.start(
        context,
        session,
        issuer=body.issuer,
        configuration_id=body.configuration_id,
        offer=body.offer,
        login_hint=body.login_hint,
    )
    return JSONResponse(answer, status_code=201, headers=NO_STORE)


@router.post(
    "/authorizations/{authorization_id}/redirect",
    responses=answers(IssuanceStep, 400, 404, 502, 503),
    summary="The redirect the app received: the key proofs to sign",
)
async def finish_authorization(
    authorization_id: RecordId, body: RedirectBody, context: Context, session: Unlocked
) -> JSONResponse:
    answer = await authorizing.finish(
        context, session, authorization_id, redirect_url=body.redirect_url, jwks=body.keys
    )
    return JSONResponse(answer, headers=NO_STORE)


@router.post(
    "/credentials/{batch_id}/refresh",
    responses=answers(IssuanceStep, 400, 404, 502, 503),
    summary="A fresh batch for a credential with a refresh grant",
)
async def refresh_credential(
    batch_id: RecordId, body: RefreshBody, context: Context, session: Unlocked
) -> JSONResponse:
    answer = await authorizing.refresh(context, session, batch_id, jwks=body.keys)
    return JSONResponse(answer, headers=NO_STORE)
