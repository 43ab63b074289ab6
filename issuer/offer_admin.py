"""What the back office does with an offer after creating it: look, approve, revoke.

Revocation acts on the offer, since the back office knows the offer it made: every
credential instance of the batch (and of a superseded re-issue) changes status together
(Token Status List §7.1). INVALID is final; SUSPENDED can be reinstated to VALID.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select, update

from issuer.context import IssuerContext
from issuer.offers import OfferGrant, checked_claims, seal_claims
from issuer.status_lists import set_offer_status
from issuer.tables import issuances, offers, status_entries
from runtime.wire import Conflict, NotFound
from specs.status_list import StatusType


class CredentialStatus(StrEnum):
    VALID = "valid"
    REVOKED = "revoked"
    SUSPENDED = "suspended"


_STATUS_TYPE = {
    CredentialStatus.VALID: StatusType.VALID,
    CredentialStatus.REVOKED: StatusType.INVALID,
    CredentialStatus.SUSPENDED: StatusType.SUSPENDED,
}
_NAME_OF = {int(v): k for k, v in _STATUS_TYPE.items()}


async def _offer_row(connection: Any, offer_id: str, allowed: frozenset[str] | None) -> Any:
    row = (await connection.execute(select(offers).where(offers.c.id == offer_id))).first()
    if row is None or (allowed is not None and row.configuration_id not in allowed):
        raise NotFound("no such offer")
    return row


def _grant_of(row: Any) -> str | None:
    """The grant the back office offered; ``None`` for a grant the wallet started itself."""
    if row.issuer_state_digest is not None:
        return OfferGrant.AUTHORIZATION_CODE.value
    return None if row.client_id is not None else OfferGrant.PRE_AUTHORIZED_CODE.value


async def describe_offer(
    context: IssuerContext, offer_id: str, *, allowed: frozenset[str] | None
) -> dict[str, Any]:
    """State and credential status of an offer; never its claims."""
    async with context.read() as connection:
        row = await _offer_row(connection, offer_id, allowed)
        counts = await connection.execute(
            select(status_entries.c.status, func.count())
            .where(status_entries.c.offer_id == offer_id)
            .join(issuances, issuances.c.id == status_entries.c.issuance_id)
            .where(issuances.c.superseded.is_(False))
            .group_by(status_entries.c.status)
        )
        statuses = {_NAME_OF.get(int(s), "other"): int(n) for s, n in counts}
        events = (
            await connection.execute(
                select(issuances.c.event).where(
                    issuances.c.offer_id == offer_id, issuances.c.event.is_not(None)
                )
            )
        ).scalars()
    return {
        "offer_id": row.id,
        "configuration_id": row.configuration_id,
        "grant": _grant_of(row),
        "state": row.state,
        "batch_size": row.batch_size,
        "deferred": row.deferred,
        "approved": row.approved,
        "claims_held": row.sealed_claims is not None,
        "expires_at": row.expires_at,
        "credentials": statuses,
        "notifications": sorted(set(events)),
    }


async def approve_offer(
    context: IssuerContext,
    offer_id: str,
    *,
    claims: Mapping[str, Any] | None,
    allowed: frozenset[str] | None,
) -> None:
    """Release a deferred offer (OID4VCI 1.0 §9), supplying the claims if not given before."""
    async with context.write() as connection:
        row = await _offer_row(connection, offer_id, allowed)
        if not row.deferred or row.approved:
            raise Conflict("the offer is not waiting for approval")
        if row.state in {"delivered", "expired", "locked"}:
            raise Conflict("the offer can no longer be issued")
        values: dict[str, Any] = {"approved": True}
        if claims is not None:
            if row.sealed_claims is not None:
                raise Conflict("the offer already holds claims")
            values["sealed_claims"] = seal_claims(
                context, offer_id, checked_claims(context, row.configuration_id, claims)
            )
        elif row.sealed_claims is None:
            raise Conflict("the offer holds no claims; send them with the approval")
        await connection.execute(update(offers).where(offers.c.id == offer_id).values(**values))


def _reissuable() -> ColumnElement[bool]:
    """Offers that could still issue: a grant of the authorization code flow also after
    delivery (a refresh fetches a new batch), so revoking it ends the grant too."""
    grant_delivered = and_(offers.c.state == "delivered", offers.c.sealed_subject.is_not(None))
    return or_(offers.c.state.in_(("redeemed", "issued")), grant_delivered)


async def _withdraw(connection: Any, offer_id: str) -> None:
    """Revoking an offer before anything was issued withdraws it: codes and claims die."""
    await connection.execute(
        update(offers)
        .where(offers.c.id == offer_id, offers.c.state.not_in(("delivered", "expired")))
        .values(state="withdrawn", sealed_claims=None, sealed_offer=None, sealed_subject=None)
    )


async def change_status(
    context: IssuerContext,
    offer_id: str,
    status: CredentialStatus,
    *,
    allowed: frozenset[str] | None,
) -> int:
    """Revoke, suspend or reinstate all credentials of an offer; returns how many changed.

    Revoking an offer whose credentials were not issued yet withdraws the offer instead.
    """
    async with context.write() as connection:
        await _offer_row(connection, offer_id, allowed)
        revoked = (
            await connection.execute(
                select(func.count()).where(
                    status_entries.c.offer_id == offer_id,
                    status_entries.c.status == int(StatusType.INVALID),
                )
            )
        ).scalar_one()
        live = (
            await connection.execute(
                select(func.count()).where(
                    status_entries.c.offer_id == offer_id,
                    status_entries.c.status != int(StatusType.INVALID),
                )
            )
        ).scalar_one()
        if revoked and not live and status is not CredentialStatus.REVOKED:
            raise Conflict("revoked credentials cannot be reinstated or suspended")
        if not revoked and not live:
            if status is not CredentialStatus.REVOKED:
                raise Conflict("no credential has been issued for this offer yet")
            await _withdraw(connection, offer_id)
            return 0
        if status is CredentialStatus.REVOKED:  # no re-issue from held claims after this
            await connection.execute(
                update(offers)
                .where(offers.c.id == offer_id, _reissuable())
                .values(state="revoked", sealed_claims=None, sealed_subject=None)
            )
        return await set_offer_status(connection, offer_id=offer_id, status=_STATUS_TYPE[status])
