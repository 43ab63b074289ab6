"""Alembic environment of the verifier: its tables, its own version table."""

from runtime.migrations import run_env
from verifier.tables import metadata

run_env(metadata, version_table="verifier_alembic_version")
