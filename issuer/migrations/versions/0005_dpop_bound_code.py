"""Authorization codes bound to a DPoP key (RFC 9449 §10).

A pushed authorization request may name the DPoP key its code is for (``dpop_jkt``, or a
DPoP proof at the PAR endpoint); the request and then the grant keep that thumbprint, and
the token request must prove the same key.

Revision ID: 0005
Revises: 0004
Create Date: 2027-02-08
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "authorization_requests", sa.Column("dpop_jkt", sa.String(length=64), nullable=True)
    )
    op.add_column("offers", sa.Column("dpop_jkt", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("offers") as batch:
        batch.drop_column("dpop_jkt")
    with op.batch_alter_table("authorization_requests") as batch:
        batch.drop_column("dpop_jkt")
