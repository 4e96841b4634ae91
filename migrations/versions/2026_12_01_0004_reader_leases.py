"""Reader leases: each checkpointed reader's position, holder and fencing token.

They replace the ``checkpoints`` table, which nothing wrote: a checkpoint now lives beside
the lease that guards it, so moving it and checking the lease is one conditional update.

Revision ID: 0004_reader_leases
Revises: 0003
Create Date: 2026-12-01 17:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import innovation.store.tables

revision: str = "0004_reader_leases"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reader_leases",
        sa.Column("reader", sa.String(length=100), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("holder", sa.String(length=200), nullable=False),
        sa.Column("token", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", innovation.store.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", innovation.store.tables.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("reader", name=op.f("pk_reader_leases")),
    )
    op.drop_table("checkpoints")


def downgrade() -> None:
    op.create_table(
        "checkpoints",
        sa.Column("reader", sa.String(length=100), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", innovation.store.tables.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("reader", name=op.f("pk_checkpoints")),
    )
    op.drop_table("reader_leases")
