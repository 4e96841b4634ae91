"""The pipeline's counts gathered into slot 0 (see projections/counts.py).

Write transactions now take the lowest free slot rather than one picked by their process's id,
so the slots that processes picked before are never taken again: their rows are folded into
slot 0 once, and ``pipeline`` sums a few rows per count instead of up to one per slot.

Revision ID: 0010_fold_count_slots
Revises: 0009_pipeline_counts
Create Date: 2026-12-03 12:50:00.000000
"""

from collections.abc import Sequence

from alembic import op

from innovation.projections.counts import fold_slots

revision: str = "0010_fold_count_slots"
down_revision: str | None = "0009_pipeline_counts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    fold_slots(op.get_bind())


def downgrade() -> None:
    """Nothing to undo: slot 0 holds the same sums the slots did."""
