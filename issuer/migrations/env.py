"""Alembic environment of the issuer: its tables, its own version table."""

from issuer.tables import metadata
from runtime.migrations import run_env

run_env(metadata, version_table="issuer_alembic_version")
