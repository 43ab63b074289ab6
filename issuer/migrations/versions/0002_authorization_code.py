"""The authorization code flow, DPoP-bound tokens and refresh tokens (HAIP 1.0 §4).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("offers", sa.Column("client_id", sa.String(length=255), nullable=True))
    op.add_column("offers", sa.Column("redirect_uri", sa.Text(), nullable=True))
    op.add_column("offers", sa.Column("code_challenge", sa.String(length=64), nullable=True))
    op.add_column("offers", sa.Column("sealed_subject", sa.LargeBinary(), nullable=True))
    op.add_column("access_tokens", sa.Column("jkt", sa.String(length=64), nullable=True))
    op.create_table(
        "authorization_requests",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("login_digest", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("client_id", sa.String(length=255), nullable=False),
        sa.Column("redirect_uri", sa.Text(), nullable=False),
        sa.Column("configuration_id", sa.String(length=100), nullable=False),
        sa.Column("code_challenge", sa.String(length=64), nullable=False),
        sa.Column("state", sa.Text(), nullable=True),
        sa.Column("login_hint", sa.String(length=256), nullable=True),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("digest"),
        sa.UniqueConstraint("login_digest"),
    )
    op.create_table(
        "refresh_tokens",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("offer_id", sa.String(length=32), nullable=False),
        sa.Column("jkt", sa.String(length=64), nullable=False),
        sa.Column("spent", sa.Boolean(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["offer_id"], ["offers.id"]),
        sa.PrimaryKeyConstraint("digest"),
    )
    op.create_index("ix_refresh_tokens_offer", "refresh_tokens", ["offer_id"], unique=False)
    op.create_table(
        "dpop_proofs",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("digest"),
    )


def downgrade() -> None:
    op.drop_table("dpop_proofs")
    op.drop_index("ix_refresh_tokens_offer", table_name="refresh_tokens")
    op.drop_table("refresh_tokens")
    op.drop_table("authorization_requests")
    with op.batch_alter_table("access_tokens") as batch:
        batch.drop_column("jkt")
    with op.batch_alter_table("offers") as batch:
        for column in ("sealed_subject", "code_challenge", "redirect_uri", "client_id"):
            batch.drop_column(column)
