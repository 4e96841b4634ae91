"""API tokens: the SHA-256 digests of the bearer tokens the CLI creates, with their roles.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 12:32:38.524375
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import innovation.store.tables

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "api_tokens",
        sa.Column("token_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("created_at", innovation.store.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", innovation.store.tables.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "role IN ('scout', 'lead', 'ethics', 'executive', 'admin')",
            name=op.f("ck_api_tokens_known_role"),
        ),
        sa.PrimaryKeyConstraint("token_id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("digest", name=op.f("uq_api_tokens_digest")),
    )


def downgrade() -> None:
    op.drop_table("api_tokens")
