"""The wallet service scaled out: two processes of two workers on one PostgreSQL database,
with the real issuer and desk (scaled out too) on the other side.

One phone's requests are spread over both processes (the same device key and session, each
request with its own DPoP proof). Presentations running at once each take a one-time
instance of their own (THREATS D-03: a holder key is never shown twice); one presentation
approved several times at once is approved once (the rest ``409 conflict``), so it reserves
one slot, not one per repeat; a device proof is accepted once (RFC 9449 §11.1); and a
presentation whose steps land on different processes completes. After each race the
database is read: how many instances were used.
"""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from specs.dpop import build_dpop_proof, new_jti
from tests.issuer.conftest import INCOME_CLAIMS
from tests.scaleout.conftest import World
from tests.scaleout.deployment import Via
from tests.scaleout.races import ROUNDS, outcomes, race
from tests.threats.service_process import harness_engine
from tests.verifier.desk_process import DESK_FACTS, REGULATION
from tests.wallet.town_fixtures import PIN
from wallet.device_client import ServiceRefused, SimulatedDevice, WalletServiceClient
from wallet.tables import instances

AT_ONCE = 6
"""Presentations (or repeats) per race: three per wallet process."""
BATCH = 10


@pytest.fixture
async def database(world: World) -> AsyncIterator[AsyncEngine]:
    engine = harness_engine(world.wallets.database_url)
    yield engine
    await engine.dispose()


def _client(world: World, device: SimulatedDevice, process: int) -> WalletServiceClient:
    """The phone's client, its requests sent to wallet process ``process``."""
    route = Via({world.wallets.public_url: world.wallets.processes[process].url})
    return WalletServiceClient(world.wallets.public_url, device, transport=route)


@asynccontextmanager
async def new_phone(world: World) -> AsyncIterator[list[WalletServiceClient]]:
    """A citizen's phone, registered and unlocked at process 0; one client per process with
    the same device and session (the same account, reached through either)."""
    device = SimulatedDevice()
    clients = [_client(world, device, p) for p in range(len(world.wallets.processes))]
    try:
        await clients[0].register(PIN)
        await clients[0].unlock(PIN)
        for other in clients[1:]:
            other.session_token = clients[0].session_token
        yield clients
    finally:
        for client in clients:
            await client.__aexit__()


@pytest.fixture
async def phones(world: World) -> AsyncIterator[list[WalletServiceClient]]:
    async with new_phone(world) as clients:
        yield clients


async def _receive(world: World, phone: WalletServiceClient, batch: int = BATCH) -> None:
    """The agency offers an income statement; the phone accepts it with the tx_code."""
    issuer = world.issuers
    async with issuer.deployment.via(0) as client:
        created = await client.post(
            f"{issuer.url}/backoffice/offers",
            json={
                "configuration_id": "household_income",
                "claims": INCOME_CLAIMS,
                "batch_size": batch,
            },
            headers=issuer.headers(),
        )
    assert created.status_code == 201, created.text
    offer = created.json()
    await phone.accept_offer(offer["link_by_reference"], tx_code=offer["tx_code"], instances=batch)


async def _desk_link(world: World) -> str:
    async with world.desks.deployment.via(0) as client:
        started = await client.post(
            f"{world.desks.url}/desk/transactions",
            json={"regulation": REGULATION, "facts": DESK_FACTS},
            headers=world.desks.headers(),
        )
    assert started.status_code == 201, started.text
    return str(started.json()["link"])


async def _used(database: AsyncEngine) -> int:
    async with database.connect() as connection:
        count = await connection.scalar(
            select(func.count()).select_from(instances).where(instances.c.used_at.is_not(None))
        )
    return int(count or 0)


def _no_unplanned_errors(world: World) -> None:
    for deployment in (world.wallets, world.desks.deployment, world.issuers.deployment):
        assert deployment.unhandled() == []


async def _present(
    approving: WalletServiceClient,
    signing: WalletServiceClient,
    presentation: str,
    shown: list[str],
) -> dict[str, Any]:
    """Approve at one process, send the device's signatures to the other; the keys shown
    are added to ``shown``."""
    approved = await approving._json("POST", f"/v1/presentations/{presentation}/approve")
    shown.extend(r["key_id"] for r in approved["signing_requests"])
    return await signing._json(
        "POST",
        f"/v1/presentations/{presentation}/signatures",
        json={"signatures": approving.device.sign(approved["signing_requests"])},
    )


async def test_presentations_at_once_on_both_processes_use_distinct_instances(
    world: World, database: AsyncEngine
) -> None:
    """Each round a new citizen holds one batch (ten instances, each its own key) and
    answers six desks at once, approving at one process and signing at the other."""
    shown: list[str] = []
    for _ in range(ROUNDS):
        async with new_phone(world) as phones:
            await _receive(world, phones[0])
            used_before = await _used(database)
            links = [await _desk_link(world) for _ in range(AT_ONCE)]
            opened = [await phones[i % 2].open_request(link) for i, link in enumerate(links)]
            sent = await race(
                [
                    partial(_present, phones[i % 2], phones[(i + 1) % 2], opened[i]["id"], shown)
                    for i in range(AT_ONCE)
                ]
            )
        assert [(s["status"], s["desk"]["status_code"]) for s in sent] == [("sent", 200)] * AT_ONCE
        assert await _used(database) - used_before == AT_ONCE  # one instance each
    assert len(shown) == len(set(shown)) == ROUNDS * AT_ONCE  # no holder key twice
    _no_unplanned_errors(world)


async def _approve(phone: WalletServiceClient, presentation: str) -> httpx.Response:
    return await phone.call("POST", f"/v1/presentations/{presentation}/approve")


async def test_one_presentation_approved_at_once_reserves_one_slot(
    world: World, phones: list[WalletServiceClient], database: AsyncEngine
) -> None:
    """Consent given twice at once (a double tap, a retried request on another process):
    one approval, its signing requests the ones the service keeps; the repeats are refused
    and burn nothing; the presentation then completes."""
    await _receive(world, phones[0])
    for _ in range(ROUNDS):
        opened = await phones[0].open_request(await _desk_link(world))
        used_before = await _used(database)
        answers = await race(
            [partial(_approve, phones[i % 2], opened["id"]) for i in range(AT_ONCE)]
        )
        assert outcomes(answers) == {(200, None): 1, (409, "conflict"): AT_ONCE - 1}
        assert await _used(database) - used_before == 1
        approved = next(a for a in answers if a.status_code == 200).json()
        sent = await phones[1]._json(
            "POST",
            f"/v1/presentations/{opened['id']}/signatures",
            json={"signatures": phones[1].device.sign(approved["signing_requests"])},
        )
        assert (sent["status"], sent["desk"]["status_code"]) == ("sent", 200)
    _no_unplanned_errors(world)


async def test_a_device_proof_is_accepted_once_whichever_process_sees_it(
    world: World, phones: list[WalletServiceClient]
) -> None:
    """The same DPoP proof (one ``jti``) sent to both processes at once: one answer, the
    others refused as a replay."""
    phone = phones[0]
    url = f"{world.wallets.public_url}/v1/credentials"
    assert phone.session_token is not None
    for _ in range(ROUNDS):
        proof = build_dpop_proof(
            key=phone.device.device_key,
            method="GET",
            url=url,
            now=int(time.time()),
            jti=new_jti(os.urandom),
            access_token=phone.session_token,
        )
        headers = {"DPoP": proof, "Authorization": f"DPoP {phone.session_token}"}
        routes = [
            Via({world.wallets.public_url: world.wallets.processes[i % 2].url})
            for i in range(AT_ONCE)
        ]
        clients = [httpx.AsyncClient(transport=r, trust_env=False) for r in routes]
        try:
            answers = await race([partial(c.get, url, headers=headers) for c in clients])
        finally:
            for client in clients:
                await client.aclose()
        counted = outcomes(answers)
        assert counted[(200, None)] == 1, counted
        assert sum(counted.values()) == AT_ONCE
        assert set(counted) == {(200, None), (401, "invalid_dpop_proof")}, counted
    _no_unplanned_errors(world)


async def test_a_presentation_whose_steps_land_on_different_processes_completes(
    world: World, phones: list[WalletServiceClient]
) -> None:
    await _receive(world, phones[1], batch=2)
    opened = await phones[1].open_request(await _desk_link(world))
    approved = await phones[0]._json("POST", f"/v1/presentations/{opened['id']}/approve")
    sent = await phones[1]._json(
        "POST",
        f"/v1/presentations/{opened['id']}/signatures",
        json={"signatures": phones[1].device.sign(approved["signing_requests"])},
    )
    assert (sent["status"], sent["desk"]["status_code"]) == ("sent", 200)
    history = await phones[0].history()
    assert any(entry.get("regulation") == REGULATION for entry in history), history
    with pytest.raises(ServiceRefused):  # finished: nothing left to approve
        await phones[0]._json("POST", f"/v1/presentations/{opened['id']}/approve")
    _no_unplanned_errors(world)


async def test_signatures_posted_at_once_reach_a_desk_that_decides_once(
    world: World, phones: list[WalletServiceClient]
) -> None:
    """The device's signatures sent several times at once (the send step may be repeated
    when the desk was unreachable): a send claims the step before it posts, so a repeat
    that lost the claim is refused (409), one that came after the end finds nothing (404),
    and one in between reaches a desk that already decided (``desk`` 400). Whatever
    reaches the desk is the one vp_token, decided once, and the history has one line."""
    await _receive(world, phones[0])
    opened = await phones[0].open_request(await _desk_link(world))
    approved = await phones[0]._json("POST", f"/v1/presentations/{opened['id']}/approve")
    body = {"signatures": phones[0].device.sign(approved["signing_requests"])}
    path = f"/v1/presentations/{opened['id']}/signatures"
    answers = await race(
        [partial(phones[i % 2].call, "POST", path, json=body) for i in range(AT_ONCE)]
    )
    desk_heard = [a.json()["desk"]["status_code"] for a in answers if a.status_code == 200]
    assert desk_heard.count(200) == 1
    assert set(desk_heard) <= {200, 400}
    assert {a.status_code for a in answers} <= {200, 404, 409}
    assert [h["desk_status"] for h in await phones[0].history()] == [200]
    _no_unplanned_errors(world)
