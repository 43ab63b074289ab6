"""Two database idioms every single-use rule here rests on, for SQLite and PostgreSQL alike."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection


async def insert_if_absent(
    connection: AsyncConnection, table: Table, values: Mapping[str, Any]
) -> bool:
    """INSERT ... ON CONFLICT DO NOTHING; True when this call inserted the row.

    Used where a second insert of the same key means a replay (a spent nonce): the
    database decides atomically, and no error aborts the surrounding transaction.
    """
    dialect = connection.dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    statement = module.insert(table).values(**values).on_conflict_do_nothing()
    result = await connection.execute(statement)
    return int(result.rowcount) == 1


async def insert_returning_new(
    connection: AsyncConnection, table: Table, rows: list[dict[str, Any]], column: str
) -> list[int]:
    """Insert ``rows``, skipping those whose key exists; ``column`` of the rows inserted."""
    if not rows:
        return []
    dialect = connection.dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    statement = (
        module.insert(table).values(rows).on_conflict_do_nothing().returning(table.c[column])
    )
    result = await connection.execute(statement)
    return [int(value) for value in result.scalars()]


def for_update(connection: AsyncConnection) -> bool:
    """Whether ``SELECT ... FOR UPDATE`` means something here (not on SQLite)."""
    return connection.dialect.name == "postgresql"
