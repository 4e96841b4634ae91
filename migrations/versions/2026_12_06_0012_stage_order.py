"""The stages' index holds each stage's ideas in the scouted order: ``ix_ideas_view_stage_order``
on (stage, submitted_at, idea_id) replaces ``ix_ideas_view_stage`` on the stage alone.

A page of one stage, newest first, then reads its entries in order; on SQLite a page of several
(a lead's queue: scouted and screening) reads each stage's first entries and merges them
(``queues.idea_page``). With the stage alone, SQLite read every idea of the stages asked for
and sorted them: 88 ms for the first page of the lead's queue at 223,000 ideas, 0.04 after.
Counting by stage reads the same entries as before, the stage being the index's first column.

Revision ID: 0012_stage_order
Revises: 0011_queue_indexes
Create Date: 2026-12-06 08:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012_stage_order"
down_revision: str | None = "0011_queue_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_ideas_view_stage_order", "ideas_view", ["stage", "submitted_at", "idea_id"])
    op.drop_index("ix_ideas_view_stage", table_name="ideas_view")


def downgrade() -> None:
    op.create_index("ix_ideas_view_stage", "ideas_view", ["stage"])
    op.drop_index("ix_ideas_view_stage_order", table_name="ideas_view")
