"""Housekeeping that keeps the promise "claims only until delivery or expiry" (DESIGN §1).

Runs at start and then periodically: offers past their expiry lose their sealed claims and
offer object and become ``expired``; issued offers whose redelivery window has passed
without a notification lose their claims and count as ``delivered``; expired access tokens,
spent nonces, DPoP proof and wallet attestation PoP digests, pushed authorization requests
and refresh tokens past their expiry, pending deferred requests of expired or withdrawn
offers, and webhook events delivered a week ago are deleted.
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import delete, select, update

from issuer.context import IssuerContext
from issuer.tables import (
    access_tokens,
    authorization_requests,
    client_attestation_pops,
    deferred,
    dpop_proofs,
    issuances,
    nonces,
    offers,
    refresh_tokens,
    webhook_outbox,
)

#: Delivered webhook events are kept this long for the operator's own audit, then deleted.
OUTBOX_RETENTION_SECONDS = 7 * 86_400

_log = logging.getLogger("aanspraak.issuer.sweeper")


async def sweep(context: IssuerContext) -> int:
    """One round; returns how many offers expired in it."""
    now = context.clock()
    async with context.write() as connection:
        expired = await connection.execute(
            update(offers)
            .where(
                offers.c.expires_at <= now,
                offers.c.state.not_in(("expired", "delivered", "withdrawn")),
            )
            .values(state="expired", sealed_claims=None, sealed_offer=None, sealed_subject=None)
        )
        await connection.execute(  # a delivered grant ends too: its subject goes (DESIGN §5)
            update(offers)
            .where(offers.c.expires_at <= now, offers.c.sealed_subject.is_not(None))
            .values(sealed_subject=None)
        )
        window = context.settings.redelivery_window_seconds
        unconfirmed = select(issuances.c.offer_id).where(
            issuances.c.superseded.is_(False), issuances.c.issued_at <= now - window
        )
        await connection.execute(
            update(offers)
            .where(offers.c.state == "issued", offers.c.id.in_(unconfirmed))
            .values(state="delivered", sealed_claims=None)
        )
        await connection.execute(delete(access_tokens).where(access_tokens.c.expires_at <= now))
        await connection.execute(delete(nonces).where(nonces.c.expires_at <= now))
        await connection.execute(delete(dpop_proofs).where(dpop_proofs.c.expires_at <= now))
        await connection.execute(
            delete(client_attestation_pops).where(client_attestation_pops.c.expires_at <= now)
        )
        await connection.execute(
            delete(authorization_requests).where(authorization_requests.c.expires_at <= now)
        )
        await connection.execute(delete(refresh_tokens).where(refresh_tokens.c.expires_at <= now))
        await connection.execute(
            delete(webhook_outbox).where(
                webhook_outbox.c.delivered_at.is_not(None),
                webhook_outbox.c.delivered_at <= now - OUTBOX_RETENTION_SECONDS,
            )
        )
        gone = select(offers.c.id).where(
            offers.c.state.in_(("expired", "withdrawn", "delivered", "revoked"))
        )
        await connection.execute(delete(deferred).where(deferred.c.offer_id.in_(gone)))
    return int(expired.rowcount)


async def run_sweeper(context: IssuerContext, *, interval: float = 30.0) -> None:
    while True:
        try:
            await sweep(context)
        except Exception as error:  # the class name only: database errors carry parameters
            _log.error("sweep failed: %s", type(error).__name__)
        await asyncio.sleep(interval)
