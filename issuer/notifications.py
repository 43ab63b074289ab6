"""The notification endpoint's work (OID4VCI 1.0 §11).

The wallet tells the issuer what became of a batch: ``credential_accepted``,
``credential_failure`` or ``credential_deleted``. The call is idempotent (§11.1 allows the
wallet to repeat it): the latest event is kept; a repeated one changes nothing, also when
the repeats arrive at once at several workers (the UPDATE is conditional on the event
differing, so only one of them records it and tells the webhook). Any event
proves the wallet has the response, so it ends the time the claims are held for a retry.
The notification id must belong to the access token's offer (§11.3 ``invalid_notification_id``).
"""

from __future__ import annotations

from sqlalchemy import select, update

from issuer.context import IssuerContext
from issuer.issuance import mark_delivered
from issuer.tables import issuances
from issuer.webhooks import enqueue
from runtime.wire import InvalidNotificationId
from specs.oid4vci import NotificationRequest


async def record_notification(
    context: IssuerContext, offer_id: str, request: NotificationRequest
) -> None:
    async with context.write() as connection:
        row = (
            await connection.execute(
                select(issuances.c.id, issuances.c.event).where(
                    issuances.c.notification_id == request.notification_id,
                    issuances.c.offer_id == offer_id,
                )
            )
        ).first()
        if row is None:
            raise InvalidNotificationId("unknown notification_id")
        if row.event == request.event:
            return
        changed = await connection.execute(
            update(issuances)
            .where(issuances.c.id == row.id, issuances.c.event.is_distinct_from(request.event))
            .values(event=request.event)
        )
        if changed.rowcount != 1:  # the same event, repeated at the same time, came first
            return
        await mark_delivered(connection, context, offer_id)
        await enqueue(
            connection,
            context,
            "notification.received",
            {"offer_id": offer_id, "notification_event": request.event},
        )
