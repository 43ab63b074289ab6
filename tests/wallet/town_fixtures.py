"""A town for the wallet service's end-to-end tests: the issuer, the desk and the wallet
service on loopback (``aanspraak.town``), and a citizen's phone (``SimulatedDevice``).

The citizen's credentials come from the real issuer over OpenID4VCI, the desk's requests
from the real verifier over OpenID4VP; nothing is mocked. The claims are those of a
zorgtoeslag scenario, so what the desk and the wallet decide is the scenario's expectation.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy.engine import make_url

from aanspraak.town import FixedRegistry, Town, running_town
from runtime.credential_types import credential_types
from runtime.scenarios import Scenario
from specs.trust import TrustSnapshot
from tests.conftest import POSTGRES_SKIP
from tests.verifier.conftest import scenario
from wallet.device_client import SimulatedDevice, WalletServiceClient

PIN = "482916"
FAST_KDF = {"pin_kdf_memory_kib": 64, "pin_kdf_iterations": 1, "pin_backoff_seconds": 0}
BATCH = 20
"""Largest batch the town's issuer and wallet allow (THREATS D-03 presents 20 at once)."""
CONFIGURATION_OF = {t.vct: configuration for configuration, t in credential_types().items()}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def town(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Town]:
    """The three services, the wallet service on SQLite or on a fresh PostgreSQL database
    (skipped without ``TEST_DATABASE_URL``; CI sets it)."""
    data: Path = tmp_path_factory.mktemp("town")
    with contextlib.ExitStack() as stack:
        overrides: dict[str, Any] = {**FAST_KDF, "batch_size": BATCH}
        if request.param == "postgresql":
            overrides["database_url"] = stack.enter_context(postgres_database())
        yield stack.enter_context(
            running_town(
                data, wallet_overrides=overrides, issuer_overrides={"max_batch_size": BATCH}
            )
        )


@contextlib.contextmanager
def postgres_database() -> Iterator[str]:
    """A new database on the ``TEST_DATABASE_URL`` server, dropped afterwards."""
    server = os.environ.get("TEST_DATABASE_URL")
    if not server:
        pytest.skip(POSTGRES_SKIP)
    url = make_url(server)
    admin_dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"aanspraak_wallet_{secrets.token_hex(8)}"

    async def admin(*statements: tuple[str, ...]) -> None:
        connection = await asyncpg.connect(admin_dsn)
        try:
            for statement, *arguments in statements:
                await connection.execute(statement, *arguments)
        finally:
            await connection.close()

    asyncio.run(admin((f'CREATE DATABASE "{name}"',)))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(
            admin(
                (
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = $1 AND pid <> pg_backend_pid()",
                    name,
                ),
                (f'DROP DATABASE IF EXISTS "{name}"',),
            )
        )


def registry_of(town: Town) -> FixedRegistry:
    registry = town.wallet.trust
    assert isinstance(registry, FixedRegistry)
    return registry


class Governance:
    """Changes the registry for one test and puts it back afterwards."""

    def __init__(self, town: Town) -> None:
        self.registry = registry_of(town)
        original = self.registry.current
        assert original is not None
        self.original: TrustSnapshot = original

    def change(self, **changes: Any) -> TrustSnapshot:
        changed = replace(self.original, **changes)
        self.registry.set(changed)
        return changed

    def take_down(self) -> None:
        self.registry.set(None)

    def restore(self) -> None:
        self.registry.set(self.original)


@pytest.fixture
def governance(town: Town) -> Iterator[Governance]:
    changing = Governance(town)
    yield changing
    changing.restore()


async def new_citizen(town: Town) -> WalletServiceClient:
    """A phone with a new, unlocked account (the caller closes the client)."""
    phone = WalletServiceClient(town.wallet_url, SimulatedDevice())
    await phone.register(PIN)
    await phone.unlock(PIN)
    return phone


async def receive(
    town: Town, phone: WalletServiceClient, vct: str, claims: dict[str, Any], *, instances: int = 3
) -> dict[str, Any]:
    """The agency offers ``claims``; the phone accepts with the tx_code from the letter."""
    offer = await town.offer(CONFIGURATION_OF[vct], claims, batch_size=instances)
    return await phone.accept_offer(
        offer.link_by_reference, tx_code=offer.tx_code, instances=instances
    )


def issuable(claims: dict[str, Any]) -> dict[str, Any]:
    """What an agency's back office states: raw values. The issuer derives the predicate
    claims (``joint_assets_within_*``) itself and refuses to be told them; the scenarios
    used here state them all true, which assets of zero satisfy."""
    derived = {k for k in claims if k.startswith("joint_assets_within_")}
    if not derived:
        return claims
    assert all(claims[k] is True for k in derived)
    kept = {k: v for k, v in claims.items() if k not in derived}
    return {**kept, "joint_assets_cents": kept.get("joint_assets_cents", 0)}


async def receive_scenario(
    town: Town, phone: WalletServiceClient, case: Scenario, *, instances: int = 3
) -> None:
    for credential in case.credentials:
        claims = issuable(dict(credential.claims))
        await receive(town, phone, credential.vct, claims, instances=instances)


def zorgtoeslag(name: str) -> Scenario:
    return scenario("zorgtoeslag", name)


async def desk_link(
    town: Town, regulation: str = "zorgtoeslag", *, redirect_uri: str | None = None
) -> tuple[str, str, str]:
    """The desk starts a transaction (same-device with ``redirect_uri``); its
    ``openid4vp://`` link, id and API key."""
    key = await town.desk_key([regulation])
    body: dict[str, Any] = {"regulation": regulation}
    if redirect_uri is not None:
        body["redirect_uri"] = redirect_uri
    async with httpx.AsyncClient(base_url=town.desk_url, trust_env=False) as desk:
        started = await desk.post(
            "/desk/transactions", json=body, headers={"Authorization": f"Bearer {key}"}
        )
    assert started.status_code == 201, started.text
    body = started.json()
    return str(body["link"]), str(body["transaction_id"]), key


async def desk_result(
    town: Town, transaction_id: str, key: str, *, response_code: str | None = None
) -> dict[str, Any]:
    """The desk reads its result; in the same-device flow with the redirect's code."""
    headers = {"Authorization": f"Bearer {key}"}
    if response_code is not None:
        headers["Response-Code"] = response_code
    async with httpx.AsyncClient(base_url=town.desk_url, trust_env=False) as desk:
        response = await desk.get(f"/desk/transactions/{transaction_id}", headers=headers)
    result: dict[str, Any] = {**response.json(), "http_status": response.status_code}
    return result


INCOME_CLAIMS = {
    "has_allowance_partner": False,
    "joint_assessed_income_cents": 3_500_000,
    "year": 2026,
}
