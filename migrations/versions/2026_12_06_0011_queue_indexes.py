"""Indexes for each role's queue, which counted its ideas by a pass over every idea.

* ``ix_ideas_view_scout_order``: a scout's own ideas (``ideas(filter: {mine: true})``, or a
  lead's ``scout`` filter), in the scouted order the queues show by default (ties by id).
* ``ix_ideas_view_ethics_order``: the ethics reviewer's queue (``ethicsStatus``), in the same
  order.
* ``ix_ideas_view_running_order``: the ideas whose pilot is running (``hasRunningExperiment``),
  in the same order, and only they: an idea enters it when its pilot starts.

A page of such a queue walked the scouted order until it had found enough of them, and its
``totalCount`` read every idea: 25 to 38 ms at 100,000 ideas on either backend, growing with
the pipeline. With these, both read the queue's own entries.

Revision ID: 0011_queue_indexes
Revises: 0010_fold_count_slots
Create Date: 2026-12-06 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_queue_indexes"
down_revision: str | None = "0010_fold_count_slots"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RUNNING = sa.text("running_experiment_id IS NOT NULL")
INDEXES: dict[str, tuple[list[str], sa.TextClause | None]] = {
    "ix_ideas_view_scout_order": (["scout", "submitted_at", "idea_id"], None),
    "ix_ideas_view_ethics_order": (["ethics_status", "submitted_at", "idea_id"], None),
    "ix_ideas_view_running_order": (["submitted_at", "idea_id"], RUNNING),
}
"""Each index's columns, and which ideas it holds (None: all of them)."""


def upgrade() -> None:
    for name, (columns, where) in INDEXES.items():
        op.create_index(name, "ideas_view", columns, sqlite_where=where, postgresql_where=where)


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, table_name="ideas_view")
