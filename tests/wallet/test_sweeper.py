"""The sweeper forgets what can no longer matter: remembered proof ``jti`` values once the
proof would be too old anyway, and pending steps nobody finished."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, insert, select

from aanspraak.town import FixedRegistry
from specs.trust import TrustSnapshot
from wallet import device_client
from wallet.app import build_app, prepare, sweep
from wallet.context import build_context
from wallet.device_client import SimulatedDevice, WalletServiceClient
from wallet.settings import WalletSettings
from wallet.tables import accounts, proof_jtis, records

URL = "http://127.0.0.1:8002"


async def test_the_sweeper_forgets_old_proofs_and_lapsed_steps(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [1_790_000_000]
    monkeypatch.setattr(device_client, "_now", lambda: now[0])
    settings = WalletSettings(
        profile="development",
        public_url=URL,
        database_url=database_url,
        data_dir=tmp_path,
        pin_kdf_memory_kib=64,
        pin_kdf_iterations=1,
    )
    context = build_context(settings, trust=FixedRegistry(TrustSnapshot()), clock=lambda: now[0])
    await prepare(context)
    transport = httpx.ASGITransport(app=build_app(settings, context=context))
    async with WalletServiceClient(URL, SimulatedDevice(), transport=transport) as phone:
        account = await phone.register("123456")
    async with context.database.write() as connection:
        await connection.execute(
            insert(records).values(
                id="f" * 32,
                account_id=account,
                kind="issuance",
                sealed=b"x",
                expires_at=now[0] + 60,
            )
        )

    async def counts() -> list[int]:
        async with context.database.read() as connection:
            return [
                (await connection.execute(select(func.count()).select_from(table))).scalar_one()
                for table in (proof_jtis, records, accounts)
            ]

    await sweep(context)
    assert await counts() == [1, 1, 1]  # all still current
    now[0] += settings.proof_max_age_seconds + 61
    await sweep(context)
    assert await counts() == [0, 0, 1]  # the account stays
    await context.database.engine.dispose()
