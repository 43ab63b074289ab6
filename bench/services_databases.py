"""A fresh database for every run of ``bench.services``: a SQLite file, or a new PostgreSQL
database on the server the operator names, dropped afterwards.

Every run starts empty, so one run's rows (spent codes, decisions, accounts) never make the
next one slower or faster. PostgreSQL databases get a random name and are dropped even when
the run fails, after their connections are ended (the server's children may still hold some
when a run is cut short).
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

SQLITE = "sqlite"
POSTGRESQL = "postgresql"


@dataclass(frozen=True)
class Backend:
    """Where a run's databases live: ``SQLITE`` files in the run's directory, or databases
    created on the PostgreSQL server of ``server_url`` (an SQLAlchemy asyncpg URL)."""

    name: str
    server_url: str | None = None

    @classmethod
    def postgresql(cls, server_url: str) -> Backend:
        if make_url(server_url).get_backend_name() != POSTGRESQL:
            raise SystemExit("bench.services: --database-url must name a PostgreSQL server")
        return cls(POSTGRESQL, server_url)


def _admin_dsn(server_url: str) -> str:
    """The server's URL as asyncpg takes it (no SQLAlchemy driver suffix)."""
    url = make_url(server_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


@contextlib.asynccontextmanager
async def fresh_database(backend: Backend, directory: Path, name: str) -> AsyncIterator[str]:
    """The SQLAlchemy URL of an empty database for one role of one run."""
    if backend.server_url is None:
        directory.mkdir(parents=True, exist_ok=True)
        yield f"sqlite+aiosqlite:///{directory / f'{name}.db'}"
        return
    import asyncpg  # type: ignore[import-untyped]  # a dev extra: PostgreSQL runs only

    database = f"aanspraak_bench_{name}_{secrets.token_hex(6)}"
    admin = await asyncpg.connect(_admin_dsn(backend.server_url))
    try:
        await admin.execute(f'CREATE DATABASE "{database}"')
    finally:
        await admin.close()
    try:
        url = make_url(backend.server_url).set(database=database)
        yield url.render_as_string(hide_password=False)
    finally:
        admin = await asyncpg.connect(_admin_dsn(backend.server_url))
        try:
            await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = $1 AND pid <> pg_backend_pid()",
                database,
            )
            await admin.execute(f'DROP DATABASE IF EXISTS "{database}"')
        finally:
            await admin.close()


async def server_version(backend: Backend) -> str:
    """The PostgreSQL server's version, for the report's header (and a reachability check)."""
    import asyncpg

    assert backend.server_url is not None  # only PostgreSQL backends are asked
    admin = await asyncpg.connect(_admin_dsn(backend.server_url), timeout=10)
    try:
        return str(await admin.fetchval("SHOW server_version"))
    finally:
        await admin.close()
