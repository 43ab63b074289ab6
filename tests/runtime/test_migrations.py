"""Alembic through runtime.migrations: upgrade to head on both backends, idempotently."""

from __future__ import annotations

import asyncio
import io
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from runtime.database import create_engine
from runtime.migrations import MigrationSetupError, advisory_lock_key, upgrade_to_head

VERSION_TABLE = "example_alembic_version"
PACKAGE = "aanspraak_example_migrations"

ENV_PY = """\
import sqlalchemy as sa

from runtime.migrations import run_env

run_env(sa.MetaData(), version_table={version_table!r})
"""

REVISION_PY = """\
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "widgets",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(50), nullable=False),
    )


def downgrade():
    op.drop_table("widgets")
"""


def _script_folder(folder: Path, *, version_table: str = VERSION_TABLE) -> Path:
    (folder / "versions").mkdir(parents=True)
    (folder / "env.py").write_text(ENV_PY.format(version_table=version_table))
    (folder / "versions" / "0001_widgets.py").write_text(REVISION_PY)
    return folder


async def _state(url: str) -> tuple[list[str], list[str]]:
    """Table names and the recorded revisions."""
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            tables = await connection.run_sync(lambda c: sa.inspect(c).get_table_names())
            versions = (
                await connection.execute(sa.text(f"SELECT version_num FROM {VERSION_TABLE}"))
            ).scalars()
            return sorted(tables), list(versions)
    finally:
        await engine.dispose()


async def _upgrade(url: str, script_location: str, *, version_table: str = VERSION_TABLE) -> None:
    engine = create_engine(url)
    try:
        await upgrade_to_head(engine, script_location=script_location, version_table=version_table)
    finally:
        await engine.dispose()


async def test_upgrade_to_head_is_idempotent(database_url: str, tmp_path: Path) -> None:
    folder = _script_folder(tmp_path / "migrations")
    await _upgrade(database_url, str(folder))
    await _upgrade(database_url, str(folder))
    tables, versions = await _state(database_url)
    assert tables == sorted([VERSION_TABLE, "widgets"])
    assert versions == ["0001"]


async def test_upgrades_in_one_process_take_turns(database_url: str, tmp_path: Path) -> None:
    folder = str(_script_folder(tmp_path / "migrations"))
    await asyncio.gather(*(_upgrade(database_url, folder) for _ in range(3)))
    tables, versions = await _state(database_url)
    assert "widgets" in tables
    assert versions == ["0001"]


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_upgrade_waits_for_another_process(database_url: str, tmp_path: Path) -> None:
    """Another replica holding the advisory lock makes this upgrade wait (PostgreSQL only)."""
    import asyncpg

    dsn = sa.make_url(database_url).set(drivername="postgresql")
    other = await asyncpg.connect(dsn.render_as_string(hide_password=False))
    try:
        await other.execute("BEGIN")
        await other.execute("SELECT pg_advisory_xact_lock($1)", advisory_lock_key(VERSION_TABLE))
        upgrade = asyncio.create_task(
            _upgrade(database_url, str(_script_folder(tmp_path / "migrations")))
        )
        for _ in range(1000):  # until the upgrade is seen queueing for the lock
            waiting = await other.fetchval(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
            )
            if waiting:
                break
            await asyncio.sleep(0.01)
        assert waiting == 1
        assert not upgrade.done()
        await other.execute("COMMIT")
        await upgrade
    finally:
        await other.close()
    assert (await _state(database_url))[1] == ["0001"]


async def test_package_resource_location(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "packages" / PACKAGE
    _script_folder(package / "migrations")
    (package / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path / "packages"))
    monkeypatch.delitem(sys.modules, PACKAGE, raising=False)
    try:
        await _upgrade(database_url, f"{PACKAGE}:migrations")
    finally:
        sys.modules.pop(PACKAGE, None)
    tables, versions = await _state(database_url)
    assert "widgets" in tables
    assert versions == ["0001"]


async def test_env_and_caller_must_name_the_same_version_table(tmp_path: Path) -> None:
    folder = _script_folder(tmp_path / "migrations", version_table="other_alembic_version")
    url = f"sqlite+aiosqlite:///{tmp_path}/test.db"
    with pytest.raises(MigrationSetupError, match="different version tables"):
        await _upgrade(url, str(folder))


def test_online_mode_needs_the_connection(tmp_path: Path) -> None:
    config = Config()
    config.set_main_option("script_location", str(_script_folder(tmp_path / "migrations")))
    config.set_main_option("path_separator", "os")
    with pytest.raises(MigrationSetupError, match="upgrade_to_head"):
        command.upgrade(config, "head")


def test_offline_mode_renders_sql(tmp_path: Path) -> None:
    output = io.StringIO()
    config = Config(output_buffer=output)
    config.set_main_option("script_location", str(_script_folder(tmp_path / "migrations")))
    config.set_main_option("path_separator", "os")
    config.set_main_option("sqlalchemy.url", "postgresql://offline.invalid/issuer")
    command.upgrade(config, "head", sql=True)
    rendered = output.getvalue()
    assert "CREATE TABLE widgets" in rendered
    assert f"CREATE TABLE {VERSION_TABLE}" in rendered
