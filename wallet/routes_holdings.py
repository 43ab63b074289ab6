"""The holder API for mobile wallet apps: accept offers, list and delete credentials, what
discovery found, notices, re-issuance advice, presentations with consent, and the history.

Signing happens on the device: an issuance and a presentation each answer first with
``signing_requests`` (``key_id`` = RFC 7638 thumbprint of the device key, ``signing_input``
= base64url JWS signing input); the device posts back ``{"signatures": [{key_id, signature}]}``
(base64url raw ES256 ``r || s``, RFC 7518 §3.4).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from runtime.wire import NotFound
from wallet import answering, grants, receiving, records
from wallet.api_models import (
    Advice,
    Credentials,
    DeletedKeys,
    Discovery,
    History,
    IssuanceStep,
    Notices,
    PresentationStep,
    StatusCheck,
    answers,
)
from wallet.device_auth import Context, Unlocked
from wallet.discovery import agencies_by_vct
from wallet.entitlements import remember, scan
from wallet.holdings import delete_batch, list_batches, rule_credentials, unused_instances
from wallet.reissuance import Holding, advise
from wallet.status_check import batch_statuses, set_statuses

router = APIRouter(prefix="/v1", tags=["Holder"])
NO_STORE = {"Cache-Control": "no-store"}
RecordId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")]


class OfferBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    offer: str | dict[str, Any] = Field(
        description="openid-credential-offer:// link, or the offer object (OID4VCI 1.0 §4.1)"
    )
    tx_code: str | None = Field(default=None, max_length=64)
    keys: list[dict[str, str]] = Field(
        min_length=1,
        max_length=receiving.MAX_KEYS,
        description="Fresh public ES256 JWKs from the device, one per one-time instance",
    )


class Signature(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key_id: str = Field(max_length=64)
    signature: str = Field(max_length=200)


class SignaturesBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    signatures: list[Signature] = Field(min_length=1, max_length=receiving.MAX_KEYS)


class LinkBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    link: str = Field(max_length=8_192, description="The desk's openid4vp:// link")


@router.post(
    "/issuances",
    responses=answers(IssuanceStep, 400, 502, 503, status=201),
    status_code=201,
    summary="Accept a credential offer",
)
async def start_issuance(body: OfferBody, context: Context, session: Unlocked) -> JSONResponse:
    answer = await receiving.begin(
        context, session, offer=body.offer, tx_code=body.tx_code, jwks=body.keys
    )
    return JSONResponse(answer, status_code=201, headers=NO_STORE)


@router.post(
    "/issuances/{issuance_id}/signatures",
    responses=answers(IssuanceStep, 400, 404, 502, 503),
    summary="The device's key proofs",
)
async def sign_issuance(
    issuance_id: RecordId, body: SignaturesBody, context: Context, session: Unlocked
) -> JSONResponse:
    answers = [s.model_dump() for s in body.signatures]
    return JSONResponse(
        await receiving.finish(context, session, issuance_id, answers), headers=NO_STORE
    )


@router.get(
    "/credentials",
    responses=answers(Credentials),
    summary="The credentials held, with their display",
)
async def credentials(context: Context, session: Unlocked) -> JSONResponse:
    batches = await list_batches(context, session)
    found = [
        {"id": b.id, "unused_instances": b.unused, "instances": b.total, **b.details}
        for b in batches
    ]
    return JSONResponse({"credentials": found}, headers=NO_STORE)


@router.delete(
    "/credentials/{batch_id}",
    responses=answers(DeletedKeys, 404),
    summary="Delete a credential and its instances",
)
async def delete_credential(
    batch_id: RecordId, context: Context, session: Unlocked
) -> JSONResponse:
    key_ids = await delete_batch(context, session, batch_id)
    if key_ids is None:
        raise NotFound
    async with context.database.write() as connection:  # its refresh grant goes with it
        await grants.forget(connection, session, batch_id)
    return JSONResponse({"deleted_key_ids": key_ids}, headers=NO_STORE)


@router.post(
    "/credentials/status",
    responses=answers(StatusCheck, 503),
    summary="Check every credential's status list",
)
async def refresh_status(context: Context, session: Unlocked) -> JSONResponse:
    """Token Status List §8.3 for every held batch; a revoked or suspended batch stops
    counting, and what that changes becomes a notice."""
    statuses = await batch_statuses(
        context, await unused_instances(context, session, withdrawn=True)
    )
    async with context.database.write() as connection:
        changed = await set_statuses(connection, session, statuses)
    held = rule_credentials(await unused_instances(context, session))
    report = scan(context, held)
    async with context.database.write() as connection:
        new_notices = await remember(connection, session, report, now=context.clock())
    return JSONResponse(
        {
            "statuses": statuses,
            "changed": {k: {"before": b, "after": a} for k, (b, a) in changed.items()},
            "new_notices": new_notices,
        },
        headers=NO_STORE,
    )


@router.get(
    "/discovery",
    responses=answers(Discovery, 503),
    summary="What the wallet's credentials entitle the citizen to",
)
async def discovery(context: Context, session: Unlocked) -> JSONResponse:
    held = rule_credentials(await unused_instances(context, session))
    report = scan(context, held)
    async with context.database.write() as connection:
        new_notices = await remember(connection, session, report, now=context.clock())
    return JSONResponse({**report.as_dict(), "new_notices": new_notices}, headers=NO_STORE)


@router.get(
    "/notices", responses=answers(Notices), summary='"Note: ..." messages kept for the citizen'
)
async def notices(context: Context, session: Unlocked) -> JSONResponse:
    async with context.database.read() as connection:
        kept = await records.load(connection, session, records.NOTICE, now=context.clock())
    found = sorted(({"id": i, **n} for i, n in kept), key=lambda n: n.get("at", 0))
    return JSONResponse({"notices": found}, headers=NO_STORE)


@router.delete(
    "/notices/{notice_id}",
    responses=answers(None, 404),
    status_code=204,
    summary="Dismiss a notice",
)
async def dismiss(notice_id: RecordId, context: Context, session: Unlocked) -> Response:
    async with context.database.write() as connection:
        removed = await records.remove(connection, session, records.NOTICE, notice_id)
    if not removed:
        raise NotFound
    return Response(status_code=204, headers=NO_STORE)


@router.get(
    "/reissuance",
    responses=answers(Advice, 503),
    summary="Credentials running low or expiring, and whom to ask",
)
async def reissuance(context: Context, session: Unlocked) -> JSONResponse:
    now = context.clock()
    refreshable = await grants.refreshable(context, session)
    holdings = [
        Holding(
            batch_id=b.id,
            issuer=str(b.details["issuer"]),
            vct=str(b.details["vct"]),
            unused_instances=0 if b.details.get("restored") else b.unused,
            expires_at=b.details.get("expires_at"),
            refreshable=b.id in refreshable,  # POST /v1/credentials/{id}/refresh
        )
        for b in await list_batches(context, session)
    ]
    advice = advise(
        holdings,
        now=now,
        low_water=context.settings.low_water,
        agencies=agencies_by_vct(context.snapshot(now=now), now=now),
    )
    return JSONResponse({"advice": [a.as_dict() for a in advice]}, headers=NO_STORE)


@router.post(
    "/presentations",
    responses=answers(PresentationStep, 502, 503, status=201),
    status_code=201,
    summary="Open a desk's request: the preview",
)
async def open_presentation(body: LinkBody, context: Context, session: Unlocked) -> JSONResponse:
    answer = await answering.open_request(context, session, body.link)
    return JSONResponse(answer, status_code=201, headers=NO_STORE)


@router.post(
    "/presentations/{presentation_id}/approve",
    responses=answers(PresentationStep, 404, 409, 503),
    summary="Consent: what to sign",
)
async def approve(presentation_id: RecordId, context: Context, session: Unlocked) -> JSONResponse:
    return JSONResponse(
        await answering.approve(context, session, presentation_id), headers=NO_STORE
    )


@router.post(
    "/presentations/{presentation_id}/signatures",
    responses=answers(PresentationStep, 400, 404, 409, 502, 503),
    summary="The device's KB-JWTs",
)
async def sign_presentation(
    presentation_id: RecordId, body: SignaturesBody, context: Context, session: Unlocked
) -> JSONResponse:
    answers = [s.model_dump() for s in body.signatures]
    return JSONResponse(
        await answering.finish(context, session, presentation_id, answers), headers=NO_STORE
    )


@router.post(
    "/presentations/{presentation_id}/decline",
    responses=answers(PresentationStep, 404),
    summary="Say no to the desk",
)
async def decline(presentation_id: RecordId, context: Context, session: Unlocked) -> JSONResponse:
    return JSONResponse(
        await answering.decline(context, session, presentation_id), headers=NO_STORE
    )


@router.get("/history", responses=answers(History), summary="What went to whom, when, and why")
async def history(context: Context, session: Unlocked) -> JSONResponse:
    async with context.database.read() as connection:
        kept = await records.load(connection, session, records.DISCLOSURE, now=context.clock())
    entries = sorted((entry for _id, entry in kept), key=lambda e: e.get("at", 0), reverse=True)
    return JSONResponse({"history": entries}, headers=NO_STORE)
