"""The desk's API (API key ``avk_...``, documented in OpenAPI): start a transaction, poll its
result, read a decision, record the maatwerk follow-up of a hardship referral.

Error bodies never echo what was sent: the facts a desk passes are personal data.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from verifier.dependencies import Context, DeskKey
from verifier.follow_ups import record_follow_up
from verifier.results import load_decision, transaction_result
from verifier.transactions import start_transaction

router = APIRouter(prefix="/desk", tags=["Desk"])
NO_STORE = {"Cache-Control": "no-store"}


class TransactionBody(BaseModel):
    """A request for one regulation."""

    model_config = ConfigDict(extra="forbid")

    regulation: str = Field(max_length=100, description="Regulation id (GET /desk/regulations)")
    facts: dict[str, Any] | None = Field(
        default=None, description="Inputs the desk already holds; they are not asked of the wallet"
    )
    redirect_uri: str | None = Field(
        default=None,
        max_length=2_000,
        pattern=r"^https?://",
        description="Same-device flow: where the wallet sends the citizen back, with a "
        "response_code that must accompany the result fetch",
    )


class FollowUpBody(BaseModel):
    """The officer's tailored decision (maatwerk) on a hardship referral."""

    model_config = ConfigDict(extra="forbid")

    officer: str = Field(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$")
    outcome: Literal["eligible", "not_eligible"]
    grounds: str = Field(min_length=1, max_length=10_000, pattern=r"^[^\x00]+$")
    amount_cents: int | None = Field(default=None, ge=0, le=10**9)


@router.get("/regulations", summary="The regulations this key may request")
async def regulations(context: Context, key: DeskKey) -> JSONResponse:
    found = []
    for regulation_id, versions in sorted(context.regulations().items()):
        if regulation_id not in key.scope:
            continue
        newest = max(versions, key=lambda c: c.regulation.valid_from).regulation
        found.append({"id": regulation_id, "name": newest.name.model_dump()})
    return JSONResponse({"regulations": found}, headers=NO_STORE)


@router.post("/transactions", status_code=201, summary="Start an eligibility request")
async def create_transaction(body: TransactionBody, context: Context, key: DeskKey) -> JSONResponse:
    started = await start_transaction(
        context,
        regulation_id=body.regulation,
        facts=body.facts,
        api_key=key,
        redirect_uri=body.redirect_uri,
    )
    return JSONResponse(
        {**started.as_json(), "qr_svg": started.qr_svg()}, status_code=201, headers=NO_STORE
    )


@router.get("/transactions/{transaction_id}", summary="A transaction's state and decision")
async def get_transaction(
    transaction_id: str,
    context: Context,
    key: DeskKey,
    response_code: Annotated[
        str | None,
        Header(
            alias="Response-Code",
            max_length=200,
            description="Same-device flow: the response_code the wallet's redirect carried "
            "(a header, so it never lands in access logs of query strings)",
        ),
    ] = None,
) -> JSONResponse:
    result = await transaction_result(
        context, transaction_id, api_key=key, response_code=response_code
    )
    return JSONResponse(result, headers=NO_STORE)


@router.get("/decisions/{decision_id}", summary="A decision record and its follow-ups")
async def get_decision(decision_id: str, context: Context, key: DeskKey) -> JSONResponse:
    decision = await load_decision(context, decision_id, api_key=key)
    return JSONResponse(decision, headers=NO_STORE)


@router.post("/decisions/{decision_id}/follow-ups", status_code=201, summary="Record maatwerk")
async def follow_up(
    decision_id: str, body: FollowUpBody, context: Context, key: DeskKey
) -> JSONResponse:
    await load_decision(context, decision_id, api_key=key)  # 404 for another desk's decision
    recorded = await record_follow_up(
        context,
        decision_id,
        officer=body.officer,
        outcome=body.outcome,
        grounds=body.grounds,
        amount_cents=body.amount_cents,
    )
    return JSONResponse(recorded, status_code=201, headers=NO_STORE)
