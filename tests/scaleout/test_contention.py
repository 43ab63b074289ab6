"""What PostgreSQL does to transactions that contend, and how a service answers it.

With several workers on one database, two transactions can lock rows in opposite orders
(a deadlock: PostgreSQL aborts one, SQLSTATE 40P01) or, under REPEATABLE READ or
SERIALIZABLE, find that another committed first (40001). The aborted transaction wrote
nothing; repeating it is the documented remedy. So each is a storage outage in the sense of
``runtime.storage_outage``: 503 with ``Retry-After``, never a 500. Both are provoked here for
real, with two connections.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest
import sqlalchemy
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from runtime.storage_outage import is_storage_outage
from tests.wallet.town_fixtures import postgres_database


@pytest.fixture(scope="module")
def database_url() -> Iterator[str]:
    with postgres_database() as url:
        yield url


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(database_url)
    async with engine.begin() as connection:
        await connection.execute(text("DROP TABLE IF EXISTS contended"))
        await connection.execute(text("CREATE TABLE contended (id INTEGER PRIMARY KEY, n INTEGER)"))
        await connection.execute(text("INSERT INTO contended VALUES (1, 0), (2, 0)"))
    yield engine
    await engine.dispose()


BUMP = text("UPDATE contended SET n = n + 1 WHERE id = :id")


async def _the_one_error(*outcomes: object) -> sqlalchemy.exc.DBAPIError:
    errors = [o for o in outcomes if isinstance(o, BaseException)]
    assert len(errors) == 1, outcomes  # one transaction is aborted, the other commits
    error = errors[0]
    assert isinstance(error, sqlalchemy.exc.DBAPIError), error
    return error


async def test_a_deadlock_is_answered_as_an_outage_not_a_bug(engine: AsyncEngine) -> None:
    both_hold_one = asyncio.Barrier(2)

    async def bump(first: int, then: int) -> None:
        async with engine.begin() as connection:
            await connection.execute(BUMP, {"id": first})
            await both_hold_one.wait()
            await connection.execute(BUMP, {"id": then})

    outcomes = await asyncio.gather(bump(1, 2), bump(2, 1), return_exceptions=True)
    error = await _the_one_error(*outcomes)
    assert getattr(error.orig, "sqlstate", None) == "40P01"
    assert is_storage_outage(error)


async def test_a_serialization_failure_is_answered_as_an_outage_not_a_bug(
    engine: AsyncEngine,
) -> None:
    read = asyncio.Event()
    other_committed = asyncio.Event()

    async def repeatable_read() -> None:
        async with engine.connect() as plain:
            connection = await plain.execution_options(isolation_level="REPEATABLE READ")
            async with connection.begin():
                await connection.execute(text("SELECT n FROM contended WHERE id = 1"))
                read.set()
                await other_committed.wait()
                await connection.execute(BUMP, {"id": 1})

    async def commit_first() -> None:
        await read.wait()
        async with engine.begin() as connection:
            await connection.execute(BUMP, {"id": 1})
        other_committed.set()

    outcomes = await asyncio.gather(repeatable_read(), commit_first(), return_exceptions=True)
    error = await _the_one_error(*outcomes)
    assert getattr(error.orig, "sqlstate", None) == "40001"
    assert is_storage_outage(error)


async def test_a_constraint_violation_stays_a_bug(engine: AsyncEngine) -> None:
    """Class 23 is not class 40: a duplicate key is a wrong statement, a 500."""
    with pytest.raises(sqlalchemy.exc.IntegrityError) as raised:
        async with engine.begin() as connection:
            await connection.execute(text("INSERT INTO contended VALUES (1, 0)"))
    assert not is_storage_outage(raised.value)
