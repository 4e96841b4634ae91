"""No N+1: a page of ideas with their experiments, metrics and measurements costs a few queries."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from innovation.config import Settings
from innovation.domain.values import Decision, Outcome
from innovation.projections import views
from innovation.store import Database, PostgresDatabase
from tests.e2e.conftest import LIMITS, Api
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


@pytest.fixture
def settings() -> Settings:
    """No answers kept: a query asked twice runs twice, its reads counted."""
    return Settings.from_env({**LIMITS, "INNOVATION_ANSWER_CACHE_MB": "0"})


@contextmanager
def binding(database: Database) -> Iterator[list[tuple[str, str]]]:
    """Every statement run, with what it was given, as text."""
    engine = (
        database.engine.sync_engine if isinstance(database, PostgresDatabase) else database.engine
    )
    seen: list[tuple[str, str]] = []

    def note(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
        seen.append((statement, str(parameters)))

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


@contextmanager
def counting(database: Database) -> Iterator[list[str]]:
    """The statements run, but ``BEGIN``, ``COMMIT`` and ``ROLLBACK`` (filled on leaving)."""
    statements: list[str] = []
    with binding(database) as seen:
        try:
            yield statements
        finally:
            ends = ("BEGIN", "COMMIT", "ROLLBACK")
            statements += [s for s, _ in seen if s.split(None, 1)[0].upper() not in ends]


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


async def piloted(world: World, title: str) -> list[str]:
    """Three ideas, each with a pilot that measured first-call resolution once: 60, 61, 62
    (``title`` formats each idea's number as ``{n}``)."""
    ideas = []
    for n in range(3):
        idea_id = await world.submit(title=title.format(n=n))
        await world.screen(idea_id)
        await world.measure(await world.start(idea_id), "first-call resolution", 60 + n)
        ideas.append(idea_id)
    return ideas


async def test_a_page_reads_the_experiments_of_its_ideas_that_have_some_and_of_no_other(
    api: Api, world: World, database: Database
):
    tried = await piloted(world, "Tried idea number {n}")
    untried = [await world.submit(title=f"Untried idea number {n}") for n in range(4)]
    await api.data(PAGE, {"first": 2})  # the token and the document, known from here on

    with binding(database) as newest:
        four = await api.data(PAGE, {"first": 4})  # the newest four, none of them tried
    with binding(database) as everything:
        seven = await api.data(PAGE, {"first": 10})

    assert [edge["node"]["experiments"] for edge in four["ideas"]["edges"]] == [[]] * 4
    assert not [s for s, _ in newest if "experiments_view" in s or "metrics_view" in s]
    nodes = {edge["node"]["title"]: edge["node"] for edge in seven["ideas"]["edges"]}
    assert len(nodes) == 7
    for n in range(3):
        (experiment,) = nodes[f"Tried idea number {n}"]["experiments"]
        assert experiment["metrics"][0]["latestValue"] == 60 + n
    for n in range(4):
        assert nodes[f"Untried idea number {n}"]["experiments"] == []
    (asked,) = [given for s, given in everything if "FROM experiments_view" in s]
    assert all(idea_id in asked for idea_id in tried)
    assert not any(idea_id in asked for idea_id in untried), asked


IDEA = """
query($id: ID!) {
  idea(id: $id) {
    title
    experiments { pilotSite metrics { name latestValue } }
    runningExperiment { pilotSite }
  }
}
"""
BARE_IDEA = "query($id: ID!) { idea(id: $id) { title } }"
BARE_PAGE = "query($first: Int!) { ideas(first: $first) { edges { node { id title } } } }"


@contextmanager
def counting_reads(database: Database) -> Iterator[list[object]]:
    """Every read job the database runs (each a transaction of its own), through a reader or
    as a glance; once each, whichever way a glance goes on a backend."""
    jobs: list[object] = []
    read, glance = database.read, database.glance

    async def counted(job, **options):  # noqa: ANN001, ANN003, ANN202
        if not any(seen is job for seen in jobs):
            jobs.append(job)
        return await read(job, **options)

    async def glanced(job, **options):  # noqa: ANN001, ANN003, ANN202
        jobs.append(job)
        return await glance(job, **options)

    database.read = counted  # type: ignore[method-assign]
    database.glance = glanced  # type: ignore[method-assign]
    try:
        yield jobs
    finally:
        del database.read
        del database.glance


async def test_ideas_read_their_experiments_and_metrics_in_the_read_that_finds_them(
    api: Api, world: World, database: Database
):
    await piloted(world, "Idea number {n} with a pilot")
    await world.submit(title="An idea nobody tried yet")
    edges = (await api.data(BARE_PAGE, {"first": 10}))["ideas"]["edges"]
    node_id = next(e["node"]["id"] for e in edges if e["node"]["title"].startswith("Idea number 2"))
    found = {}
    for name, query, variables in (
        ("bare idea", BARE_IDEA, {"id": node_id}),
        ("idea", IDEA, {"id": node_id}),
        ("bare page", BARE_PAGE, {"first": 10}),
        ("page", PAGE, {"first": 10}),
    ):
        await api.data(query, variables)  # the token and the documents, known from here on
        with counting_reads(database) as jobs:
            found[name] = (await api.data(query, variables), len(jobs))

    (idea, idea_reads), (_, bare_reads) = found["idea"], found["bare idea"]
    assert idea_reads == bare_reads, "an idea's experiments and metrics cost reads of their own"
    assert idea["idea"]["experiments"][0]["metrics"][0]["latestValue"] == 62
    assert (
        idea["idea"]["runningExperiment"]["pilotSite"]
        == (idea["idea"]["experiments"][0]["pilotSite"])
    )
    page, page_reads = found["page"]
    # The page's latest measurements still come from their loader: one read more.
    assert page_reads == found["bare page"][1] + 1
    nodes = {edge["node"]["title"]: edge["node"] for edge in page["ideas"]["edges"]}
    assert nodes["An idea nobody tried yet"]["experiments"] == []
    assert nodes["Idea number 1 with a pilot"]["experiments"][0]["metrics"][0]["latestValue"] == 61


NESTED_IDEA = """
query($id: ID!) {
  idea(id: $id) {
    title
    experiments {
      pilotSite status
      metrics { name unit baseline target latestValue measurementCount }
    }
  }
}
"""
NESTED_PAGE = """
query {
  ideas(first: 10) {
    edges { node { id title experiments {
      pilotSite status
      metrics { name unit baseline target latestValue measurementCount }
    } } }
  }
}
"""


async def test_an_idea_with_its_experiments_and_their_metrics_is_read_in_one_statement(
    api: Api, world: World, database: Database
):
    tried = await world.submit(title="Sleeping radio cells at night")
    await world.screen(tried)
    first = await world.start(tried)
    await world.measure(first, "daily network alarms", 640)
    await world.conclude(first, Outcome.INCONCLUSIVE, Decision.ITERATE)
    world.clock.jump(days=3)
    second = await world.start(tried, target=70)
    await world.measure(second, "first-call resolution", 58)
    await world.measure(second, "first-call resolution", 61)
    await world.submit(title="Drones inspecting masts")
    ids = {
        edge["node"]["title"]: edge["node"]["id"]
        for edge in (await api.data(BARE_PAGE, {"first": 10}))["ideas"]["edges"]
    }
    page = {
        edge["node"]["id"]: edge["node"] for edge in (await api.data(NESTED_PAGE))["ideas"]["edges"]
    }
    for title in ("Sleeping radio cells at night", "Drones inspecting masts"):
        variables = {"id": ids[title]}
        await api.data(BARE_IDEA, variables)  # the token and the documents, known from here on
        await api.data(NESTED_IDEA, variables)
        with counting(database) as bare:
            await api.data(BARE_IDEA, variables)
        with counting(database) as nested:
            idea = (await api.data(NESTED_IDEA, variables))["idea"]
        assert len(nested) == len(bare), nested
        # The same as the page's reads, an experiment and a metric at a time, give.
        assert idea["experiments"] == page[ids[title]]["experiments"]
    tried_id = {"id": ids["Sleeping radio cells at night"]}
    experiments = (await api.data(NESTED_IDEA, tried_id))["idea"]["experiments"]
    assert [experiment["status"] for experiment in experiments] == ["CONCLUDED", "RUNNING"]
    assert [metric["name"] for metric in experiments[1]["metrics"]] == [
        "first-call resolution",
        "daily network alarms",
    ]
    assert [metric["measurementCount"] for metric in experiments[1]["metrics"]] == [2, 0]
    assert [metric["measurementCount"] for metric in experiments[0]["metrics"]] == [0, 1]


async def test_what_a_request_read_is_let_go_once_it_is_answered(api: Api, world: World):
    """graphql-core leaves each execution in a reference cycle of its own, the request's
    context with it: the views its loaders held go when the answer is made
    (``Loaders.release``), not when the garbage collector next comes."""
    await world.everything()
    await api.data(PAGE, {"first": 20})  # the document parsed and validated once
    gc.collect()
    gc.disable()
    try:
        before = _views_alive()
        data = await api.data(PAGE, {"first": 20})
        after = _views_alive()
    finally:
        gc.enable()

    assert any(edge["node"]["experiments"] for edge in data["ideas"]["edges"])
    assert after == before


def _views_alive() -> int:
    kinds = (views.IdeaView, views.ExperimentView, views.MetricView, views.MeasurementView)
    return sum(type(found) in kinds for found in gc.get_objects())
