"""Releases and the digest's deliveries: one row per published release, one per delivery.

Revision ID: 0006_releases
Revises: 0005_ethics_gate
Create Date: 2026-12-01 17:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import innovation.store.tables

revision: str = "0006_releases"
down_revision: str | None = "0005_ethics_gate"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = innovation.store.tables.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "releases_view",
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("starts_at", UTC_DATETIME, nullable=False),
        sa.Column("ends_at", UTC_DATETIME, nullable=False),
        sa.Column("cutoff", sa.BigInteger(), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("published_at", UTC_DATETIME, nullable=False),
        sa.Column("published_by", sa.String(length=200), nullable=False),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.Column("bundle", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("period", name=op.f("pk_releases_view")),
    )
    op.create_index(op.f("ix_releases_view_starts_at"), "releases_view", ["starts_at"])
    op.create_table(
        "deliveries_view",
        sa.Column("delivery_id", sa.String(length=64), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("recipient", sa.String(length=320), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("retry_at", UTC_DATETIME, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("queued_position", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("delivery_id", name=op.f("pk_deliveries_view")),
    )
    op.create_index(op.f("ix_deliveries_view_period"), "deliveries_view", ["period"])
    op.create_index(
        op.f("ix_deliveries_view_queued_position"), "deliveries_view", ["queued_position"]
    )


def downgrade() -> None:
    op.drop_table("deliveries_view")
    op.drop_table("releases_view")
