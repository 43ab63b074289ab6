"""What the desk reads back: a transaction's state and, once decided, its decision record.

A key sees only the transactions a key of its name started (others look absent: 404; a
rotated key keeps its name). In the same-device
flow the ``response_code`` the wallet's redirect carried must accompany the read (OpenID4VP
1.0 §8.2, §13.3): without it a decided result is not released, so an attacker who started a
transaction and got a victim to answer it cannot read the victim's result elsewhere. Results
expire (``result_ttl_seconds``); decision records live on until their retention ends.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncConnection

from runtime.api_keys import ApiKey
from runtime.bearer import digest, same_digest
from runtime.wire import Forbidden, NotFound
from specs.jose import parse_compact_jws
from verifier.context import VerifierContext
from verifier.decision_record import explanation
from verifier.tables import decisions, follow_ups, transactions
from verifier.transaction_secrets import is_id, is_token
from verifier.transactions import PENDING

_Found = tuple[Row[Any], list[Row[Any]]]
"""A decision's row and its follow-ups' rows."""


async def load_decision(
    context: VerifierContext, decision_id: str, *, api_key: ApiKey | None
) -> dict[str, Any]:
    """The signed record, its payload, and any follow-ups (the officer's maatwerk).

    A key sees only the decisions of transactions a key of its name started (a rotated key
    keeps its name); the command line (``api_key=None``) sees all.
    """
    found = None
    if is_id(decision_id):
        async with context.database.read() as connection:
            found = await _decision_rows(connection, decision_id)
    return _released(found, api_key=api_key)


async def _decision_rows(connection: AsyncConnection, decision_id: str) -> _Found | None:
    row = (await connection.execute(select(decisions).where(decisions.c.id == decision_id))).first()
    if row is None:
        return None
    later = (
        await connection.execute(
            select(follow_ups)
            .where(follow_ups.c.decision_id == decision_id)
            .order_by(follow_ups.c.created_at)
        )
    ).all()
    return row, list(later)


def _released(found: _Found | None, *, api_key: ApiKey | None) -> dict[str, Any]:
    if found is None or (api_key is not None and found[0].desk != api_key.name):
        raise NotFound("no such decision (it may have passed its retention period)")
    row, later = found
    record = parse_compact_jws(row.record).payload
    return {
        "decision_id": row.id,
        "record": record,
        "signed_record": row.record,
        "explanation": {lang: explanation(record, language=lang) for lang in ("nl", "en")},
        "follow_ups": [
            {**parse_compact_jws(f.record).payload, "signed_record": f.record} for f in later
        ],
    }


async def transaction_result(
    context: VerifierContext,
    transaction_id: str,
    *,
    api_key: ApiKey | None,
    response_code: str | None = None,
) -> dict[str, Any]:
    """The transaction, and its decision once decided, read in one transaction (one
    snapshot, one round trip to the pool); what is released is decided after the read."""
    now = context.clock()
    row, decided = None, None
    if is_id(transaction_id):
        async with context.database.read() as connection:
            query = select(transactions).where(transactions.c.id == transaction_id)
            row = (await connection.execute(query)).first()
            if row is not None and row.decision_id is not None and row.status != PENDING:
                decided = await _decision_rows(connection, row.decision_id)
    if row is None or (api_key is not None and row.desk != api_key.name):
        raise NotFound("no such transaction")
    if row.result_expires_at <= now:
        raise NotFound("no such transaction (its result has expired)")
    base: dict[str, Any] = {
        "transaction_id": row.id,
        "regulation": {"id": row.regulation_id, "version": row.regulation_version},
    }
    if row.status == PENDING:
        return {**base, "status": "expired" if row.expires_at <= now else PENDING}
    if row.response_code_digest is not None and not (
        is_token(response_code) and same_digest(digest(response_code), row.response_code_digest)
    ):
        raise Forbidden("this result is released only with the response_code of its redirect")
    if row.status in {"rejected", "declined"}:
        return {**base, "status": row.status, "reason": row.failure_reason}
    decision = _released(decided, api_key=api_key)
    return {**base, "status": decision["record"]["outcome"], "decision": decision}
