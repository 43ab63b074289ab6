"""Database engines for the services: SQLite for one machine, PostgreSQL for more (DESIGN §1).

SQLite gets the settings a service needs on every connection, set when the connection opens:

* ``journal_mode=WAL``: readers do not block the writer, so status-list reads keep flowing
  while the issuer writes;
* ``foreign_keys=ON``: SQLite ignores declared foreign keys unless told otherwise;
* ``busy_timeout=0``: SQLite's own wait for another process's lock would block the event
  loop; ``runtime.sqlite_inloop`` waits instead, asynchronously, up to 5 s;
* ``synchronous=FULL``: a commit is on disk before it returns. Single-use nonces and codes
  are consumed by a commit (DESIGN §4); with ``NORMAL`` a power cut could undo the
  consumption and let a code be used twice.

SQLite runs on the event loop's own thread (``runtime.sqlite_inloop`` says why and what
that costs); the URL stays ``sqlite+aiosqlite://``, the dialect SQLAlchemy knows.

SQLite transactions are begun explicitly (the driver's own implicit ``BEGIN`` only comes
before the first write, so a step's reads would see a state another process may change
before its write): every write step (``Database.write``) begins with ``BEGIN IMMEDIATE``,
taking the database's write lock before it reads anything, so what it reads is what it
writes over, whichever process or worker it runs in; reads begin with ``BEGIN``, one
consistent snapshot.

PostgreSQL connections are checked before use (``pool_pre_ping``), so a restarted database
costs one reconnect, not one failed request. Each worker process keeps its own pool of
``DATABASE_POOL_SIZE`` connections, and opens up to ``DATABASE_MAX_OVERFLOW`` more under a
burst, so a deployment needs ``processes x workers x (pool size + overflow)`` connections
below the server's ``max_connections`` (docs/deployment.md). A request that finds the pool
exhausted waits ``DATABASE_POOL_TIMEOUT_SECONDS``, then is answered 503 with ``Retry-After``
(``runtime.storage_outage``).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from runtime.sqlite_inloop import connector

if TYPE_CHECKING:
    from runtime.settings import ServiceSettings

SQLITE_BEGIN = "aanspraak_sqlite_begin"
"""The execution option naming how a SQLite transaction begins (``_begin_sqlite``)."""

SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=0",
    "PRAGMA synchronous=FULL",
)


def create_engine(
    url: str, *, pool_size: int = 5, max_overflow: int = 10, pool_timeout: float = 30.0
) -> AsyncEngine:
    """An async engine for ``url`` with the per-backend settings above.

    The pool arguments apply to server databases; a SQLite file has one writer at a time and
    keeps SQLAlchemy's own pool for its file.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_async_engine(
            parsed,
            pool_pre_ping=True,
            pool_size=pool_size,
            max_overflow=max_overflow,
            pool_timeout=pool_timeout,
        )
    _create_parent_directory(parsed)
    engine = create_async_engine(parsed, async_creator=connector(parsed))
    event.listen(engine.sync_engine, "connect", _set_sqlite_pragmas)
    event.listen(engine.sync_engine, "begin", _begin_sqlite)
    return engine


def engine_for(settings: ServiceSettings) -> AsyncEngine:
    """The engine a role's settings describe: its URL and its pool."""
    return create_engine(
        settings.database_url,
        pool_size=settings.database_pool_size,
        max_overflow=settings.database_max_overflow,
        pool_timeout=settings.database_pool_timeout_seconds,
    )


class Database:
    """An engine and the transaction discipline of every role: one transaction per step.

    SQLite has one writer at a time; taking an in-process lock first keeps concurrent
    requests of this process from failing with ``database is locked`` mid-transaction.
    PostgreSQL runs them concurrently: conditional UPDATEs and unique keys decide races.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._write_lock = asyncio.Lock()

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        """Committed on success, rolled back on error."""
        if is_sqlite(self.engine):
            async with self._write_lock, self.engine.connect() as connection:
                await connection.execution_options(**{SQLITE_BEGIN: "BEGIN IMMEDIATE"})
                async with connection.begin():
                    yield connection
        else:
            async with self.engine.begin() as connection:
                yield connection

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        async with self.engine.connect() as connection:
            yield connection


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions whose objects stay readable after commit (no lazy reload on async I/O)."""
    return async_sessionmaker(engine, expire_on_commit=False)


async def ping(engine: AsyncEngine) -> None:
    """A round trip to the database; raises when it is unreachable (for ``/readyz``)."""
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))


def is_sqlite(engine_or_url: AsyncEngine | URL | str) -> bool:
    if isinstance(engine_or_url, AsyncEngine):
        return engine_or_url.dialect.name == "sqlite"
    return make_url(engine_or_url).get_backend_name() == "sqlite"


def _create_parent_directory(url: URL) -> None:
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    Path(database).parent.mkdir(parents=True, exist_ok=True)


def _set_sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    del connection_record
    cursor = dbapi_connection.cursor()
    try:
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(pragma)
    finally:
        cursor.close()
    dbapi_connection.isolation_level = None  # no implicit BEGIN: ``_begin_sqlite`` begins


def _begin_sqlite(connection: Any) -> None:
    """Begin each transaction explicitly: ``BEGIN IMMEDIATE`` for a write step, else
    ``BEGIN`` (the module docstring says why)."""
    connection.exec_driver_sql(connection.get_execution_options().get(SQLITE_BEGIN, "BEGIN"))
