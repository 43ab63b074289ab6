"""The invariants a crash run must leave intact, checked against the issuer's database.

Split from ``scripts/issuer_crash.py`` (which drives the kills) so each stays one idea:

* every credential the wallet holds has its own status entry, of its own offer, with the
  status the back office last had confirmed (VALID unless revoked or suspended);
* no offer holds claims longer than its redelivery window or its expiry allow;
* an offer the wallet never completed was not marked delivered with its claims deleted;
* superseded issuances have only INVALID entries; the published status lists agree.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from issuer.settings import IssuerSettings
from issuer.tables import access_tokens, issuances, offers, status_entries, status_lists
from specs.jose import JwsAlg
from specs.status_list import StatusReference, StatusType, verify_status_list_token
from tests.issuer.server import issuer_keys

SWEEP_GRACE = 120  # the sweeper runs every 30 s: an offer may outlive its expiry that long
REDELIVERY_WINDOW: int = IssuerSettings.model_fields["redelivery_window_seconds"].default
FILL_RATIO: float = IssuerSettings.model_fields["status_list_fill_ratio"].default
MAX_BATCH: int = IssuerSettings.model_fields["max_batch_size"].default
HOLDING = frozenset({"offered", "redeemed", "issued"})

Row = dict[str, Any]
Key = tuple[int, int]


@dataclass
class FlowRecord:
    """What the wallet knows of one flow: its offer, and what it holds in the end."""

    offer_id: str
    batch: int
    deferred: bool
    held: list[StatusReference] = field(default_factory=list)  # one per credential held
    tokens: list[str] = field(default_factory=list)  # the credentials held, as issued
    expected: StatusType = StatusType.VALID  # the status the back office last had confirmed
    notified: bool = False
    retried: bool = False
    stranded: str | None = None

    def strand(self, step: str, answer: httpx.Response) -> FlowRecord:
        error = answer.json().get("error") if answer.content else None
        self.stranded = f"{step}: {error or answer.status_code}"
        return self


@dataclass(frozen=True, slots=True)
class Tables:
    offers: list[Row]
    tokens: list[Row]
    issuances: list[Row]
    entries: list[Row]
    lists: list[Row]


async def read_tables(engine: AsyncEngine) -> Tables:
    async with engine.connect() as connection:
        read = [
            [dict(row) for row in (await connection.execute(table.select())).mappings()]
            for table in (offers, access_tokens, issuances, status_entries, status_lists)
        ]
    return Tables(*read)


async def check_invariants(
    engine: AsyncEngine,
    records: list[FlowRecord],
    *,
    client: httpx.AsyncClient,
    issuer: str,
    now: int,
) -> list[str]:
    """Every broken invariant (module docstring), as one line each; empty when all hold."""
    tables = await read_tables(engine)
    return [
        *held_credential_violations(tables, records, issuer),
        *offer_violations(tables, records, now),
        *issuance_violations(tables),
        *await _published_statuses(tables, client=client, issuer=issuer, now=now),
    ]


def _list_id(uri: str, issuer: str) -> int:
    prefix = f"{issuer}/status/"
    return int(uri[len(prefix) :]) if uri.startswith(prefix) else -1


def held_credential_violations(tables: Tables, records: list[FlowRecord], issuer: str) -> list[str]:
    entries: dict[Key, Row] = {(e["list_id"], e["idx"]): e for e in tables.entries}
    superseded = {i["id"] for i in tables.issuances if i["superseded"]}
    holder: dict[Key, str] = {}
    found = []
    for record in records:
        name = f"offer {record.offer_id[:8]}"
        held: set[Key] = set()
        for status in record.held:
            key = (_list_id(status.uri, issuer), status.idx)
            if key in holder:
                found.append(f"{name}: status index {key} also held for offer {holder[key][:8]}")
            holder[key] = record.offer_id
            held.add(key)
            entry = entries.get(key)
            if entry is None or entry["offer_id"] != record.offer_id:
                found.append(f"{name}: held credential's status entry {key} is not the offer's")
            elif entry["issuance_id"] in superseded:
                found.append(f"{name}: held credential {key} belongs to a superseded issuance")
            elif entry["status"] != int(record.expected):
                found.append(f"{name}: held credential {key} is not {record.expected.name}")
        live = {
            key
            for key, entry in entries.items()
            if entry["offer_id"] == record.offer_id and entry["issuance_id"] not in superseded
        }
        if record.held and live != held:
            found.append(f"{name}: the live issuance's entries are not the credentials held")
    return found


def _holds_too_long(offer: Row, issued_at: dict[str, int], now: int) -> bool:
    """Claims past the offer's end, or (issued) past the redelivery window, or when done."""
    if offer["sealed_claims"] is None:
        return False
    if offer["state"] not in HOLDING or offer["expires_at"] + SWEEP_GRACE <= now:
        return True
    window = issued_at.get(offer["id"], now) + REDELIVERY_WINDOW + SWEEP_GRACE
    return offer["state"] == "issued" and window <= now


def offer_violations(tables: Tables, records: list[FlowRecord], now: int) -> list[str]:
    tokens = Counter(t["offer_id"] for t in tables.tokens)
    live = Counter(i["offer_id"] for i in tables.issuances if not i["superseded"])
    issued = Counter(i["offer_id"] for i in tables.issuances)
    issued_at = {i["offer_id"]: i["issued_at"] for i in tables.issuances if not i["superseded"]}
    found = []
    for offer in tables.offers:
        name, state = f"offer {offer['id'][:8]} ({offer['state']})", offer["state"]
        if tokens[offer["id"]] > 1:
            found.append(f"{name}: redeemed {tokens[offer['id']]} times")
        if live[offer["id"]] > 1:
            found.append(f"{name}: {live[offer['id']]} live issuances")
        if state == "offered" and (tokens[offer["id"]] or issued[offer["id"]]):
            found.append(f"{name}: has an access token or an issuance")
        if state in {"issued", "delivered"} and not live[offer["id"]]:
            found.append(f"{name}: no live issuance")
        if _holds_too_long(offer, issued_at, now):
            found.append(f"{name}: still holds its claims")
    by_id = {offer["id"]: offer for offer in tables.offers}
    for record in records:
        offer = by_id[record.offer_id]
        name = f"offer {record.offer_id[:8]} ({offer['state']})"
        if not record.held and offer["state"] == "delivered" and offer["sealed_claims"] is None:
            found.append(f"{name}: lost: delivered and forgotten, the wallet got nothing")
        # Revoking a delivered offer leaves its state (only a re-issuable one becomes revoked).
        if record.notified and offer["state"] not in {"delivered", "revoked"}:
            found.append(f"{name}: not delivered although the wallet accepted the batch")
    return found


def issuance_violations(tables: Tables) -> list[str]:
    entries: dict[str, list[Row]] = {}
    for entry in tables.entries:
        entries.setdefault(entry["issuance_id"], []).append(entry)
    found = []
    for issuance in tables.issuances:
        name, mine = f"issuance {issuance['id'][:8]}", entries.get(issuance["id"], [])
        if len(mine) != issuance["count"]:
            found.append(f"{name}: {len(mine)} status entries for {issuance['count']} credentials")
        if any(entry["offer_id"] != issuance["offer_id"] for entry in mine):
            found.append(f"{name}: a status entry names another offer")
        if issuance["superseded"] and any(e["status"] != int(StatusType.INVALID) for e in mine):
            found.append(f"{name}: superseded, yet an entry is not INVALID")
    per_list = Counter(entry["list_id"] for entry in tables.entries)
    for status_list in tables.lists:
        if status_list["allocated"] != per_list[status_list["id"]]:
            found.append(f"status list {status_list['id']}: allocated count differs from entries")
        if status_list["allocated"] >= status_list["size"] * FILL_RATIO + MAX_BATCH:
            found.append(f"status list {status_list['id']}: filled past its fill ratio")
    return found


async def _published_statuses(
    tables: Tables, *, client: httpx.AsyncClient, issuer: str, now: int
) -> list[str]:
    """Each list as a verifier sees it (signature checked) against the table, entry by entry."""
    resolver = await issuer_keys(client, issuer)
    found = []
    for status_list in tables.lists:
        uri = f"{issuer}/status/{status_list['id']}"
        response = await client.get(uri)
        published = verify_status_list_token(
            response.text,
            key=resolver,
            expected_uri=uri,
            now=now,
            leeway=60,
            algorithms={JwsAlg.ES256},
            max_age=3_600,
        )
        wrong = sum(
            published.status_of(StatusReference(idx=entry["idx"], uri=uri)) != entry["status"]
            for entry in tables.entries
            if entry["list_id"] == status_list["id"]
        )
        if wrong:
            found.append(f"status list {status_list['id']}: {wrong} entries published wrongly")
    return found
