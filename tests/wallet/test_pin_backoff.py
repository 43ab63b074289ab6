"""PIN attempts are rate-limited: each wrong PIN doubles the wait before the next attempt,
and parallel guesses cannot slip past it (the attempt is claimed before the PIN is checked).

The service runs in process (ASGI) with a clock the test moves; the device's proofs carry
the same clock, so the proof window and the backoff are checked against one time line.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from aanspraak.town import FixedRegistry
from specs.trust import TrustSnapshot
from wallet import device_client
from wallet.app import build_app, prepare
from wallet.context import build_context
from wallet.device_client import ServiceRefused, SimulatedDevice, WalletServiceClient
from wallet.settings import WalletSettings
from wallet.tables import accounts

URL = "http://127.0.0.1:8002"
PIN = "135790"


class Clock:
    def __init__(self) -> None:
        self.now = 1_790_000_000

    def __call__(self) -> int:
        return self.now


@pytest.fixture
async def phone(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[WalletServiceClient, Clock]]:
    clock = Clock()
    monkeypatch.setattr(device_client, "_now", clock)
    settings = WalletSettings(
        profile="development",
        public_url=URL,
        database_url=database_url,
        data_dir=tmp_path,
        pin_kdf_memory_kib=64,
        pin_kdf_iterations=1,
        pin_backoff_seconds=4,
        pin_max_failures=4,
    )
    context = build_context(settings, trust=FixedRegistry(TrustSnapshot()), clock=clock)
    await prepare(context)
    transport = httpx.ASGITransport(app=build_app(settings, context=context))
    async with WalletServiceClient(URL, SimulatedDevice(), transport=transport) as client:
        await client.register(PIN)
        yield client, clock
    await context.database.engine.dispose()


async def _refusal(client: WalletServiceClient, pin: str) -> ServiceRefused:
    with pytest.raises(ServiceRefused) as refused:
        await client.unlock(pin)
    return refused.value


async def test_each_wrong_pin_doubles_the_wait(phone: tuple[WalletServiceClient, Clock]) -> None:
    client, clock = phone
    assert (await _refusal(client, "000000")).error == "wrong_pin"
    too_soon = await _refusal(client, PIN)  # even the right PIN waits its turn
    assert (too_soon.status, too_soon.error) == (429, "try_later")
    clock.now += 4
    assert (await _refusal(client, "000000")).error == "wrong_pin"
    clock.now += 4
    assert (await _refusal(client, PIN)).error == "try_later"  # the second wait is 8 s
    clock.now += 4
    await client.unlock(PIN)
    assert client.session_token is not None


async def test_parallel_guesses_get_one_attempt(phone: tuple[WalletServiceClient, Clock]) -> None:
    client, _clock = phone
    guesses = await asyncio.gather(
        *(
            client.call("POST", "/v1/sessions", json={"pin": f"00000{i}"}, session=False)
            for i in range(6)
        ),
    )
    errors = sorted(g.json()["error"] for g in guesses)
    assert errors.count("wrong_pin") == 1
    assert errors.count("try_later") == 5
    assert all(g.headers.get("retry-after") for g in guesses if g.status_code == 429)


async def test_a_new_kdf_cost_locks_nobody_out(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cost is kept per account; the next unlock wraps the vault key with the new one."""
    clock = Clock()
    monkeypatch.setattr(device_client, "_now", clock)
    device = SimulatedDevice()

    async def service(memory_kib: int) -> tuple[WalletServiceClient, Any]:
        settings = WalletSettings(
            profile="development",
            public_url=URL,
            database_url=database_url,
            data_dir=tmp_path,
            pin_kdf_memory_kib=memory_kib,
            pin_kdf_iterations=1,
        )
        context = build_context(settings, trust=FixedRegistry(TrustSnapshot()), clock=clock)
        await prepare(context)
        transport = httpx.ASGITransport(app=build_app(settings, context=context))
        return WalletServiceClient(URL, device, transport=transport), context

    before, first = await service(64)
    async with before:
        await before.register(PIN)
    after, second = await service(128)
    async with after:
        await after.unlock(PIN)
        clock.now += 1
        await after.unlock(PIN)  # wrapped anew: still the same PIN
    async with second.database.read() as connection:
        cost = (await connection.execute(select(accounts.c.pin_kdf))).scalar_one()
    assert '"memory_kib": 128' in cost
    for context in (first, second):
        await context.database.engine.dispose()
