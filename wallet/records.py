"""Sealed documents of an account, by kind (``wallet.tables.records``).

* ``disclosure``: the history: what went to whom, when, for which regulation and legal
  basis (claim *names*, never values), and what the desk answered;
* ``notice``: "Note: ..." messages from discovery, until the citizen dismisses them;
* ``outcomes``: the last discovery, reduced to (regulation, status, amount), to tell what a
  new credential changed;
* ``issuance`` and ``presentation``: a step waiting for the device's signatures, with its
  ``expires_at`` in the clear so it lapses without the vault key;
* ``authorization``: an authorization code flow waiting for the browser (its PKCE verifier,
  DPoP and client instance keys), lapsing like a pending step;
* ``grant``: a batch's refresh grant (refresh token, DPoP key, client instance key), kept
  as long as the batch (``wallet.grants``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from runtime.bearer import new_id
from wallet.device_auth import Session
from wallet.tables import records

DISCLOSURE = "disclosure"
NOTICE = "notice"
OUTCOMES = "outcomes"
ISSUANCE = "issuance"
PRESENTATION = "presentation"
AUTHORIZATION = "authorization"
GRANT = "grant"


async def add(
    connection: AsyncConnection,
    session: Session,
    kind: str,
    payload: dict[str, Any],
    *,
    expires_at: int | None = None,
) -> str:
    record_id = new_id()
    await connection.execute(
        insert(records).values(
            id=record_id,
            account_id=session.account_id,
            kind=kind,
            sealed=session.vault.seal(kind, record_id, payload),
            expires_at=expires_at,
        )
    )
    return record_id


async def replace_payload(
    connection: AsyncConnection,
    session: Session,
    kind: str,
    record_id: str,
    payload: dict[str, Any],
    *,
    expires_at: int | None = None,
    if_sealed: bytes | None = None,
) -> bytes | None:
    """Seal ``payload`` over the record; with ``if_sealed``, only if the record still holds
    exactly those bytes (compare and swap: every seal is fresh, so any write in between
    changed them). The new sealed bytes when the record was replaced (for the next compare
    and swap), else None."""
    condition = (records.c.id == record_id) & (records.c.account_id == session.account_id)
    if if_sealed is not None:
        condition &= records.c.sealed == if_sealed
    sealed = session.vault.seal(kind, record_id, payload)
    result = await connection.execute(
        update(records).where(condition).values(sealed=sealed, expires_at=expires_at)
    )
    return sealed if int(result.rowcount) == 1 else None


async def load(
    connection: AsyncConnection, session: Session, kind: str, *, now: int
) -> list[tuple[str, dict[str, Any]]]:
    """Every unexpired record of ``kind``, opened: (id, payload)."""
    rows = (
        await connection.execute(
            select(records.c.id, records.c.sealed).where(
                records.c.account_id == session.account_id,
                records.c.kind == kind,
                records.c.expires_at.is_(None) | (records.c.expires_at > now),
            )
        )
    ).all()
    return [(row.id, session.vault.open(kind, row.id, row.sealed)) for row in rows]


async def load_one(
    connection: AsyncConnection, session: Session, kind: str, record_id: str, *, now: int
) -> dict[str, Any] | None:
    found = await load_one_sealed(connection, session, kind, record_id, now=now)
    return None if found is None else found[0]


async def load_one_sealed(
    connection: AsyncConnection, session: Session, kind: str, record_id: str, *, now: int
) -> tuple[dict[str, Any], bytes] | None:
    """The record opened, and its sealed bytes (for ``replace_payload(if_sealed=...)``)."""
    row = (
        await connection.execute(
            select(records.c.sealed).where(
                records.c.id == record_id,
                records.c.account_id == session.account_id,
                records.c.kind == kind,
                records.c.expires_at.is_(None) | (records.c.expires_at > now),
            )
        )
    ).one_or_none()
    if row is None:
        return None
    return session.vault.open(kind, record_id, row.sealed), bytes(row.sealed)


async def remove(
    connection: AsyncConnection,
    session: Session,
    kind: str,
    record_id: str | None = None,
    *,
    if_sealed: bytes | None = None,
) -> int:
    """Delete one record of ``kind`` (or all of them); how many went. With ``if_sealed``,
    only if the record still holds exactly those bytes (as ``replace_payload``)."""
    condition = (records.c.account_id == session.account_id) & (records.c.kind == kind)
    if record_id is not None:
        condition &= records.c.id == record_id
    if if_sealed is not None:
        condition &= records.c.sealed == if_sealed
    result = await connection.execute(delete(records).where(condition))
    return int(result.rowcount)


async def purge_lapsed(connection: AsyncConnection, *, now: int) -> int:
    """Pending steps nobody finished (no vault key needed)."""
    result = await connection.execute(
        delete(records).where(records.c.expires_at.is_not(None), records.c.expires_at <= now)
    )
    return int(result.rowcount)
