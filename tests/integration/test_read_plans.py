"""The idea queues read their pages from an index in each order, never sorting every idea."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from innovation.projections import queues
from innovation.projections.paging import Window
from innovation.store import Database

INDEX_OF_ORDER = {
    "SCOUTED_AT": "ix_ideas_view_submitted_order",
    "UPDATED_AT": "ix_ideas_view_updated_order",
    "SCORE": "ix_ideas_view_score_order",
    "STRATEGIC_FIT": "ix_ideas_view_fit_order",
}


def test_every_order_of_the_queues_has_an_index():
    assert set(INDEX_OF_ORDER) == set(queues.ORDERINGS)


def plan_of_page(connection: Connection, order: str, descending: bool) -> str:
    """The database's plan for the page query ``idea_page`` runs, as one text."""
    seen: list[tuple[str, Any]] = []

    def remember(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        seen.append((statement, parameters))

    sa.event.listen(connection, "before_cursor_execute", remember)
    try:
        queues.idea_page(connection, queues.IdeaFilter(), Window(first=100), order, descending)
    finally:
        sa.event.remove(connection, "before_cursor_execute", remember)
    statement, parameters = seen[-1]
    if connection.dialect.name == "sqlite":
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        cursor.execute(f"EXPLAIN QUERY PLAN {statement}", parameters)
        return "\n".join(str(row[-1]) for row in cursor.fetchall())
    # Tables in tests are tiny: steer the planner away from scanning and sorting them whole, so
    # the plan shows whether an index can give the order at all. (Reads run outside a
    # transaction: set for the session, and reset before the connection goes back.)
    connection.exec_driver_sql("SET enable_seqscan = off")
    connection.exec_driver_sql("SET enable_sort = off")
    try:
        result = connection.exec_driver_sql(f"EXPLAIN {statement}", parameters)
        return "\n".join(row[0] for row in result)
    finally:
        connection.exec_driver_sql("RESET enable_seqscan")
        connection.exec_driver_sql("RESET enable_sort")


@pytest.mark.parametrize("order", sorted(INDEX_OF_ORDER))
@pytest.mark.parametrize("descending", [True, False], ids=["descending", "ascending"])
async def test_a_page_in_each_order_walks_its_index(
    database: Database, order: str, descending: bool
):
    plan = await database.read(lambda c: plan_of_page(c, order, descending))

    assert INDEX_OF_ORDER[order] in plan
    assert "TEMP B-TREE" not in plan
    assert "Sort" not in plan
