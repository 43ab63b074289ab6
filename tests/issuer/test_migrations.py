"""The issuer's Alembic migrations (0001, then 0002) create exactly what ``issuer.tables``
declares, on each backend, and a second upgrade changes nothing."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from issuer.app import SCRIPT_LOCATION, VERSION_TABLE
from issuer.tables import metadata
from runtime.database import create_engine
from runtime.migrations import upgrade_to_head


async def test_migrations_match_the_declared_tables(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        await upgrade_to_head(engine, script_location=SCRIPT_LOCATION, version_table=VERSION_TABLE)
        await upgrade_to_head(engine, script_location=SCRIPT_LOCATION, version_table=VERSION_TABLE)
        async with engine.connect() as connection:
            tables = await connection.run_sync(lambda sync: set(inspect(sync).get_table_names()))
            differences = await connection.run_sync(
                lambda sync: compare_metadata(
                    MigrationContext.configure(sync, opts={"version_table": VERSION_TABLE}),
                    metadata,
                )
            )
    finally:
        await engine.dispose()
    assert tables == {*metadata.tables, VERSION_TABLE}
    assert differences == []
