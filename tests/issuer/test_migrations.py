"""The issuer's Alembic migrations (0001, 0002, then 0003) create exactly what
``issuer.tables`` declares, on each backend, and a second upgrade changes nothing; a schema
of the previous revision upgrades, and 0003 goes back down cleanly."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect

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


def _migrate(connection: Connection, direction: str, revision: str) -> None:
    """Alembic's own command to ``revision``, on the connection ``env.py`` expects."""
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    config.set_main_option("path_separator", "os")
    config.attributes["version_table"] = VERSION_TABLE
    config.attributes["connection"] = connection
    getattr(command, direction)(config, revision)


async def test_0003_adds_the_client_attestation_pops_and_goes_back(database_url: str) -> None:
    engine = create_engine(database_url)

    def tables(sync: Connection) -> set[str]:
        return set(inspect(sync).get_table_names())

    try:
        async with engine.begin() as connection:
            await connection.run_sync(_migrate, "upgrade", "0002")
            assert "client_attestation_pops" not in await connection.run_sync(tables)
        await upgrade_to_head(engine, script_location=SCRIPT_LOCATION, version_table=VERSION_TABLE)
        async with engine.begin() as connection:
            assert "client_attestation_pops" in await connection.run_sync(tables)
            await connection.run_sync(_migrate, "downgrade", "0002")
            assert "client_attestation_pops" not in await connection.run_sync(tables)
            assert "dpop_proofs" in await connection.run_sync(tables)
    finally:
        await engine.dispose()
