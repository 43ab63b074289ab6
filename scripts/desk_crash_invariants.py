"""The invariants a crash run must leave intact, checked against the verifier's database.

Split from ``scripts/desk_crash.py`` (which drives the kills) so each stays one idea. What
``verifier/responses.py`` promises, read from the tables directly:

* one answer per transaction: at most one decision row per transaction, and a decision row
  only for a ``decided`` transaction that names it (no half-written answer: status, decision,
  deleted response key and desk facts come in one write, or none of it);
* a transaction still ``pending`` was never answered (no answer time, its response key kept);
* nothing acknowledged then lost: a wallet told "accepted" (200) or "refused" (400 with the
  presentation's reason) finds the transaction ``decided`` (eligible) or ``rejected`` with
  that reason after every restart, and the desk reads the same result;
* the answer stays consumed across restarts (THREATS D-04, F-05): the same response posted
  again after a restart is refused as already answered;
* privacy (DESIGN §5, THREATS D-07): no claim value, presented signature or holder key of the
  run is in the database (its rows, and for SQLite the file with its -wal and -journal).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from tests.threats.invariants import leaks
from verifier.tables import decisions, transactions

ALREADY_ANSWERED = "transaction-already-answered"
ANSWERED = frozenset({"decided", "rejected", "declined"})

Row = dict[str, Any]
Answer = tuple[int, str | None]
"""An HTTP status and the wire error's description (None when it was not an error)."""


@dataclass
class FlowRecord:
    """What the wallet and the desk saw of one transaction."""

    transaction_id: str
    tampered: bool
    answers: list[Answer] = field(default_factory=list)
    """Every answer the wallet got to its response post, in order (kills give none)."""
    killed: int = 0
    retried: bool = False
    """An attempt went unanswered, so the wallet posted again."""
    result: Row | None = None
    """The desk's read of the result after the run."""
    replay: Answer | None = None
    """The answer to the same response posted again after a restart."""
    stranded: str | None = None

    @property
    def acknowledged(self) -> Answer | None:
        """The first answer that told the wallet what became of its presentation."""
        for status, description in self.answers:
            if status == 200 or (status == 400 and description != ALREADY_ANSWERED):
                return status, description
        return None

    @property
    def expected(self) -> str:
        return "rejected" if self.tampered else "decided"


@dataclass(frozen=True, slots=True)
class Tables:
    transactions: list[Row]
    decisions: list[Row]


async def read_tables(engine: AsyncEngine) -> Tables:
    async with engine.connect() as connection:
        read = [
            [dict(row) for row in (await connection.execute(table.select())).mappings()]
            for table in (transactions, decisions)
        ]
    return Tables(*read)


def check_invariants(
    tables: Tables, records: list[FlowRecord], *, canaries: list[str], stored: bytes
) -> list[str]:
    """Every broken invariant (module docstring), one line each; empty when all hold.

    ``stored`` is everything the database holds as bytes (its files, or its rows dumped)."""
    return [
        *answer_violations(tables),
        *flow_violations(tables, records),
        *privacy_violations(canaries, stored),
    ]


def answer_violations(tables: Tables) -> list[str]:
    per_transaction = Counter(d["transaction_id"] for d in tables.decisions)
    by_id = {d["id"]: d for d in tables.decisions}
    known = {t["id"]: t for t in tables.transactions}
    found = []
    for transaction_id, count in per_transaction.items():
        if count > 1:
            found.append(f"transaction {transaction_id[:8]}: decided {count} times")
        row = known.get(transaction_id)
        if row is None or row["status"] != "decided":
            found.append(f"transaction {transaction_id[:8]}: a decision row, yet not decided")
    for row in tables.transactions:
        found += _transaction_violations(row, by_id, per_transaction[row["id"]])
    return found


def _transaction_violations(row: Row, decisions_by_id: dict[str, Row], decided: int) -> list[str]:
    """One transaction's row: pending and untouched, or answered completely."""
    name, status = f"transaction {row['id'][:8]} ({row['status']})", row["status"]
    if status not in ANSWERED | {"pending"}:
        return [f"{name}: unknown status"]
    if status == "pending":
        found = []
        if row["answered_at"] is not None or row["decision_id"] is not None:
            found.append(f"{name}: half-written: pending, yet answered")
        if row["response_mode"] == "direct_post.jwt" and row["response_key_sealed"] is None:
            found.append(f"{name}: half-written: pending without its response key")
        return found
    found = []
    if row["answered_at"] is None:
        found.append(f"{name}: half-written: answered without an answer time")
    if row["response_key_sealed"] is not None or row["desk_facts_sealed"] is not None:
        found.append(f"{name}: answered, yet its response key or desk facts are kept")
    decision = decisions_by_id.get(row["decision_id"]) if row["decision_id"] else None
    if status == "decided":
        if decision is None or decision["transaction_id"] != row["id"]:
            found.append(f"{name}: half-written: decided without its decision row")
    elif row["decision_id"] is not None or decided:
        found.append(f"{name}: not decided, yet it has a decision")
    elif row["failure_reason"] is None:
        found.append(f"{name}: refused without a reason")
    return found


def flow_violations(tables: Tables, records: list[FlowRecord]) -> list[str]:
    known = {t["id"]: t for t in tables.transactions}
    outcome = {d["transaction_id"]: d["outcome"] for d in tables.decisions}
    found = []
    for record in records:
        row = known.get(record.transaction_id)
        name = f"flow {record.transaction_id[:8]}"
        if row is None:
            found.append(f"{name}: its transaction is gone")
            continue
        status = row["status"]
        acknowledged = record.acknowledged
        if record.answers and status == "pending":
            found.append(f"{name}: the wallet was answered, yet the transaction is pending")
        if acknowledged is not None:
            code, reason = acknowledged
            if code == 200 and status != "decided":
                found.append(f"{name}: lost: acknowledged (200), now {status}")
            if code == 400 and (status != "rejected" or row["failure_reason"] != reason):
                found.append(f"{name}: lost: refused with {reason}, now {status}")
        if status in ANSWERED and status != record.expected:
            found.append(f"{name}: {status}, expected {record.expected}")
        if status == "decided" and outcome.get(record.transaction_id) != "eligible":
            found.append(f"{name}: decided {outcome.get(record.transaction_id)}, not eligible")
        if record.result is not None and status in ANSWERED:
            shown = record.result.get("status")
            wanted = outcome.get(record.transaction_id) if status == "decided" else status
            if shown != wanted:
                found.append(f"{name}: the desk reads {shown}, the database says {wanted}")
        if status in ANSWERED and record.replay != (400, ALREADY_ANSWERED):
            found.append(f"{name}: replay after a restart answered {record.replay}")
    return found


def privacy_violations(canaries: list[str], stored: bytes) -> list[str]:
    """Each canary found (UTF-8 or UTF-16), named by its first characters only."""
    return [
        f"privacy: a canary ({value[:4]}...) is in the database"
        for value in leaks(canaries, stored)
    ]
