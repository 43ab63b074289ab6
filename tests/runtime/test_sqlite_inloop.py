"""SQLite on the event loop's thread (``runtime.sqlite_inloop``): a lock held by another
process is waited for without stalling the loop, for as long as the busy timeout, and any
other error is raised at once."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

from runtime import sqlite_inloop
from runtime.database import Database, create_engine


def _other_process_holds_the_write_lock(path: Path) -> sqlite3.Connection:
    """A plain ``sqlite3`` connection in write mode: what another worker process would be."""
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    return holder


async def _database(tmp_path: Path) -> Database:
    database = Database(create_engine(f"sqlite+aiosqlite:///{tmp_path}/locked.db"))
    async with database.write() as connection:
        await connection.execute(sa.text("CREATE TABLE t (n INTEGER)"))
    return database


async def test_a_write_waits_for_another_process_lock_and_the_loop_keeps_running(
    tmp_path: Path,
) -> None:
    database = await _database(tmp_path)
    holder = _other_process_holds_the_write_lock(tmp_path / "locked.db")
    ticks = 0

    async def ticking() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.005)
            ticks += 1

    async def write() -> None:
        async with database.write() as connection:
            await connection.execute(sa.text("INSERT INTO t VALUES (1)"))

    ticker = asyncio.create_task(ticking())
    writing = asyncio.create_task(write())
    try:
        await asyncio.sleep(0.3)
        assert not writing.done()  # still waiting for the lock ...
        assert ticks >= 10  # ... while the loop ran other work
        holder.execute("COMMIT")
        await asyncio.wait_for(writing, timeout=10)
        async with database.read() as connection:
            assert (await connection.execute(sa.text("SELECT n FROM t"))).scalar_one() == 1
    finally:
        ticker.cancel()
        holder.close()
        await database.engine.dispose()


async def test_a_lock_held_past_the_busy_timeout_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_inloop, "BUSY_TIMEOUT_SECONDS", 0.2)
    database = await _database(tmp_path)
    holder = _other_process_holds_the_write_lock(tmp_path / "locked.db")
    started = time.monotonic()
    try:
        with pytest.raises(OperationalError, match="database is locked"):
            async with database.write() as connection:
                await connection.execute(sa.text("INSERT INTO t VALUES (1)"))
        assert time.monotonic() - started >= 0.2
    finally:
        holder.close()
        await database.engine.dispose()


async def test_an_error_other_than_busy_is_raised_at_once(tmp_path: Path) -> None:
    database = await _database(tmp_path)
    try:
        with pytest.raises(OperationalError, match="no such table"):
            async with database.read() as connection:
                await connection.execute(sa.text("SELECT * FROM missing"))
    finally:
        await database.engine.dispose()


async def test_rows_many_statements_and_a_closed_connection(tmp_path: Path) -> None:
    database = await _database(tmp_path)
    try:
        async with database.write() as connection:
            await connection.execute(
                sa.text("INSERT INTO t VALUES (:n)"), [{"n": i} for i in range(5)]
            )
        async with database.read() as connection:
            rows = (await connection.execute(sa.text("SELECT n FROM t ORDER BY n"))).all()
            streamed = await connection.stream(sa.text("SELECT n FROM t ORDER BY n"))
            assert [r.n async for r in streamed] == [0, 1, 2, 3, 4]
        assert [r.n for r in rows] == [0, 1, 2, 3, 4]
    finally:
        await database.engine.dispose()
    raw = sqlite_inloop.InLoopConnection(sqlite3.connect(":memory:"))
    await raw.close()
    with pytest.raises(ValueError, match="no active connection"):
        raw.cursor()


@pytest.mark.parametrize(
    ("code", "waits"),
    [(5, True), (261, True), (517, False), (1, False), (None, False)],
    ids=["busy", "busy-recovery", "busy-snapshot", "error", "no-code"],
)
def test_which_answers_are_waited_out(code: int | None, waits: bool) -> None:
    error = sqlite3.OperationalError("database is locked")
    if code is not None:
        error.sqlite_errorcode = code  # set by the C module on a real failure
    assert sqlite_inloop._busy(error) is waits


async def test_a_reader_that_turns_writer_while_another_process_writes_fails_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Inside a transaction that has read, busy means "start again", not "wait": SQLite's
    own handler does not wait there either, so neither does the loop's."""
    monkeypatch.setattr(sqlite_inloop, "BUSY_TIMEOUT_SECONDS", 3.0)
    database = await _database(tmp_path)
    try:
        async with database.engine.connect() as connection:  # a deferred BEGIN
            await connection.execute(sa.text("SELECT count(*) FROM t"))
            holder = _other_process_holds_the_write_lock(tmp_path / "locked.db")
            started = time.monotonic()
            try:
                with pytest.raises(OperationalError, match="database is locked"):
                    await connection.execute(sa.text("INSERT INTO t VALUES (1)"))
            finally:
                holder.close()
            assert time.monotonic() - started < 1.0
    finally:
        await database.engine.dispose()


def test_an_in_memory_database_may_be_used_from_another_threads_loop() -> None:
    """As with ``aiosqlite``'s thread: a test client's portal thread may use the engine."""
    engine = create_engine("sqlite+aiosqlite://")

    async def count() -> int:
        async with engine.connect() as connection:
            return int((await connection.execute(sa.text("SELECT 1"))).scalar_one())

    try:
        assert asyncio.run(count()) == 1
        with ThreadPoolExecutor(1) as other:
            assert other.submit(asyncio.run, count()).result(timeout=10) == 1
    finally:
        asyncio.run(engine.dispose())
