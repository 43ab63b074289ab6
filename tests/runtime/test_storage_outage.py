"""What counts as a storage outage (503) and what stays a bug (500), with real SQLite errors."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest
import sqlalchemy
from sqlalchemy.ext.asyncio import create_async_engine

from runtime.database import create_engine
from runtime.storage_outage import is_storage_outage


async def _error_of(url: str, statement: str) -> BaseException:
    engine = create_async_engine(url, connect_args={"timeout": 0.1})
    try:
        async with engine.begin() as connection:
            await connection.execute(sqlalchemy.text(statement))
    except sqlalchemy.exc.DBAPIError as error:
        return error
    finally:
        await engine.dispose()
    pytest.fail("the statement succeeded")


async def test_a_database_locked_by_another_writer_is_an_outage(tmp_path: Path) -> None:
    path = tmp_path / "locked.db"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t (a)")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        error = await _error_of(f"sqlite+aiosqlite:///{path}", "INSERT INTO t VALUES (1)")
    finally:
        holder.close()
    assert isinstance(error, sqlalchemy.exc.OperationalError)
    assert is_storage_outage(error)


@pytest.mark.parametrize("statement", ["SELECT * FROM no_such_table", "SELEC 1"])
async def test_a_wrong_statement_is_a_bug_not_an_outage(tmp_path: Path, statement: str) -> None:
    """SQLite raises OperationalError for these too; they must stay 500s, not 503s."""
    error = await _error_of(f"sqlite+aiosqlite:///{tmp_path}/empty.db", statement)
    assert isinstance(error, sqlalchemy.exc.OperationalError)
    assert not is_storage_outage(error)


def test_a_refused_connection_is_an_outage() -> None:
    assert is_storage_outage(ConnectionRefusedError())
    assert not is_storage_outage(ValueError("a bug"))


async def test_an_exhausted_connection_pool_is_an_outage() -> None:
    """Every pooled connection busy past ``DATABASE_POOL_TIMEOUT_SECONDS``: 503, not 500."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        pytest.skip("needs TEST_DATABASE_URL (a PostgreSQL server): SQLite keeps no such pool")
    engine = create_engine(url, pool_size=1, max_overflow=0, pool_timeout=0.2)
    try:
        async with engine.connect():
            with pytest.raises(sqlalchemy.exc.TimeoutError) as raised:
                async with engine.connect():
                    pass
    finally:
        await engine.dispose()
    assert is_storage_outage(raised.value)
