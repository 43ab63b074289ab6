"""Holder-key slots, and the single-use bookkeeping of one-time instances.

OpenID4VP answers that combine credentials must prove one holder (the desk checks that every
KB-JWT is signed by the same key), while a key shown twice links two answers. So instance *j*
of every credential type shares the *j*-th key (``wallet.receiving`` binds new batches that
way), and a presentation takes one whole slot and burns it.

:func:`reserve` marks instances used with a conditional UPDATE in the same transaction that
checks them, so two presentations running at once can never take the same instance, on
SQLite or PostgreSQL, in one worker or many.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncConnection

from specs.jose import PublicJwk
from wallet.context import WalletContext
from wallet.device_auth import Session
from wallet.holdings import Instance, InstancesTaken, all_instances
from wallet.tables import instances


@dataclass(frozen=True, slots=True)
class Slot:
    """A holder key and the unused instances bound to it, one per credential type at most.

    OpenID4VP answers that combine credentials must prove one holder (the desk checks that
    every KB-JWT is signed by the same key), while a key shown twice links two answers. So
    instance *j* of every credential type shares the *j*-th key, and a presentation uses
    one whole slot and burns it: every instance bound to the key is retired with it.
    """

    key: PublicJwk
    instances: tuple[Instance, ...]

    @property
    def vcts(self) -> frozenset[str]:
        return frozenset(i.vct for i in self.instances)


async def slots(
    context: WalletContext, session: Session, *, within: AsyncConnection | None = None
) -> list[Slot]:
    """Unburned slots (no instance of the key was ever presented), fullest first.
    ``within``: read in the caller's transaction instead of one of its own."""
    grouped: dict[str, list[Instance]] = {}
    burned: set[str] = set()
    keys: dict[str, PublicJwk] = {}
    for instance, used in await all_instances(context, session, within=within):
        if (instance.withdrawn or instance.restored) and not used:
            continue  # revoked, suspended, or its key is on the old device: cannot answer
        thumbprint = instance.holder_key.thumbprint()
        keys[thumbprint] = instance.holder_key
        if used:
            burned.add(thumbprint)
        else:
            grouped.setdefault(thumbprint, []).append(instance)
    found = [Slot(keys[t], tuple(group)) for t, group in grouped.items() if t not in burned]
    return sorted(found, key=lambda slot: -len(slot.instances))


async def reserve(
    connection: AsyncConnection, session: Session, instance_ids: Sequence[str], *, now: int
) -> None:
    """Mark ``instance_ids`` used, all or none; ``InstancesTaken`` if one already was.

    Runs in the caller's transaction, so the reservation commits together with what the
    caller records about it (``wallet.answering.approve``: the pending answer's instances):
    a crash leaves both or neither. ``InstancesTaken`` must leave that transaction, so the
    UPDATE is rolled back."""
    result = await connection.execute(
        update(instances)
        .where(
            instances.c.id.in_(list(instance_ids)),
            instances.c.account_id == session.account_id,
            instances.c.used_at.is_(None),
        )
        .values(used_at=now)
    )
    if result.rowcount != len(set(instance_ids)):
        raise InstancesTaken


async def release(
    connection: AsyncConnection, session: Session, instance_ids: Sequence[str]
) -> None:
    """Give back reserved instances no signature was made for (the citizen declined).

    Runs in the caller's transaction, the one that ends the pending answer only if it still
    holds the bytes that said "not signed" (``wallet.answering.decline``): a signature
    accepted meanwhile changes them, and then nothing is given back."""
    await connection.execute(
        update(instances)
        .where(
            instances.c.id.in_(list(instance_ids)),
            instances.c.account_id == session.account_id,
        )
        .values(used_at=None)
    )
