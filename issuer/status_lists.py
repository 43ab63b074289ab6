"""Token Status Lists: random index allocation, status changes, and the signed list tokens.

* 2 bits per entry (Token Status List §4.1, §7.1): VALID, INVALID (revoked: final),
  SUSPENDED (reversible).
* Indices are drawn uniformly at random (§12.5 recommends it: sequential indices tell a
  verifier the issuance order and let two verifiers link a citizen's credentials); each
  list holds ``status_list_size`` entries and takes new ones only until
  ``status_list_fill_ratio`` of them are used, so every credential hides among many
  (herd privacy, §12.3). The table's primary key (list, index) makes allocating an index
  twice impossible, also across workers and after a crash.
* A list token is signed on demand and reused until its status version changes or its
  ``ttl`` passes (§13.7).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from issuer.certificates import jose_header
from issuer.context import IssuerContext
from issuer.storage import for_update, insert_if_absent, insert_returning_new
from issuer.tables import status_entries, status_lists
from specs.status_list import StatusType, build_status_list_token, encode_status_list

BITS = 2
MEDIA_TYPE = "application/statuslist+jwt"
_MAX_DRAWS = 64
_NEW_LIST_LOCK = 0x6161_6E73_7072_6B01  # an arbitrary, fixed advisory lock key


@dataclass(frozen=True, slots=True)
class Allocation:
    list_id: int
    index: int


class StatusListsFull(Exception):
    """No free index after many draws: the list is far fuller than the fill ratio allows."""


def status_list_uri(context: IssuerContext, list_id: int) -> str:
    return context.url(f"/status/{list_id}")


async def _open_list(connection: AsyncConnection, context: IssuerContext) -> tuple[int, int]:
    """The open list with the lowest id; a new one when none is open.

    Two workers may both find none open and both create the next id: the insert does nothing
    on a conflict, and both then use the list that exists (THREATS: concurrent workers). On
    PostgreSQL the open list's row is locked for the rest of the transaction.
    """
    query = (
        select(status_lists.c.id, status_lists.c.size)
        .where(status_lists.c.open.is_(True))
        .order_by(status_lists.c.id)
        .limit(1)
    )
    if for_update(connection):
        # One allocation per list at a time: concurrent multi-row inserts into the same list
        # could otherwise deadlock, and the fill limit would be overrun. The row is updated at
        # the end of ``allocate`` anyway, so this lock is held until commit regardless.
        query = query.with_for_update()
    row = (await connection.execute(query)).first()
    if row is not None:
        return int(row.id), int(row.size)
    if for_update(connection):
        # Several workers may find the last list just closed: one creates the next, the
        # others wait here and then take that one instead of each opening a list of its own.
        await connection.execute(select(func.pg_advisory_xact_lock(_NEW_LIST_LOCK)))
        row = (await connection.execute(query)).first()
        if row is not None:
            return int(row.id), int(row.size)
    highest = (await connection.execute(select(func.max(status_lists.c.id)))).scalar()
    list_id = int(highest or 0) + 1
    size = context.settings.status_list_size
    await insert_if_absent(
        connection,
        status_lists,
        {"id": list_id, "size": size, "allocated": 0, "version": 0, "open": True},
    )
    row = (await connection.execute(query)).first()
    if row is None:  # the list a concurrent worker made was filled and closed meanwhile
        raise StatusListsFull
    return int(row.id), int(row.size)


async def allocate(
    connection: AsyncConnection,
    context: IssuerContext,
    *,
    issuance_id: str,
    offer_id: str,
    count: int,
) -> list[Allocation]:
    """``count`` fresh random indices in the open list, recorded as VALID for the offer.

    Candidates are inserted with ON CONFLICT DO NOTHING ... RETURNING: the database says
    which ones were free, atomically, so a concurrent worker that drew the same index makes
    this one draw again instead of failing the request.
    """
    list_id, size = await _open_list(connection, context)
    chosen: list[int] = []
    for _ in range(_MAX_DRAWS):
        wanted = count - len(chosen)
        if wanted == 0:
            break
        candidates = {secrets.randbelow(size) for _ in range(wanted)} - set(chosen)
        rows = [
            {
                "list_id": list_id,
                "idx": index,
                "issuance_id": issuance_id,
                "offer_id": offer_id,
                "status": int(StatusType.VALID),
            }
            for index in candidates
        ]
        chosen.extend(await insert_returning_new(connection, status_entries, rows, "idx"))
    if len(chosen) < count:
        raise StatusListsFull
    secrets.SystemRandom().shuffle(chosen)  # no order between the batch's indices
    limit = int(size * context.settings.status_list_fill_ratio)
    await connection.execute(
        update(status_lists)
        .where(status_lists.c.id == list_id)
        .values(
            allocated=status_lists.c.allocated + count,
            open=status_lists.c.allocated + count < limit,
        )
    )
    return [Allocation(list_id, index) for index in chosen]


async def set_offer_status(
    connection: AsyncConnection, *, offer_id: str, status: StatusType
) -> int:
    """Set every credential of an offer (all batch instances) to ``status``.

    INVALID is final (§7.1: revoked credentials do not come back); entries already INVALID
    are left alone, so reinstating a revoked credential changes nothing.
    """
    return await _set_status(
        connection,
        status_entries.c.offer_id == offer_id,
        status,
    )


async def invalidate_issuance(connection: AsyncConnection, *, issuance_id: str) -> int:
    """Revoke the credentials of a superseded response (re-issued after a lost delivery)."""
    return await _set_status(
        connection, status_entries.c.issuance_id == issuance_id, StatusType.INVALID
    )


async def _set_status(
    connection: AsyncConnection, where: ColumnElement[bool], status: StatusType
) -> int:
    condition = (where, status_entries.c.status != int(StatusType.INVALID))
    lists = (
        await connection.execute(select(status_entries.c.list_id).where(*condition).distinct())
    ).scalars()
    list_ids = [int(value) for value in lists]
    result = await connection.execute(
        update(status_entries).where(*condition).values(status=int(status))
    )
    if list_ids:
        await connection.execute(
            update(status_lists)
            .where(status_lists.c.id.in_(list_ids))
            .values(version=status_lists.c.version + 1)
        )
    return int(result.rowcount)


@dataclass(frozen=True, slots=True)
class _CachedToken:
    version: int
    signed_at: int
    token: str


class StatusListTokens:
    """Signs list tokens and reuses them while nothing changed and the ttl has not passed."""

    def __init__(self) -> None:
        self._cache: dict[int, _CachedToken] = {}

    async def token(self, context: IssuerContext, list_id: int) -> str | None:
        now = context.clock()
        async with context.read() as connection:
            row = (
                await connection.execute(
                    select(status_lists.c.size, status_lists.c.version).where(
                        status_lists.c.id == list_id
                    )
                )
            ).first()
            if row is None:
                return None
            cached = self._cache.get(list_id)
            ttl = context.settings.status_list_ttl_seconds
            if cached and cached.version == row.version and now < cached.signed_at + ttl:
                return cached.token
            changed = await connection.execute(
                select(status_entries.c.idx, status_entries.c.status).where(
                    status_entries.c.list_id == list_id,
                    status_entries.c.status != int(StatusType.VALID),
                )
            )
            statuses = [0] * int(row.size)
            for index, status in changed:
                statuses[int(index)] = int(status)
        token = build_status_list_token(
            key=context.keys.active,
            subject_uri=status_list_uri(context, list_id),
            status_list=dict(encode_status_list(statuses, BITS)),
            now=now,
            ttl=ttl,
            exp=now + context.settings.status_list_validity_seconds,
            issuer=context.issuer_id,
            extra_header=jose_header(context.keys.active),  # HAIP §6.1: x5c when certified
            allow_http=context.development,
        )
        self._cache[list_id] = _CachedToken(int(row.version), now, token)
        return token
