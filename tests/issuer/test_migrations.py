"""The issuer's Alembic migrations (0001 to 0005) create exactly what ``issuer.tables``
declares, on each backend, and a second upgrade changes nothing; a schema of the previous
revision upgrades, and 0003, 0004 and 0005 go back down cleanly."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, inspect

from issuer.app import SCRIPT_LOCATION, VERSION_TABLE
from issuer.tables import metadata
from runtime.database import create_engine
from runtime.migrations import upgrade_to_head
from tests.migrations_support import upgrade_twice


async def test_migrations_match_the_declared_tables(database_url: str) -> None:
    tables, differences = await upgrade_twice(
        database_url,
        script_location=SCRIPT_LOCATION,
        version_table=VERSION_TABLE,
        metadata=metadata,
    )
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


async def test_0004_adds_the_offer_issuer_state_and_goes_back(database_url: str) -> None:
    engine = create_engine(database_url)

    def columns(sync: Connection) -> set[tuple[str, str]]:
        inspector = inspect(sync)
        return {
            (table, column["name"])
            for table in ("offers", "authorization_requests")
            for column in inspector.get_columns(table)
        }

    added = {("offers", "issuer_state_digest"), ("authorization_requests", "offer_id")}
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_migrate, "upgrade", "0003")
            assert not added & await connection.run_sync(columns)
        await upgrade_to_head(engine, script_location=SCRIPT_LOCATION, version_table=VERSION_TABLE)
        async with engine.begin() as connection:
            assert added <= await connection.run_sync(columns)
            await connection.run_sync(_migrate, "downgrade", "0003")
            left = await connection.run_sync(columns)
            assert not added & left
            assert ("offers", "sealed_subject") in left
    finally:
        await engine.dispose()


async def test_0005_binds_codes_to_a_dpop_key_and_goes_back(database_url: str) -> None:
    engine = create_engine(database_url)

    def columns(sync: Connection) -> set[tuple[str, str]]:
        inspector = inspect(sync)
        return {
            (table, column["name"])
            for table in ("offers", "authorization_requests")
            for column in inspector.get_columns(table)
        }

    added = {("offers", "dpop_jkt"), ("authorization_requests", "dpop_jkt")}
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_migrate, "upgrade", "0004")
            assert not added & await connection.run_sync(columns)
        await upgrade_to_head(engine, script_location=SCRIPT_LOCATION, version_table=VERSION_TABLE)
        async with engine.begin() as connection:
            assert added <= await connection.run_sync(columns)
            await connection.run_sync(_migrate, "downgrade", "0004")
            left = await connection.run_sync(columns)
            assert not added & left
            assert ("offers", "issuer_state_digest") in left
    finally:
        await engine.dispose()
