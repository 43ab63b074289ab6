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


def _schema(sync: Connection) -> set[tuple[str, str]]:
    """Every table as ``(table, "")`` and every column as ``(table, column)``."""
    inspector = inspect(sync)
    found = set()
    for table in inspector.get_table_names():
        found.add((table, ""))
        found.update((table, column["name"]) for column in inspector.get_columns(table))
    return found


async def _comes_and_goes(
    database_url: str, *, previous: str, added: set[tuple[str, str]], kept: tuple[str, str]
) -> None:
    """From ``previous`` to head ``added`` appears; back down to ``previous`` it is gone
    again, and ``kept`` (made by an earlier revision) is still there."""
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_migrate, "upgrade", previous)
            assert not added & await connection.run_sync(_schema)
        await upgrade_to_head(engine, script_location=SCRIPT_LOCATION, version_table=VERSION_TABLE)
        async with engine.begin() as connection:
            assert added <= await connection.run_sync(_schema)
            await connection.run_sync(_migrate, "downgrade", previous)
            left = await connection.run_sync(_schema)
            assert not added & left
            assert kept in left
    finally:
        await engine.dispose()


async def test_0003_adds_the_client_attestation_pops_and_goes_back(database_url: str) -> None:
    await _comes_and_goes(
        database_url,
        previous="0002",
        added={("client_attestation_pops", "")},
        kept=("dpop_proofs", ""),
    )


async def test_0004_adds_the_offer_issuer_state_and_goes_back(database_url: str) -> None:
    await _comes_and_goes(
        database_url,
        previous="0003",
        added={("offers", "issuer_state_digest"), ("authorization_requests", "offer_id")},
        kept=("offers", "sealed_subject"),
    )


async def test_0005_binds_codes_to_a_dpop_key_and_goes_back(database_url: str) -> None:
    await _comes_and_goes(
        database_url,
        previous="0004",
        added={("offers", "dpop_jkt"), ("authorization_requests", "dpop_jkt")},
        kept=("offers", "issuer_state_digest"),
    )
