"""Schema migrations with Alembic, run by the service itself at start-up.

Each role keeps an Alembic script folder (``issuer/migrations``) whose ``env.py`` is::

    from issuer.store import metadata
    from runtime.migrations import run_env
    run_env(metadata, version_table="issuer_alembic_version")

and calls ``await upgrade_to_head(engine, script_location="issuer:migrations",
version_table="issuer_alembic_version")`` when it starts. Each role has its own version table,
so two roles can share one database (the demo does) without reading each other's history.

The upgrade runs on the service's own engine and connection, inside one transaction. Upgrades
take turns: Alembic keeps the running migration in module-level state (``alembic.context``), so
one process runs one upgrade at a time; and on PostgreSQL each upgrade first takes a
transaction-scoped advisory lock derived from the version table, so replicas starting together
upgrade one after the other instead of racing to create the same tables.
"""

from __future__ import annotations

import asyncio
import hashlib
import weakref

from alembic import command, context
from alembic.config import Config
from sqlalchemy import Connection, MetaData, text
from sqlalchemy.ext.asyncio import AsyncEngine

_CONNECTION = "connection"
_VERSION_TABLE = "version_table"


_TURNS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
    weakref.WeakKeyDictionary()
)


class MigrationSetupError(RuntimeError):
    """``env.py`` was run in a way this module does not support (a configuration mistake)."""


async def upgrade_to_head(engine: AsyncEngine, *, script_location: str, version_table: str) -> None:
    """Bring the schema to the newest revision; a no-op when it is already there.

    ``script_location`` is a folder path or a package resource, ``"issuer:migrations"``.
    """
    config = Config()
    config.set_main_option("script_location", script_location)
    config.set_main_option("path_separator", "os")
    config.attributes[_VERSION_TABLE] = version_table
    turn = _TURNS.setdefault(asyncio.get_running_loop(), asyncio.Lock())
    async with turn, engine.begin() as connection:
        await connection.run_sync(_upgrade, config, version_table)


def _upgrade(connection: Connection, config: Config, version_table: str) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(
            text("SELECT pg_advisory_xact_lock(:key)"), {"key": advisory_lock_key(version_table)}
        )
    config.attributes[_CONNECTION] = connection
    command.upgrade(config, "head")


def advisory_lock_key(version_table: str) -> int:
    """A stable signed 64-bit key per version table (Python's ``hash`` is salted per process)."""
    digest = hashlib.sha256(f"aanspraak-migrations:{version_table}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def run_env(target_metadata: MetaData, *, version_table: str) -> None:
    """The body of a role's ``env.py``.

    Online mode migrates on the connection :func:`upgrade_to_head` passed in; offline mode
    (``alembic upgrade --sql``) renders the SQL for the ``sqlalchemy.url`` in the config.
    SQLite migrations are rendered in batch mode, since SQLite alters tables by copying them.
    """
    config = context.config
    expected = config.attributes.get(_VERSION_TABLE, version_table)
    if expected != version_table:
        raise MigrationSetupError("env.py and upgrade_to_head name different version tables")
    if context.is_offline_mode():
        url = config.get_main_option("sqlalchemy.url")
        context.configure(
            url=url,
            target_metadata=target_metadata,
            version_table=version_table,
            literal_binds=True,
            render_as_batch=url is not None and url.startswith("sqlite"),
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    connection = config.attributes.get(_CONNECTION)
    if not isinstance(connection, Connection):
        raise MigrationSetupError(
            "online migrations run through runtime.migrations.upgrade_to_head"
        )
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        version_table=version_table,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
