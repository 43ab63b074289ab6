"""Alembic migrations of the wallet service (``wallet:migrations``)."""
