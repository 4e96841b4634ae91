"""Each stage's ideas in the other orders of the queues, as ``ix_ideas_view_stage_order`` holds
them in the scouted order: ``ix_ideas_view_stage_updated_order``, ``…_stage_score_order`` and
``…_stage_fit_order`` on (stage, the order's key, idea_id).

A page of some stages in the updated, score or fit order read every idea of those stages and
sorted them on SQLite (22 to 37 ms for the screening stage, or the scouted and screening, at
100,000 ideas), and on PostgreSQL walked the order past the other stages' ideas (43 ms for the
scouted stage by score: no scouted idea has a score, and unscored ideas sort last). Each
reads its stage's first entries in order now, merged on SQLite when there are several.

Revision ID: 0014_stage_orders
Revises: 0013_unscored_order
Create Date: 2026-12-06 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_stage_orders"
down_revision: str | None = "0013_unscored_order"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = {
    "ix_ideas_view_stage_updated_order": ["stage", "updated_at", "idea_id"],
    "ix_ideas_view_stage_score_order": ["stage", sa.text("coalesce(rice, -1.0)"), "idea_id"],
    "ix_ideas_view_stage_fit_order": ["stage", sa.text("coalesce(strategic_fit, -1)"), "idea_id"],
}
"""Each index's columns; the keys are written as the queries write them (``projections/ideas.py``)."""


def upgrade() -> None:
    for name, columns in INDEXES.items():
        op.create_index(name, "ideas_view", columns)


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, table_name="ideas_view")
