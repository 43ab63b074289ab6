"""Forgetting on time: expired transactions and decision records past their retention.

Runs at start and then every ``SWEEP_INTERVAL`` seconds. A transaction is deleted once its
result has expired (its sealed key and facts were already gone once answered; an unanswered
one loses them here); a decision record (and its follow-ups) once ``delete_after`` passed.
Each sweep is one transaction, so a crash leaves either everything or nothing swept.
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import delete, select

from verifier.context import VerifierContext
from verifier.tables import decisions, follow_ups, transactions

SWEEP_INTERVAL = 30
_log = logging.getLogger(__name__)


async def sweep(context: VerifierContext) -> tuple[int, int]:
    """Delete what has expired; returns (transactions, decisions) deleted."""
    now = context.clock()
    async with context.database.write() as connection:
        expired_transactions = await connection.execute(
            delete(transactions).where(transactions.c.result_expires_at <= now)
        )
        due = select(decisions.c.id).where(decisions.c.delete_after <= now)
        await connection.execute(delete(follow_ups).where(follow_ups.c.decision_id.in_(due)))
        expired_decisions = await connection.execute(
            delete(decisions).where(decisions.c.delete_after <= now)
        )
    return expired_transactions.rowcount, expired_decisions.rowcount


async def run_sweeper(context: VerifierContext, *, interval: float = SWEEP_INTERVAL) -> None:
    while True:
        await asyncio.sleep(interval)
        try:
            await sweep(context)
        except Exception as exc:
            _log.warning("verifier sweep failed: %s", type(exc).__name__)
