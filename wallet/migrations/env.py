"""Alembic environment of the wallet service: its tables, its own version table."""

from runtime.migrations import run_env
from wallet.tables import metadata

run_env(metadata, version_table="wallet_alembic_version")
