"""The wallet service's Alembic migrations create exactly the tables ``wallet.tables`` declares."""

from __future__ import annotations

from tests.migrations_support import upgrade_twice
from wallet.app import SCRIPT_LOCATION, VERSION_TABLE
from wallet.tables import metadata


async def test_migrations_match_the_declared_tables(database_url: str) -> None:
    tables, differences = await upgrade_twice(
        database_url,
        script_location=SCRIPT_LOCATION,
        version_table=VERSION_TABLE,
        metadata=metadata,
    )
    assert tables == {*metadata.tables, VERSION_TABLE}
    assert differences == []
