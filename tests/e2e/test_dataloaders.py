"""No N+1: a page of ideas with their experiments, metrics and measurements costs a few queries."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

from innovation.store import Database, PostgresDatabase
from tests.e2e.conftest import Api
from tests.integration.world import World

PAGE = """
query($first: Int!) {
  ideas(first: $first) {
    edges { node {
      id title stage
      ethics { status }
      experiments {
        id pilotSite
        idea { id title }
        metrics { name latestValue changePct latestMeasurements { value measuredAt } }
      }
    } }
  }
}
"""


@contextmanager
def counting(database: Database) -> Iterator[list[str]]:
    engine = (
        database.engine.sync_engine if isinstance(database, PostgresDatabase) else database.engine
    )
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
        if statement.split(None, 1)[0].upper() not in ("BEGIN", "COMMIT", "ROLLBACK"):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


async def test_a_page_of_ideas_with_nested_data_takes_a_constant_number_of_queries(
    api: Api, world: World, database: Database
):
    for n in range(100):
        idea_id = await world.submit(title=f"Idea number {n} for the pipeline")
        await world.screen(idea_id)
        experiment_id = await world.start(idea_id)
        await world.measure(experiment_id, "first-call resolution", 50 + n % 10)
        await world.measure(experiment_id, "daily network alarms", 800 - n)
    await api.data(PAGE, {"first": 5})  # warm up connections and caches

    with counting(database) as small:
        ten = await api.data(PAGE, {"first": 10})
    with counting(database) as large:
        hundred = await api.data(PAGE, {"first": 100})

    assert len(ten["ideas"]["edges"]) == 10
    assert len(hundred["ideas"]["edges"]) == 100
    node = hundred["ideas"]["edges"][0]["node"]
    assert len(node["experiments"][0]["metrics"]) == 2
    assert node["experiments"][0]["metrics"][0]["latestMeasurements"][0]["value"] >= 50
    assert len(large) == len(small), (small, large)
    assert len(large) <= 6, large  # token, ideas, experiments, metrics, measurements
