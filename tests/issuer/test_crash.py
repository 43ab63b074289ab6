"""Crash consistency: the issuer process killed at random moments of issuance.

The harness is ``scripts/issuer_crash.py`` (its docstring lists the invariants); here it runs
a few seeded kill points per backend, the ``slow`` variant many more. A kill's moment is
random relative to the server's work, so the figures vary from run to run; what must not
vary is that no invariant breaks and that every flow ends either completed or stranded.

Two moments random kills rarely hit are set up exactly instead: our own transaction holds
what the issuer's transaction needs, so the issuer waits inside it while the test acts (the
wallet's connection drops; another worker opens the first status list). Last, the checker
is checked: a consistent world passes, and each kind of breakage is reported.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update

from issuer.tables import issuances, offers, status_lists
from runtime.database import create_engine
from scripts.issuer_crash import Figures, run_crashes
from scripts.issuer_crash_invariants import (
    FlowRecord,
    Tables,
    held_credential_violations,
    issuance_violations,
    offer_violations,
)
from specs.status_list import StatusReference, StatusType
from tests.issuer.server import IssuerServer, running_issuer
from tests.issuer.wallet import PRE_AUTHORIZED, holder_key, proof_jwt

SEED = 20261128
GUARD_SECONDS = 300  # a hung process fails the test instead of the run; nothing is timed
#: A token answer lost after the commit strands the flow: the code is single use (as RFC 6749
#: §10.5 asks of authorization codes), so the citizen needs a new offer. Any other step must
#: survive a kill.
EXPECTED_STRANDING = {"token: invalid_grant"}


def _accounted(figures: Figures) -> None:
    assert figures.violations == [], "\n".join(figures.lines())
    assert figures.flows == figures.completed + sum(figures.stranded.values())
    assert set(figures.stranded) <= EXPECTED_STRANDING, "\n".join(figures.lines())
    assert figures.completed >= 1


async def test_kills_during_issuance_break_no_invariant(tmp_path: Path, database_url: str) -> None:
    async with asyncio.timeout(GUARD_SECONDS):
        figures = await run_crashes(tmp_path, database_url, kills=6, seed=SEED)
    assert sum(figures.kills.values()) >= 6
    _accounted(figures)


@pytest.mark.slow
async def test_many_kills_during_issuance_break_no_invariant(
    tmp_path: Path, database_url: str
) -> None:
    async with asyncio.timeout(GUARD_SECONDS * 4):
        figures = await run_crashes(tmp_path, database_url, kills=60, seed=SEED + 1)
    assert sum(figures.kills.values()) >= 60
    _accounted(figures)


async def _credential_request(
    client: httpx.AsyncClient, server: IssuerServer, access_token: str
) -> httpx.Response:
    nonce = (await client.post(f"{server.url}/nonce")).json()["c_nonce"]
    proof = proof_jwt(holder_key(), audience=server.url, nonce=nonce, iat=int(time.time()))
    return await client.post(
        f"{server.url}/credential",
        json={"credential_configuration_id": "household_income", "proofs": {"jwt": [proof]}},
        headers={"Authorization": f"Bearer {access_token}"},
    )


async def _answered(client: httpx.AsyncClient, server: IssuerServer, route: str) -> bool:
    """The issuer has finished a request to ``route`` (it is counted at the end)."""
    metrics = (await client.get(f"{server.url}/metrics")).text
    return f'route="{route}"' in metrics


async def _dropped_while_the_issuer_waits(
    client: httpx.AsyncClient,
    server: IssuerServer,
    database_url: str,
    offer_id: str,
    *,
    route: str,
    send: Callable[[], Coroutine[Any, Any, httpx.Response]],
) -> int:
    """``send`` is dropped by the wallet while the issuer works on it; how many issuances then.

    Our own transaction holds the offer (on SQLite the write lock, on PostgreSQL the offer's
    row), so the issuer, having read the request, waits inside its transaction; the wallet
    drops the connection (its app killed, its network gone); we let go; the issuer commits
    and answers into the closed connection.
    """
    engine = create_engine(database_url)
    try:
        async with engine.connect() as blocker:
            await blocker.execute(
                update(offers).where(offers.c.id == offer_id).values(state=offers.c.state)
            )
            request = asyncio.create_task(send())
            await asyncio.sleep(1.0)  # the issuer has read the request and waits for us
            request.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await request
            await blocker.rollback()
        while not await _answered(client, server, route):
            await asyncio.sleep(0.05)
        async with engine.connect() as connection:
            issued = await connection.scalar(
                select(func.count()).where(issuances.c.offer_id == offer_id)
            )
    finally:
        await engine.dispose()
    return int(issued or 0)


async def test_a_response_lost_in_transit_is_served_again(
    tmp_path: Path, database_url: str
) -> None:
    """The wallet's retry (same access token, fresh proofs) gets a batch: the claims wait."""
    async with (
        asyncio.timeout(GUARD_SECONDS),
        running_issuer(tmp_path / "issuer", database_url) as (server, key),
        httpx.AsyncClient(timeout=30) as client,
    ):
        created = await server.create_offer(client, key)
        token = await client.post(f"{server.url}/token", data=_token_form(created))
        access_token = token.json()["access_token"]
        issued = await _dropped_while_the_issuer_waits(
            client,
            server,
            database_url,
            created["offer_id"],
            route="/credential",
            send=lambda: _credential_request(client, server, access_token),
        )
        assert issued == 1  # the issuer did sign the batch nobody received
        retry = await _credential_request(client, server, access_token)
        assert retry.status_code == 200, retry.text


async def test_a_deferred_response_lost_in_transit_is_served_again(
    tmp_path: Path, database_url: str
) -> None:
    """§9: the wallet repeats its Deferred Credential Request with the same transaction_id."""
    async with (
        asyncio.timeout(GUARD_SECONDS),
        running_issuer(tmp_path / "issuer", database_url) as (server, key),
        httpx.AsyncClient(timeout=30) as client,
    ):
        created = await server.create_offer(client, key, deferred=True)
        token = await client.post(f"{server.url}/token", data=_token_form(created))
        access_token = token.json()["access_token"]
        pending = await _credential_request(client, server, access_token)
        assert pending.status_code == 202, pending.text
        approval = await client.post(
            f"{server.url}/backoffice/offers/{created['offer_id']}/approve",
            json={},
            headers={"Authorization": f"Bearer {key}"},
        )
        assert approval.status_code == 204, approval.text

        async def fetch() -> httpx.Response:
            return await client.post(
                f"{server.url}/deferred_credential",
                json={"transaction_id": pending.json()["transaction_id"]},
                headers={"Authorization": f"Bearer {access_token}"},
            )

        issued = await _dropped_while_the_issuer_waits(
            client,
            server,
            database_url,
            created["offer_id"],
            route="/deferred_credential",
            send=fetch,
        )
        assert issued == 1
        retry = await fetch()
        assert retry.status_code == 200, retry.text


async def test_a_status_list_another_worker_opens_meanwhile_is_shared(
    tmp_path: Path, database_url: str
) -> None:
    """Two workers issue the first credentials at once, and both find no open status list.

    Our transaction plays the other worker: it creates list 1 and commits only once the
    issuer, inside its own transaction, has looked for an open list too.
    """
    async with (
        asyncio.timeout(GUARD_SECONDS),
        running_issuer(tmp_path / "issuer", database_url) as (server, key),
        httpx.AsyncClient(timeout=30) as client,
    ):
        created = await server.create_offer(client, key)
        token = await client.post(f"{server.url}/token", data=_token_form(created))
        access_token = token.json()["access_token"]
        engine = create_engine(database_url)
        try:
            async with engine.connect() as other_worker:
                await other_worker.execute(
                    status_lists.insert().values(id=1, size=1024, allocated=0, version=0, open=True)
                )
                pending = asyncio.create_task(_credential_request(client, server, access_token))
                await asyncio.sleep(1.0)  # the issuer is inside its transaction by now
                await other_worker.commit()
                response = await pending
        finally:
            await engine.dispose()
        assert response.status_code == 200, response.text


def _token_form(created: dict[str, Any]) -> dict[str, str]:
    grant = created["credential_offer"]["grants"][PRE_AUTHORIZED]
    return {
        "grant_type": PRE_AUTHORIZED,
        "pre-authorized_code": grant["pre-authorized_code"],
        "tx_code": created["tx_code"],
    }


# The checker itself.

ISSUER = "https://127.0.0.1:1"
NOW = 1_795_000_000


def _held(idx: int) -> StatusReference:
    return StatusReference(idx=idx, uri=f"{ISSUER}/status/1")


def _world() -> tuple[Tables, list[FlowRecord]]:
    """One offer delivered in a batch of two after one lost (superseded) response."""
    entry = {"list_id": 1, "offer_id": "offer-1", "status": int(StatusType.VALID)}
    issuance = {"offer_id": "offer-1", "issued_at": NOW - 60}
    tables = Tables(
        offers=[{"id": "offer-1", "state": "delivered", "sealed_claims": None, "expires_at": NOW}],
        tokens=[{"offer_id": "offer-1"}],
        issuances=[
            {**issuance, "id": "lost", "count": 1, "superseded": True},
            {**issuance, "id": "kept", "count": 2, "superseded": False},
        ],
        entries=[
            {**entry, "idx": 7, "issuance_id": "lost", "status": int(StatusType.INVALID)},
            {**entry, "idx": 5, "issuance_id": "kept"},
            {**entry, "idx": 9, "issuance_id": "kept"},
        ],
        lists=[{"id": 1, "allocated": 3, "size": 1024, "open": True}],
    )
    record = FlowRecord("offer-1", batch=2, deferred=False, held=[_held(5), _held(9)])
    record.notified = True
    return tables, [record]


def _violations(tables: Tables, records: list[FlowRecord]) -> list[str]:
    return [
        *held_credential_violations(tables, records, ISSUER),
        *offer_violations(tables, records, NOW),
        *issuance_violations(tables),
    ]


def _lose(tables: Tables, records: list[FlowRecord]) -> None:
    records[0].held, records[0].notified = [], False


def _share(tables: Tables, records: list[FlowRecord]) -> None:
    records.append(FlowRecord("offer-2", batch=1, deferred=False, held=[_held(5)]))
    tables.offers.append({**tables.offers[0], "id": "offer-2", "state": "issued"})
    tables.issuances.append(
        {"id": "other", "offer_id": "offer-2", "count": 0, "superseded": False, "issued_at": NOW}
    )


BREAKAGES: dict[str, tuple[Callable[[Tables, list[FlowRecord]], object], str]] = {
    "lost": (_lose, "lost: delivered and forgotten"),
    "shared index": (_share, "also held for offer"),
    "superseded still valid": (
        lambda t, r: t.entries[0].update(status=int(StatusType.VALID)),
        "superseded, yet an entry is not INVALID",
    ),
    "held and revoked": (
        lambda t, r: t.entries[1].update(status=int(StatusType.INVALID)),
        "is not VALID",
    ),
    "claims kept": (
        lambda t, r: t.offers[0].update(sealed_claims=b"sealed"),
        "still holds its claims",
    ),
    "held past the redelivery window": (
        lambda t, r: (
            t.offers[0].update(state="issued", sealed_claims=b"sealed"),
            t.issuances[1].update(issued_at=NOW - 3_600),
        ),
        "still holds its claims",
    ),
    "redeemed twice": (lambda t, r: t.tokens.append(t.tokens[0]), "redeemed 2 times"),
    "counter off": (lambda t, r: t.lists[0].update(allocated=2), "allocated count differs"),
    "overfilled": (
        lambda t, r: t.lists[0].update(size=40, allocated=40),
        "filled past its fill ratio",
    ),
    "accepted, not delivered": (
        lambda t, r: t.offers[0].update(state="issued", sealed_claims=b"sealed"),
        "not delivered although the wallet accepted",
    ),
}


def test_the_checker_passes_a_consistent_world() -> None:
    assert _violations(*_world()) == []


@pytest.mark.parametrize("breakage", sorted(BREAKAGES))
def test_the_checker_reports_each_breakage(breakage: str) -> None:
    tables, records = _world()
    breaking, expected = BREAKAGES[breakage]
    breaking(tables, records)
    found = _violations(tables, records)
    assert any(expected in line for line in found), found
