"""A batch's writes land as SQLAlchemy would write them, on PostgreSQL in one statement."""

from __future__ import annotations

from functools import partial
from typing import Any

import sqlalchemy as sa

from innovation.projections import counts
from innovation.projections.batch import Batch
from innovation.projections.experiments import experiments_view, metrics_view
from innovation.projections.ideas import ideas_view
from innovation.projections.search import similar_to_idea
from innovation.store import Database, PostgresDatabase
from tests.integration.world import World


async def test_inserts_and_updates_of_every_kind_of_column_read_back_as_written(
    world: World, database: Database, backend: str
):
    idea_id = await world.submit(themes=("networks-cloud", "customer-experience"))
    await world.screen(idea_id)
    await world.score(idea_id)
    experiment_id = await world.start(idea_id)

    def rows(connection: sa.Connection, table: sa.Table, **equal: Any) -> list[dict[str, Any]]:
        query = sa.select(table).filter_by(**equal)
        return [dict(row) for row in connection.execute(query).mappings()]

    def write(connection: sa.Connection) -> list[str]:
        [idea] = rows(connection, ideas_view, idea_id=idea_id)
        [experiment] = rows(connection, experiments_view, experiment_id=experiment_id)
        [metric] = rows(connection, metrics_view, experiment_id=experiment_id, ordinal=0)
        statements: list[str] = []
        sa.event.listen(connection, "before_cursor_execute", lambda *a: statements.append(a[2]))
        batch = Batch(connection)
        # New rows: JSON, booleans, floats, dates, instants and NULLs among them.
        batch[ideas_view].insert(idea | {"idea_id": "copy", "themes": ["a", "b"], "url": None})
        batch[experiments_view].insert(experiment | {"experiment_id": "copy", "note": None})
        # Changed rows, in two groups of columns.
        batch[ideas_view].update((idea_id,), {"external": False, "themes": [], "impact": 2.5})
        batch[metrics_view].update(
            (experiment_id, metric["name"]), {"latest_value": 61.5, "target_met": True}
        )
        batch.flush()
        return statements

    statements = await database.write(write)

    def read(connection: sa.Connection) -> dict[str, list[dict[str, Any]]]:
        return {
            "copy": rows(connection, ideas_view, idea_id="copy"),
            "idea": rows(connection, ideas_view, idea_id=idea_id),
            "experiment": rows(connection, experiments_view, experiment_id="copy"),
            "metric": rows(connection, metrics_view, experiment_id=experiment_id, ordinal=0),
        }

    found = await database.read(read)
    [copy], [idea], [experiment], [metric] = (found[name] for name in found)
    assert (copy["themes"], copy["url"], copy["title"]) == (["a", "b"], None, idea["title"])
    assert copy["submitted_at"] == idea["submitted_at"]
    assert copy["submitted_at"].utcoffset() is not None
    assert (idea["external"], idea["themes"], idea["impact"]) == (False, [], 2.5)
    assert experiment["starts_on"] == experiment["started_at"].date()
    assert experiment["note"] is None
    assert (metric["latest_value"], metric["target_met"]) == (61.5, True)
    writes = [statement for statement in statements if not statement.startswith("SELECT")]
    if backend == "postgresql":  # the rows the updates change were read first, then one write
        [together] = writes
        assert together.startswith("WITH w0 AS (INSERT INTO ideas_view")
    else:
        assert len(writes) == 4, "an executemany per table and kind of change"


async def test_a_row_changed_unread_is_changed_as_by_an_update_and_read_with_its_change(
    world: World, database: Database
):
    pilots = []
    for title in ("Alarm triage for the network centre", "Churn prediction from call quality"):
        idea_id = await world.submit(title=title)
        await world.screen(idea_id)
        pilots.append(await world.start(idea_id))
    stored, read_later = pilots

    def rows(connection: sa.Connection) -> dict[str, dict[str, Any]]:
        found = connection.execute(sa.select(experiments_view)).mappings()
        return {row["experiment_id"]: dict(row) for row in found}

    def write(connection: sa.Connection) -> tuple[dict[str, Any] | None, list[str]]:
        before = rows(connection)
        statements: list[str] = []
        sa.event.listen(connection, "before_cursor_execute", lambda *a: statements.append(a[2]))
        table = Batch(connection)[experiments_view]
        table.update_unread((stored,), {"note": "changed unread", "version": 7})
        table.update_unread(("nowhere",), {"note": "no such row"})
        table.insert(before[stored] | {"experiment_id": "fresh", "note": None})
        table.update_unread(("fresh",), {"note": "joins the insert"})
        table.update_unread(("late",), {"note": "before the row existed"})
        table.insert(before[stored] | {"experiment_id": "late", "note": None})
        table.update_unread((read_later,), {"pilot_site": "Orange Belgium"})
        seen = table.find((read_later,))
        reads = [statement for statement in statements if statement.startswith("SELECT")]
        table.flush()
        return seen and dict(seen), reads

    seen, reads = await database.write(write)
    after = await database.read(rows)

    assert len(reads) == 1, "only the row asked for is read"
    assert seen is not None
    assert seen["pilot_site"] == "Orange Belgium"
    assert (after[stored]["note"], after[stored]["version"]) == ("changed unread", 7)
    assert "nowhere" not in after
    assert after["fresh"]["note"] == "joins the insert"
    assert after["late"]["note"] is None, "a change to a row not there changed nothing"
    assert after[read_later]["pilot_site"] == "Orange Belgium"


async def test_a_submission_counts_and_indexes_the_idea_in_the_statement_that_writes_its_row(
    world: World, database: Database, backend: str
):
    engine = (
        database.engine.sync_engine if isinstance(database, PostgresDatabase) else database.engine
    )
    statements: list[str] = []

    def note(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001, ARG001
        statements.append(statement)

    first = await world.submit(title="Fibre cut location from network telemetry", country="FR")
    sa.event.listen(engine, "before_cursor_execute", note)
    try:
        second = await world.submit(title="Fibre cut location from line telemetry", country="FR")
    finally:
        sa.event.remove(engine, "before_cursor_execute", note)

    found = await database.read(counts.counts)
    similar = await database.read(partial(similar_to_idea, idea_id=second))
    assert found["country"]["FR"] == 2
    assert found["stage"]["SCOUTED"] == found["ideas"][""] == 2
    assert [hint.idea_id for hint in similar] == [first], "both are indexed, with their words"
    assert similar[0].score > 0.5
    views = [s for s in statements if "_view" in s and not s.lstrip().startswith("SELECT")]
    if backend == "postgresql":
        [together] = views
        assert "INSERT INTO pipeline_counts_view" in together
        assert "INSERT INTO search_ideas_view" in together
    else:
        assert any(s.startswith("INSERT INTO pipeline_counts_view") for s in views)
