"""Credential Offers with the authorization_code grant (HAIP 1.0 §4.2, OpenID4VCI 1.0 §4.1.1).

The offer keeps the digest of its ``issuer_state`` (unique, so one value names one offer), and
a pushed authorization request names the offer its ``issuer_state`` used.

Revision ID: 0004
Revises: 0003
Create Date: 2027-02-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("offers", sa.Column("issuer_state_digest", sa.String(length=64), nullable=True))
    op.create_index("ix_offers_issuer_state", "offers", ["issuer_state_digest"], unique=True)
    op.add_column(
        "authorization_requests", sa.Column("offer_id", sa.String(length=32), nullable=True)
    )


def downgrade() -> None:
    with op.batch_alter_table("authorization_requests") as batch:
        batch.drop_column("offer_id")
    op.drop_index("ix_offers_issuer_state", table_name="offers")
    with op.batch_alter_table("offers") as batch:
        batch.drop_column("issuer_state_digest")
