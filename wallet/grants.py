"""Refresh grants of held batches, sealed under the account's vault key (``records.GRANT``).

A batch received through the authorization code flow may come with a refresh token
(OpenID4VCI 1.0 §13.5; HAIP 1.0 §4.4 recommends them for credential refresh). Its grant is
the ``RedeemedOffer`` that refreshes it: the refresh token, the DPoP key both tokens are
bound to, the client instance key of the wallet attestation, and the issuer's endpoints.
One grant per batch: it is kept with the batch, rotated on every refresh (the issuer spends
the old token at once, so the new one is kept before anything else can fail), dropped with
the batch, and dropped when the issuer refuses it (the citizen then authorizes again).
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from wallet import records
from wallet.context import WalletContext
from wallet.device_auth import Session
from wallet.issuance_model import RedeemedOffer


async def keep(
    connection: AsyncConnection, session: Session, batch_id: str, grant: RedeemedOffer
) -> None:
    """The grant of ``batch_id``, replacing any it had."""
    await forget(connection, session, batch_id)
    payload = {"batch_id": batch_id, "grant": grant.as_dict()}
    await records.add(connection, session, records.GRANT, payload)


async def forget(connection: AsyncConnection, session: Session, batch_id: str) -> None:
    """Drop the grant of ``batch_id`` (none is fine)."""
    now = 0  # grants never lapse by time: the issuer decides when a token is spent
    for record_id, payload in await records.load(connection, session, records.GRANT, now=now):
        if payload.get("batch_id") == batch_id:
            await records.remove(connection, session, records.GRANT, record_id)


async def take(
    connection: AsyncConnection, session: Session, batch_id: str
) -> RedeemedOffer | None:
    """Claim the grant of ``batch_id`` for one refresh: its record is deleted, and only the
    request whose conditional DELETE removed it gets it. A refresh token is spent by its
    first use, and a second use makes the issuer end the whole grant (OpenID4VCI 1.0 §13.5,
    RFC 9700 §4.14.2), so two refreshes of one batch at once must not both send it. The
    caller keeps the renewed grant, or the same one back when the issuer did not spend it."""
    for record_id, payload in await records.load(connection, session, records.GRANT, now=0):
        if payload.get("batch_id") != batch_id:
            continue
        if await records.remove(connection, session, records.GRANT, record_id) != 1:
            return None
        return RedeemedOffer.from_dict(payload["grant"])
    return None


async def refreshable(context: WalletContext, session: Session) -> frozenset[str]:
    """The batches that have a grant (re-issuance advice ``refresh``)."""
    async with context.database.read() as connection:
        found = await records.load(connection, session, records.GRANT, now=0)
    return frozenset(str(payload.get("batch_id")) for _record_id, payload in found)
