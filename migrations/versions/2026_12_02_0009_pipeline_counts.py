"""The pipeline's figures as counts by slot (see projections/counts.py).

Filled from the ideas already projected, so ``pipeline`` answers at once without a rebuild.
The index that let the figures be counted from it alone (0007) goes: every write kept it.

Revision ID: 0009_pipeline_counts
Revises: 0008_search_terms
Create Date: 2026-12-02 03:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from innovation.projections.counts import COUNTED, fill

revision: str = "0009_pipeline_counts"
down_revision: str | None = "0008_search_terms"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pipeline_counts_view",
        sa.Column("slot", sa.Integer(), nullable=False),
        sa.Column("facet", sa.String(length=20), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("ideas", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("slot", "facet", "key", name=op.f("pk_pipeline_counts_view")),
    )
    connection = op.get_bind()
    ideas = sa.table("ideas_view", *(sa.column(name) for name in COUNTED if name != "themes"))
    themes = sa.Column("themes", sa.JSON)
    ideas.append_column(themes)
    fill(connection, (row._mapping for row in connection.execute(sa.select(ideas))))
    op.drop_index("ix_ideas_view_pipeline", table_name="ideas_view")


def downgrade() -> None:
    op.create_index(
        "ix_ideas_view_pipeline", "ideas_view", ["stage", "source_kind", "country", "external"]
    )
    op.drop_table("pipeline_counts_view")
