"""The verifier's Alembic migrations create exactly the tables ``verifier.tables`` declares."""

from __future__ import annotations

from tests.migrations_support import upgrade_twice
from verifier.app import SCRIPT_LOCATION, VERSION_TABLE
from verifier.tables import metadata


async def test_migrations_match_the_declared_tables(database_url: str) -> None:
    _tables, differences = await upgrade_twice(
        database_url,
        script_location=SCRIPT_LOCATION,
        version_table=VERSION_TABLE,
        metadata=metadata,
    )
    assert differences == []
