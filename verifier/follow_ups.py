"""Maatwerk: the officer's tailored decision on a hardship referral, against the same record.

The rule said "not eligible" but the hardship clause (*hardheidsclausule*) may apply, so the
decision record says ``refer_hardship``. An officer then decides the case on its merits and
records the outcome with its grounds; the follow-up is signed like the decision and shown
with it. Only a referral can be followed up: an officer overriding a clean rule outcome is a
different legal act (an objection), not maatwerk.
"""

from __future__ import annotations

from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from runtime.bearer import new_id
from runtime.wire import Conflict, NotFound
from specs.jose import parse_compact_jws
from verifier.context import VerifierContext
from verifier.decision_record import objection, sign_record
from verifier.tables import decisions, follow_ups

FollowUpOutcome = Literal["eligible", "not_eligible"]


async def record_follow_up(
    context: VerifierContext,
    decision_id: str,
    *,
    officer: str,
    outcome: FollowUpOutcome,
    grounds: str,
    amount_cents: int | None = None,
) -> dict[str, Any]:
    now = context.clock()
    follow_up_id = new_id()
    try:
        return await _record(
            context, decision_id, follow_up_id, now, officer, outcome, grounds, amount_cents
        )
    except IntegrityError:  # a concurrent follow-up won the unique key
        raise Conflict("this referral already has its maatwerk decision") from None


async def _record(  # noqa: PLR0917 - one private step of record_follow_up
    context: VerifierContext,
    decision_id: str,
    follow_up_id: str,
    now: int,
    officer: str,
    outcome: FollowUpOutcome,
    grounds: str,
    amount_cents: int | None,
) -> dict[str, Any]:
    async with context.database.write() as connection:
        row = (
            await connection.execute(select(decisions).where(decisions.c.id == decision_id))
        ).first()
        if row is None:
            raise NotFound("no such decision")
        if row.outcome != "refer_hardship":
            raise Conflict("only a hardship referral can be followed up with maatwerk")
        existing = await connection.execute(
            select(follow_ups.c.id).where(follow_ups.c.decision_id == decision_id)
        )
        if existing.first() is not None:  # the unique key decides a race; this the message
            raise Conflict("this referral already has its maatwerk decision")
        decision = parse_compact_jws(row.record).payload
        authority = decision["regulation"]["authority"]
        record = {
            "iss": context.client_id,
            "iat": now,
            "jti": follow_up_id,
            "decision": decision_id,
            "kind": "maatwerk",
            "officer": officer,
            "outcome": outcome,
            "amount_cents": amount_cents,
            "grounds": grounds,
            "legal_basis": (decision.get("hardship_referral") or {}).get("legal_basis"),
            "objection": objection(authority),
        }
        signed = _sign(context, record)
        await connection.execute(
            follow_ups.insert().values(
                id=follow_up_id,
                decision_id=decision_id,
                officer=officer,
                outcome=outcome,
                amount_cents=amount_cents,
                grounds=grounds,
                record=signed,
                created_at=now,
            )
        )
    return {**record, "signed_record": signed}


def _sign(context: VerifierContext, record: dict[str, Any]) -> str:
    return sign_record(record, context.identity.signer)
