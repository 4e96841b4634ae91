"""Duplicate hints' word counts: each idea's stems, and (SQLite) how many ideas hold each stem.

Under the empty stem, the count of all ideas indexed. PostgreSQL estimates its counts from its
own statistics, so its ``search_terms_view`` stays empty (see projections/telling.py).
Filled from the ideas already indexed, so hints keep working without a rebuild; on SQLite each
idea also learns the row of ``ideas_fts`` that holds its text.

Revision ID: 0008_search_terms
Revises: 0007_read_indexes
Create Date: 2026-12-01 22:40:00.000000
"""

from collections import Counter
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from innovation.projections.search import stems
from innovation.projections.telling import ALL

revision: str = "0008_search_terms"
down_revision: str | None = "0007_read_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHUNK = 2000


def upgrade() -> None:
    ideas = op.create_table(
        "search_ideas_view",
        sa.Column("idea_id", sa.String(length=64), nullable=False),
        sa.Column("fts_row", sa.BigInteger(), nullable=True),
        sa.Column("stems", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("idea_id", name=op.f("pk_search_ideas_view")),
    )
    terms = op.create_table(
        "search_terms_view",
        sa.Column("stem", sa.Text(), nullable=False),
        sa.Column("ideas", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("stem", name=op.f("pk_search_terms_view")),
    )
    assert ideas is not None
    assert terms is not None
    _fill(op.get_bind(), ideas, terms)


def _fill(connection: sa.Connection, ideas: sa.Table, terms: sa.Table) -> None:
    """Each indexed idea's stems, and the count of ideas per stem, as the projection keeps them."""
    if connection.dialect.name == "sqlite":
        texts = "SELECT rowid, idea_id, title, summary FROM ideas_fts ORDER BY rowid"
    else:
        texts = "SELECT NULL, idea_id, title, summary FROM ideas_view ORDER BY idea_id"
    counts: Counter[str] = Counter()
    result = connection.exec_driver_sql(texts)
    while chunk := result.fetchmany(CHUNK):
        if connection.dialect.name == "sqlite":
            counts[ALL] += len(chunk)
        rows = []
        for fts_row, idea_id, title, summary in chunk:
            found = stems(f"{title} {summary}")
            if connection.dialect.name == "sqlite":
                counts.update(found)
            rows.append({"idea_id": idea_id, "fts_row": fts_row, "stems": " ".join(sorted(found))})
        connection.execute(ideas.insert(), rows)
    ordered = sorted(counts.items())
    for start in range(0, len(ordered), CHUNK):
        chunk_terms = ordered[start : start + CHUNK]
        connection.execute(terms.insert(), [{"stem": s, "ideas": n} for s, n in chunk_terms])


def downgrade() -> None:
    op.drop_table("search_terms_view")
    op.drop_table("search_ideas_view")
