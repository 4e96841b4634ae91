"""Indexes for reads that scanned every idea: the pipeline's figures and the queues' orders.

* ``ix_ideas_view_pipeline`` holds every idea's stage, source, country and external flag: the
  pipeline's figures group ideas by all four at once and read the index alone, where counting
  each figure by a scan of ``ideas_view`` took seconds at 100,000 ideas.
* One index per order of the idea queues (scouted, updated, score, strategic fit; ties by id),
  so a page of the first 100 reads 100 index entries instead of sorting every idea. Score and
  fit sort unscored ideas last through ``coalesce(…, -1)``, written into the index as the
  queries write it (``projections/ideas.py``). The scouted order's index also serves the
  filters on when an idea was scouted, so it replaces the index on ``submitted_at`` alone.

Revision ID: 0007_read_indexes
Revises: 0006_releases
Create Date: 2026-12-01 23:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_read_indexes"
down_revision: str | None = "0006_releases"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES: dict[str, list[str | sa.TextClause]] = {
    "ix_ideas_view_pipeline": ["stage", "source_kind", "country", "external"],
    "ix_ideas_view_submitted_order": ["submitted_at", "idea_id"],
    "ix_ideas_view_updated_order": ["updated_at", "idea_id"],
    "ix_ideas_view_score_order": [sa.text("coalesce(rice, -1.0)"), "idea_id"],
    "ix_ideas_view_fit_order": [sa.text("coalesce(strategic_fit, -1)"), "idea_id"],
}


def upgrade() -> None:
    for name, columns in INDEXES.items():
        op.create_index(name, "ideas_view", columns)
    op.drop_index("ix_ideas_view_submitted_at", table_name="ideas_view")


def downgrade() -> None:
    op.create_index("ix_ideas_view_submitted_at", "ideas_view", ["submitted_at"])
    for name in INDEXES:
        op.drop_index(name, table_name="ideas_view")
