"""Engines on both backends: reachable, and SQLite configured the way the services need."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DatabaseError, IntegrityError

from runtime.database import (
    Database,
    create_engine,
    engine_for,
    is_sqlite,
    ping,
    session_factory,
)
from verifier.settings import VerifierSettings

METADATA = sa.MetaData()
PARENTS = sa.Table("parents", METADATA, sa.Column("id", sa.Integer, primary_key=True))
CHILDREN = sa.Table(
    "children",
    METADATA,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("parent_id", sa.ForeignKey("parents.id"), nullable=False),
)


async def test_ping(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        await ping(engine)
    finally:
        await engine.dispose()


async def test_foreign_keys_are_enforced(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(METADATA.create_all)
        with pytest.raises(IntegrityError):
            async with engine.begin() as connection:
                await connection.execute(CHILDREN.insert().values(id=1, parent_id=42))
    finally:
        await engine.dispose()


async def test_sessions_keep_objects_readable_after_commit(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(METADATA.create_all)
        sessions = session_factory(engine)
        async with sessions() as session:
            await session.execute(PARENTS.insert().values(id=7))
            await session.commit()
            assert (await session.execute(sa.select(PARENTS.c.id))).scalar_one() == 7
        assert sessions.kw["expire_on_commit"] is False
    finally:
        await engine.dispose()


async def test_sqlite_pragmas(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/nested/dir/service.db")
    try:
        async with engine.connect() as connection:
            pragmas = {
                name: (await connection.exec_driver_sql(f"PRAGMA {name}")).scalar_one()
                for name in ("journal_mode", "foreign_keys", "busy_timeout", "synchronous")
            }
    finally:
        await engine.dispose()
    assert pragmas == {
        "journal_mode": "wal",
        "foreign_keys": 1,
        "busy_timeout": 0,  # the wait is runtime.sqlite_inloop's, off the loop's back
        "synchronous": 2,
    }
    assert (tmp_path / "nested" / "dir" / "service.db").is_file()


async def test_in_memory_sqlite_needs_no_directory() -> None:
    engine = create_engine("sqlite+aiosqlite://")
    try:
        await ping(engine)
    finally:
        await engine.dispose()


async def test_ping_raises_when_unreachable() -> None:
    engine = create_engine("postgresql+asyncpg://postgres@127.0.0.1:1/nothing")  # port 1: closed
    try:
        with pytest.raises(ConnectionRefusedError):
            await ping(engine)
    finally:
        await engine.dispose()


async def test_ping_raises_on_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    (tmp_path / "garbage.db").write_bytes(b"not a database file, just text" * 100)
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/garbage.db")
    try:
        with pytest.raises(DatabaseError):
            await ping(engine)
    finally:
        await engine.dispose()


async def test_is_sqlite(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        expected = database_url.startswith("sqlite")
        assert is_sqlite(engine) is expected
        assert is_sqlite(database_url) is expected
        assert is_sqlite(sa.make_url(database_url)) is expected
    finally:
        await engine.dispose()


async def test_the_pool_settings_reach_a_server_databases_engine(tmp_path: Path) -> None:
    settings = VerifierSettings(
        public_url="https://desk.example",
        database_url="postgresql+asyncpg://desk@127.0.0.1:1/desk",
        data_dir=tmp_path,
        database_pool_size=3,
        database_max_overflow=2,
        database_pool_timeout_seconds=7,
    )
    engine = engine_for(settings)
    try:
        pool = engine.pool
        assert isinstance(pool, sa.pool.QueuePool)
        assert pool.size() == 3
        assert pool._max_overflow == 2  # no public reader in SQLAlchemy 2
        assert pool.timeout() == 7
    finally:
        await engine.dispose()


def test_the_pool_defaults_are_sqlalchemys() -> None:
    fields = VerifierSettings.model_fields
    assert fields["database_pool_size"].default == 5
    assert fields["database_max_overflow"].default == 10
    assert fields["database_pool_timeout_seconds"].default == 30


async def test_sqlite_write_steps_of_two_processes_never_interleave(tmp_path: Path) -> None:
    """Each write step takes SQLite's write lock before its first read (``BEGIN IMMEDIATE``),
    so a step that reads a row, then writes over it, cannot lose another process's write in
    between: two ``Database`` objects stand for two worker processes (each has its own
    in-process lock), and every read-then-increment survives."""
    url = f"sqlite+aiosqlite:///{tmp_path}/shared.db"
    first, second = Database(create_engine(url)), Database(create_engine(url))
    async with first.write() as connection:
        await connection.execute(sa.text("CREATE TABLE counter (n INTEGER)"))
        await connection.execute(sa.text("INSERT INTO counter VALUES (0)"))

    async def increment(database: Database) -> None:
        async with database.write() as connection:
            seen = (await connection.execute(sa.text("SELECT n FROM counter"))).scalar_one()
            await asyncio.sleep(0.05)  # the other process runs meanwhile, if it may
            await connection.execute(sa.text("UPDATE counter SET n = :n"), {"n": seen + 1})

    try:
        await asyncio.gather(*(increment(d) for d in (first, second) * 5))
        async with first.read() as connection:
            total = (await connection.execute(sa.text("SELECT n FROM counter"))).scalar_one()
    finally:
        await first.engine.dispose()
        await second.engine.dispose()
    assert total == 10


async def test_a_sqlite_read_is_one_snapshot(tmp_path: Path) -> None:
    """Reads begin a transaction too: two statements of one read see the same state."""
    url = f"sqlite+aiosqlite:///{tmp_path}/snap.db"
    reader, writer = Database(create_engine(url)), Database(create_engine(url))
    async with writer.write() as connection:
        await connection.execute(sa.text("CREATE TABLE t (n INTEGER)"))
        await connection.execute(sa.text("INSERT INTO t VALUES (1)"))
    try:
        async with reader.read() as connection:
            before = (await connection.execute(sa.text("SELECT n FROM t"))).scalar_one()
            async with writer.write() as other:
                await other.execute(sa.text("UPDATE t SET n = 2"))
            after = (await connection.execute(sa.text("SELECT n FROM t"))).scalar_one()
    finally:
        await reader.engine.dispose()
        await writer.engine.dispose()
    assert before == after == 1
