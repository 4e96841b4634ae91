"""The ethics gate as a column of ideas_view, so it is decided once, when the idea changes.

Existing rows are filled by the same rule the projection applies: an idea that uses neither AI
nor personal data passes; one that does passes with an approval newer than its last material
revision.

Revision ID: 0005_ethics_gate
Revises: 0004_reader_leases
Create Date: 2026-12-01 16:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_ethics_gate"
down_revision: str | None = "0004_reader_leases"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("ideas_view", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("passes_ethics_gate", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.execute(
        "UPDATE ideas_view SET passes_ethics_gate = ("
        "NOT (uses_ai OR uses_personal_data) "
        "OR (ethics_verdict = 'APPROVED' AND ethics_verdict_version > last_material_version))"
    )
    with op.batch_alter_table("ideas_view", schema=None) as batch_op:
        batch_op.alter_column("passes_ethics_gate", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("ideas_view", schema=None) as batch_op:
        batch_op.drop_column("passes_ethics_gate")
