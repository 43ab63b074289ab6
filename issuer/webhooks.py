"""Webhooks to the agency's own system: an offer was redeemed, a notification arrived.

Events are written to ``webhook_outbox`` in the same transaction as the change they report,
so a crash can delay a call but never lose it (transactional outbox). A background task
delivers them: POST of a small JSON body (event, offer id, configuration, time; never claims
or codes), signed with HMAC-SHA256 under ``webhook_secret`` in ``X-Aanspraak-Signature``,
retried with exponential backoff. Each call carries the event id in
``X-Aanspraak-Event-Id`` (a retry repeats it, so the receiver can deduplicate) and is
leased first, so two workers never call for the same event at the same time. The
destination is configured by the operator, so it is trusted by configuration (DESIGN §4);
redirects are still not followed.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from typing import Any

import httpx
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from issuer.context import IssuerContext
from issuer.tables import webhook_outbox

SIGNATURE_HEADER = "X-Aanspraak-Signature"
EVENT_ID_HEADER = "X-Aanspraak-Event-Id"
#: A worker claims an event for this long before calling; another worker skips it meanwhile.
LEASE_SECONDS = 30
MAX_ATTEMPTS = 12
_BATCH = 20
_log = logging.getLogger("aanspraak.issuer.webhooks")


async def enqueue(
    connection: AsyncConnection, context: IssuerContext, event: str, payload: dict[str, Any]
) -> None:
    if context.settings.webhook_url is None:
        return
    now = context.clock()
    body = {"event": event, "at": now, **payload}
    await connection.execute(
        webhook_outbox.insert().values(
            event=event,
            payload=json.dumps(body, sort_keys=True),
            created_at=now,
            attempts=0,
            next_attempt_at=now,
        )
    )


def signature(secret: bytes, body: bytes) -> str:
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


async def deliver_due(context: IssuerContext, client: httpx.AsyncClient) -> int:
    """Deliver the events that are due; returns how many were delivered."""
    url, secret = context.settings.webhook_url, context.settings.webhook_secret
    if url is None or secret is None:
        return 0
    now = context.clock()
    async with context.read() as connection:
        due = (
            await connection.execute(
                select(webhook_outbox)
                .where(
                    webhook_outbox.c.delivered_at.is_(None),
                    webhook_outbox.c.next_attempt_at <= now,
                    webhook_outbox.c.attempts < MAX_ATTEMPTS,
                )
                .order_by(webhook_outbox.c.id)
                .limit(_BATCH)
            )
        ).all()
    delivered = 0
    for row in due:
        if not await _claim(context, row.id, row.next_attempt_at):
            continue  # another worker or replica took it
        body = row.payload.encode()
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: signature(secret.get_secret_value().encode(), body),
            EVENT_ID_HEADER: str(row.id),  # the receiver deduplicates retries on this
        }
        try:
            response = await client.post(url, content=body, headers=headers)
            ok = 200 <= response.status_code < 300
        except httpx.HTTPError:
            ok = False
        values: dict[str, Any]
        if ok:
            values = {"delivered_at": context.clock(), "attempts": row.attempts + 1}
            delivered += 1
        else:
            _log.warning("webhook delivery failed (event %s, attempt %d)", row.event, row.attempts)
            values = {
                "attempts": row.attempts + 1,
                "next_attempt_at": context.clock() + min(2**row.attempts, 3_600),
            }
        async with context.write() as connection:
            await connection.execute(
                update(webhook_outbox).where(webhook_outbox.c.id == row.id).values(**values)
            )
    return delivered


async def _claim(context: IssuerContext, event_id: int, seen_due_at: int) -> bool:
    """Lease one event by moving its due time forward, if nobody did so since we read it."""
    async with context.write() as connection:
        result = await connection.execute(
            update(webhook_outbox)
            .where(
                webhook_outbox.c.id == event_id,
                webhook_outbox.c.next_attempt_at == seen_due_at,
                webhook_outbox.c.delivered_at.is_(None),
            )
            .values(next_attempt_at=context.clock() + LEASE_SECONDS)
        )
    return int(result.rowcount) == 1


async def run_dispatcher(context: IssuerContext, *, interval: float = 1.0) -> None:
    """Deliver forever (cancelled at shutdown)."""
    async with httpx.AsyncClient(timeout=5.0, follow_redirects=False, trust_env=False) as client:
        while True:
            try:
                await deliver_due(context, client)
            except Exception as error:  # a broken database must not kill the loop
                # The class name only: database errors carry statement parameters.
                _log.error("webhook dispatcher round failed: %s", type(error).__name__)
            await asyncio.sleep(interval)
