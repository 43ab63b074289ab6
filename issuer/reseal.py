"""Moving every sealed value to the active storage key, so a retired key can be destroyed.

Rotating the storage key (docs/issuer.md) is three steps: start every replica with the new
key in ``STORAGE_KEY_FILE`` and the old one in ``RETIRED_STORAGE_KEY_FILES`` (both open what
they sealed; only the new one seals); run ``aanspraak issuer reseal``; then, once
``OFFER_TTL_SECONDS`` has passed (the tx_code digests of older offers are keyed from the old
key, and no pass can rewrite a digest), drop the old key from the settings and destroy it.

The pass is safe to kill at any moment and to run again (THREATS D-05). It reads a batch of
offers, opens each sealed value (its claims, its offer for ``credential_offer_uri``, its
expected subject), seals it again under the active key with the same context, and writes it
back only if the row still holds the value it read (a compare-and-swap: a value the service
replaced or erased meanwhile is left alone). Each batch is one transaction: after a crash
every value is sealed under either key, whole, and both keys open it. Values the active key
sealed already are skipped, so a second run finds nothing to do. A value no configured key
opens (a retired key left out of the settings) is counted as ``unopenable`` and left as it is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Column, select, update

from issuer.context import IssuerContext
from issuer.tables import offers
from runtime.sealing import SealBroken

BATCH = 200


@dataclass(frozen=True, slots=True)
class SealedColumn:
    """One sealed column of ``offers`` and the context its values are sealed under."""

    column: Column[bytes]
    context_of: Callable[[str], bytes]


#: Every sealed column the issuer keeps, with the contexts ``issuer.offers`` seals under.
SEALED_COLUMNS = (
    SealedColumn(offers.c.sealed_claims, lambda offer_id: offer_id.encode()),
    SealedColumn(offers.c.sealed_offer, lambda offer_id: b"offer:" + offer_id.encode()),
    SealedColumn(offers.c.sealed_subject, lambda offer_id: b"subject:" + offer_id.encode()),
)


@dataclass
class Resealed:
    """What one pass did, per column name."""

    resealed: dict[str, int]
    current: dict[str, int]  # already under the active key
    changed_meanwhile: dict[str, int]  # replaced or erased by the service during the pass
    unopenable: dict[str, int]  # no configured key opens it (a key missing from the settings)


async def reseal(context: IssuerContext, *, batch: int = BATCH) -> Resealed:
    """Seal every value again under the active key (module docstring)."""
    names = [sealed.column.name for sealed in SEALED_COLUMNS]
    figures = Resealed(*(dict.fromkeys(names, 0) for _ in range(4)))
    for sealed in SEALED_COLUMNS:
        after = ""
        while True:
            async with context.write() as connection:
                rows = (
                    await connection.execute(
                        select(offers.c.id, sealed.column)
                        .where(offers.c.id > after, sealed.column.is_not(None))
                        .order_by(offers.c.id)
                        .limit(batch)
                    )
                ).all()
                for offer_id, value in rows:
                    try:
                        plaintext, current = context.sealer.open_and_tell(
                            value, context=sealed.context_of(offer_id)
                        )
                    except SealBroken:  # no configured key opens it: count, never stop
                        figures.unopenable[sealed.column.name] += 1
                        continue
                    if current:
                        figures.current[sealed.column.name] += 1
                        continue
                    fresh = context.sealer.seal(plaintext, context=sealed.context_of(offer_id))
                    swapped = await connection.execute(
                        update(offers)
                        .where(offers.c.id == offer_id, sealed.column == value)
                        .values({sealed.column.name: fresh})
                    )
                    counter = figures.resealed if swapped.rowcount else figures.changed_meanwhile
                    counter[sealed.column.name] += 1
            if len(rows) < batch:
                break
            after = rows[-1][0]
    return figures


__all__ = ["BATCH", "SEALED_COLUMNS", "Resealed", "SealedColumn", "reseal"]
