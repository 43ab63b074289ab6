"""What every service's migration test checks: upgrading to head, twice, leaves exactly the
declared tables.

Each service (issuer, wallet, verifier) runs its own Alembic scripts into its own version table;
the check is the same, so it lives here once and each test names its service.
"""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import MetaData, inspect

from runtime.database import create_engine
from runtime.migrations import upgrade_to_head


async def upgrade_twice(
    database_url: str, *, script_location: str, version_table: str, metadata: MetaData
) -> tuple[set[str], list[Any]]:
    """Upgrade an empty database to head, then again (which must change nothing); return the
    tables it holds and Alembic's differences between them and ``metadata``."""
    engine = create_engine(database_url)
    try:
        await upgrade_to_head(engine, script_location=script_location, version_table=version_table)
        await upgrade_to_head(engine, script_location=script_location, version_table=version_table)
        async with engine.connect() as connection:
            tables = await connection.run_sync(lambda sync: set(inspect(sync).get_table_names()))
            differences = await connection.run_sync(
                lambda sync: compare_metadata(
                    MigrationContext.configure(sync, opts={"version_table": version_table}),
                    metadata,
                )
            )
    finally:
        await engine.dispose()
    return tables, differences
