"""The pipeline's counts keyed by facet first: (facet, key, slot), where it was (slot, facet,
key).

A read of some facets' counts (the pipeline's figures, a theme's within some stages) finds
them in the key; keyed by slot first, it read every count, and since ``0016`` the counts by
stage are most of them: ``pipeline`` had become 0.04 ms slower on SQLite. The rows are the
same.

Revision ID: 0017_counts_by_facet
Revises: 0016_counts_by_stage
Create Date: 2026-12-06 23:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0017_counts_by_facet"
down_revision: str | None = "0016_counts_by_stage"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "pipeline_counts_view"
KEY = "pk_pipeline_counts_view"


def _key_on(*columns: str) -> None:
    # SQLite cannot change a table's primary key: the batch copies the table into a new one.
    with op.batch_alter_table(TABLE, recreate="auto") as table:
        table.drop_constraint(KEY, type_="primary")
        table.create_primary_key(KEY, list(columns))


def upgrade() -> None:
    _key_on("facet", "key", "slot")


def downgrade() -> None:
    _key_on("slot", "facet", "key")
