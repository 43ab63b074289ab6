"""Fixtures every test may use: a fixed clock and deterministic randomness (STYLE §7), and
an empty database on each backend the services support."""

from __future__ import annotations

import os
import random
import secrets
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

pytest_plugins = ["tests.canary_watch"]

FIXED_NOW = 1_790_000_000  # 2026-09-22, inside the spec vectors' validity


@pytest.fixture
def now() -> int:
    return FIXED_NOW


@pytest.fixture
def random_bytes() -> Callable[[int], bytes]:
    """Seeded bytes: the same salts on every run, so failures reproduce."""
    generator = random.Random(20261128)
    return generator.randbytes


POSTGRES_SKIP = (
    "PostgreSQL tests need TEST_DATABASE_URL "
    "(e.g. postgresql+asyncpg://postgres@127.0.0.1:55432/postgres)"
)


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A fresh, empty database per test: a SQLite file, or a new PostgreSQL database.

    The PostgreSQL variant creates a database with a random name on the server named by
    ``TEST_DATABASE_URL`` and drops it afterwards; without that variable it skips (CI sets it
    and fails the run when these tests were skipped).
    """
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path}/test.db"
        return
    server = os.environ.get("TEST_DATABASE_URL")
    if not server:
        pytest.skip(POSTGRES_SKIP)
    import asyncpg
    from sqlalchemy.engine import make_url

    url = make_url(server)
    admin_dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"aanspraak_test_{secrets.token_hex(8)}"
    admin = await asyncpg.connect(admin_dsn)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        admin = await asyncpg.connect(admin_dsn)
        try:
            await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = $1 AND pid <> pg_backend_pid()",
                name,
            )
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        finally:
            await admin.close()
