"""The credentials an account holds: batches of one-time instances, sealed under its vault
(which instances answer together and how they are reserved: ``wallet.slots``).

A batch is one issuance (DESIGN §5: one-time credentials). Each instance is presented at
most once: it is reserved (``wallet.slots.reserve``) *before* its KB-JWT is signed and never
released once the device signed it, so a crash between signing and sending costs an
instance, never unlinkability. Expired batches are hidden at once and purged by the sweeper
without the vault key (``expires_at`` is the one clear column they need).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from runtime.bearer import new_id
from specs.jose import PublicJwk, parse_public_jwk
from specs.rules import HeldCredential as RuleCredential
from specs.sd_jwt import open_sd_jwt
from wallet.context import WalletContext
from wallet.device_auth import Session
from wallet.tables import batches, instances

BATCH = "batch"
INSTANCE = "instance"
WITHDRAWN = frozenset({"revoked", "suspended"})


class InstancesTaken(Exception):
    """Another presentation reserved one of the chosen instances first."""


@dataclass(frozen=True, slots=True)
class Instance:
    """One one-time credential instance, opened (``used`` is reported beside it)."""

    id: str
    batch_id: str
    token: str
    holder_key: PublicJwk
    issuer: str
    vct: str
    order: int = 0
    """When the batch arrived, to the nanosecond: a newer statement of the same type supersedes
    an older one even when both arrived within the same second."""
    restored: bool = False
    """From a backup: its key stayed on the old device, so it cannot answer a desk."""
    status: str = "valid"
    """The batch's status as last checked (``status_check``): valid, unknown, suspended,
    revoked. Suspended and revoked instances neither count for discovery nor answer desks."""

    @property
    def withdrawn(self) -> bool:
        return self.status in WITHDRAWN


@dataclass(frozen=True, slots=True)
class Batch:
    id: str
    details: dict[str, Any]
    """issuer, vct, configuration_id, received_at, expires_at, display, key_ids."""
    unused: int
    total: int


@dataclass(frozen=True, slots=True)
class NewInstance:
    token: str
    holder_key: PublicJwk


async def store_batch(
    connection: AsyncConnection,
    session: Session,
    *,
    details: dict[str, Any],
    received: Sequence[NewInstance],
    expires_at: int | None,
) -> str:
    """Insert a batch and its instances, sealed, inside the caller's transaction."""
    batch_id = new_id()
    await connection.execute(
        insert(batches).values(
            id=batch_id,
            account_id=session.account_id,
            sealed=session.vault.seal(BATCH, batch_id, details),
            expires_at=expires_at,
        )
    )
    rows = []
    for item in received:
        instance_id = new_id()
        payload = {"token": item.token, "holder_key": item.holder_key.to_jwk()}
        rows.append(
            {
                "id": instance_id,
                "batch_id": batch_id,
                "account_id": session.account_id,
                "sealed": session.vault.seal(INSTANCE, instance_id, payload),
                "used_at": None,
            }
        )
    if rows:  # one statement for the whole batch (executemany), not one per instance
        await connection.execute(insert(instances), rows)
    return batch_id


async def list_batches(context: WalletContext, session: Session) -> list[Batch]:
    """Every batch of the account with its counts, newest first."""
    now = context.clock()
    async with context.database.read() as connection:
        rows = (
            await connection.execute(
                select(batches.c.id, batches.c.sealed, batches.c.expires_at).where(
                    batches.c.account_id == session.account_id
                )
            )
        ).all()
        counts = (
            await connection.execute(
                select(instances.c.batch_id, instances.c.used_at).where(
                    instances.c.account_id == session.account_id
                )
            )
        ).all()
    unused: dict[str, int] = {}
    total: dict[str, int] = {}
    for batch_id, used_at in counts:
        total[batch_id] = total.get(batch_id, 0) + 1
        if used_at is None:
            unused[batch_id] = unused.get(batch_id, 0) + 1
    found = [
        Batch(
            row.id,
            session.vault.open(BATCH, row.id, row.sealed),
            unused.get(row.id, 0),
            total.get(row.id, 0),
        )
        for row in rows
        if row.expires_at is None or row.expires_at > now
    ]
    return sorted(found, key=lambda b: _order(b.details), reverse=True)


async def unused_instances(
    context: WalletContext,
    session: Session,
    *,
    withdrawn: bool = False,
    within: AsyncConnection | None = None,
) -> list[Instance]:
    """Every unused, unexpired instance of the account, opened (for matching a query);
    revoked and suspended ones only with ``withdrawn`` (to check their status again).
    ``within``: read in the caller's transaction instead of one of its own."""
    return [
        i
        for i, used in await all_instances(context, session, within=within)
        if not used and (withdrawn or not i.withdrawn)
    ]


async def all_instances(
    context: WalletContext, session: Session, *, within: AsyncConnection | None = None
) -> list[tuple[Instance, bool]]:
    """Every unexpired instance of the account, opened, with whether it was used."""
    now = context.clock()
    if within is None:
        async with context.database.read() as connection:
            rows = await _instance_rows(connection, session, now)
    else:
        rows = await _instance_rows(within, session, now)
    batch_details: dict[str, dict[str, Any]] = {}
    found = []
    for row in rows:
        if row.batch_id not in batch_details:
            batch_details[row.batch_id] = session.vault.open(BATCH, row.batch_id, row.batch_sealed)
        found.append((_opened(session, row, batch_details[row.batch_id]), row.used_at is not None))
    # Newest first: a new statement of the same kind supersedes the older one.
    return sorted(found, key=lambda pair: -pair[0].order)


async def _instance_rows(connection: AsyncConnection, session: Session, now: int) -> list[Any]:
    return list(
        (
            await connection.execute(
                select(
                    instances.c.id,
                    instances.c.batch_id,
                    instances.c.sealed,
                    instances.c.used_at,
                    batches.c.sealed.label("batch_sealed"),
                )
                .join(batches, batches.c.id == instances.c.batch_id)
                .where(
                    instances.c.account_id == session.account_id,
                    (batches.c.expires_at.is_(None)) | (batches.c.expires_at > now),
                )
                .order_by(instances.c.id)
            )
        ).all()
    )


async def instances_by_id(
    context: WalletContext,
    session: Session,
    instance_ids: Sequence[str],
    *,
    within: AsyncConnection | None = None,
) -> list[Instance]:
    """The account's instances ``instance_ids`` (used or not), opened, in that order.
    ``within``: read in the caller's transaction instead of one of its own."""
    query = (
        select(
            instances.c.id,
            instances.c.batch_id,
            instances.c.sealed,
            batches.c.sealed.label("batch_sealed"),
        )
        .join(batches, batches.c.id == instances.c.batch_id)
        .where(
            instances.c.account_id == session.account_id,
            instances.c.id.in_(list(instance_ids)),
        )
    )
    if within is None:
        async with context.database.read() as connection:
            rows = (await connection.execute(query)).all()
    else:
        rows = (await within.execute(query)).all()
    opened = {
        row.id: _opened(session, row, session.vault.open(BATCH, row.batch_id, row.batch_sealed))
        for row in rows
    }
    if len(opened) != len(set(instance_ids)):
        raise InstancesTaken  # deleted meanwhile
    return [opened[i] for i in instance_ids]


def _opened(session: Session, row: Any, details: dict[str, Any]) -> Instance:
    payload = session.vault.open(INSTANCE, row.id, row.sealed)
    return Instance(
        row.id,
        row.batch_id,
        payload["token"],
        parse_public_jwk(payload["holder_key"]),
        str(details["issuer"]),
        str(details["vct"]),
        _order(details),
        bool(details.get("restored", False)),
        str(details.get("status", "valid")),
    )


def _order(details: Mapping[str, Any]) -> int:
    """Arrival order: nanoseconds when recorded, else the second it arrived."""
    return int(details.get("received_ns") or int(details.get("received_at", 0)) * 10**9)


def one_per_batch(found: Sequence[Instance]) -> list[Instance]:
    """The first unused instance of each batch: what discovery and matching look at (the
    instances of a batch attest the same claims)."""
    seen: set[str] = set()
    chosen = []
    for instance in found:
        if instance.batch_id not in seen:
            seen.add(instance.batch_id)
            chosen.append(instance)
    return chosen


def rule_credentials(found: Sequence[Instance]) -> list[RuleCredential]:
    """The claims as the rules engine reads them (discovery, on the device's behalf: nothing
    leaves the service): the newest batch of each issuer and type, since a new statement
    (this year's income) supersedes the one before it."""
    newest: dict[tuple[str, str], Instance] = {}
    for instance in one_per_batch(found):
        kept = newest.get((instance.issuer, instance.vct))
        if kept is None or instance.order > kept.order:
            newest[instance.issuer, instance.vct] = instance
    return [
        RuleCredential(i.issuer, i.vct, open_sd_jwt(i.token).processed.claims)
        for i in newest.values()
    ]


async def delete_batch(context: WalletContext, session: Session, batch_id: str) -> list[str] | None:
    """Delete a batch and its instances; the key ids no remaining instance is bound to (the
    device may delete those), or None when there is no such batch."""
    async with context.database.write() as connection:
        row = (
            await connection.execute(
                select(batches.c.sealed).where(
                    batches.c.id == batch_id, batches.c.account_id == session.account_id
                )
            )
        ).one_or_none()
        if row is None:
            return None
        details = session.vault.open(BATCH, batch_id, row.sealed)
        await connection.execute(delete(instances).where(instances.c.batch_id == batch_id))
        await connection.execute(delete(batches).where(batches.c.id == batch_id))
        remaining = (
            await connection.execute(
                select(instances.c.id, instances.c.sealed).where(
                    instances.c.account_id == session.account_id
                )
            )
        ).all()
    still_used = {
        parse_public_jwk(session.vault.open(INSTANCE, r.id, r.sealed)["holder_key"]).thumbprint()
        for r in remaining
    }  # a slot's key also binds other credentials' instances: those keep it
    return [str(k) for k in details.get("key_ids", []) if k not in still_used]


async def drop_batch(connection: AsyncConnection, session: Session, batch_id: str) -> None:
    """Delete a batch and its instances inside the caller's transaction (a refreshed batch
    replacing it); its keys stay with the slots, which the new batch reuses."""
    await connection.execute(
        delete(instances).where(
            instances.c.batch_id == batch_id, instances.c.account_id == session.account_id
        )
    )
    await connection.execute(
        delete(batches).where(batches.c.id == batch_id, batches.c.account_id == session.account_id)
    )


async def purge_expired(context: WalletContext) -> int:
    """Delete every expired batch with its instances (no vault key needed); how many."""
    now = context.clock()
    async with context.database.write() as connection:
        expired = (
            (
                await connection.execute(
                    select(batches.c.id).where(
                        batches.c.expires_at.is_not(None), batches.c.expires_at <= now
                    )
                )
            )
            .scalars()
            .all()
        )
        if expired:
            await connection.execute(delete(instances).where(instances.c.batch_id.in_(expired)))
            await connection.execute(delete(batches).where(batches.c.id.in_(expired)))
    return len(expired)
