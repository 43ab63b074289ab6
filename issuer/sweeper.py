"""Housekeeping that keeps the promise "claims only until delivery or expiry" (DESIGN §1).

Runs at start and then periodically: offers past their expiry lose their sealed claims and
offer object and become ``expired``; expired access tokens, spent nonces and pending deferred
requests of expired offers are deleted.
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import delete, select, update

from issuer.context import IssuerContext
from issuer.tables import access_tokens, deferred, nonces, offers

_log = logging.getLogger("aanspraak.issuer.sweeper")


async def sweep(context: IssuerContext) -> int:
    """One round; returns how many offers expired in it."""
    now = context.clock()
    async with context.write() as connection:
        expired = await connection.execute(
            update(offers)
            .where(offers.c.expires_at <= now, offers.c.state.not_in(("expired", "delivered")))
            .values(state="expired", sealed_claims=None, sealed_offer=None)
        )
        await connection.execute(delete(access_tokens).where(access_tokens.c.expires_at <= now))
        await connection.execute(delete(nonces).where(nonces.c.expires_at <= now))
        gone = select(offers.c.id).where(offers.c.state == "expired")
        await connection.execute(delete(deferred).where(deferred.c.offer_id.in_(gone)))
    return int(expired.rowcount)


async def run_sweeper(context: IssuerContext, *, interval: float = 60.0) -> None:
    while True:
        try:
            await sweep(context)
        except Exception as error:  # the class name only: database errors carry parameters
            _log.error("sweep failed: %s", type(error).__name__)
        await asyncio.sleep(interval)
