"""A page and what it nests are read as of one moment.

A page of ideas reads its ideas, then their experiments, then those experiments' metrics; a
page of experiments reads its experiments, then their metrics. A write another process
commits between two of those statements must show in none of them, or the answer would
pair an idea with experiments it did not have yet, or an experiment with a later reading.
SQLite reads each job in a transaction; PostgreSQL, whose reads run each statement alone, is
asked for one snapshot (``Database.read``'s ``one_snapshot``). Each test commits such a write
between the statements, through a connection of its own.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

import asyncpg
import pytest
from sqlalchemy.engine import Connection
from sqlalchemy.util import await_only

from innovation.api import loaders, queries
from innovation.config import Settings
from innovation.store import Database
from tests.e2e.conftest import LIMITS, Api
from tests.integration.world import World

CHANGED = "Changed by another process between two statements of the page"


@pytest.fixture
def settings() -> Settings:
    """No answers kept: each request is read."""
    return Settings.from_env({**LIMITS, "INNOVATION_ANSWER_CACHE_MB": "0"})


@pytest.fixture
async def committer(database: Database):
    """Runs one statement through another connection, which commits it at once, from inside
    a read job (a SQLite glance runs on the event loop's thread; a PostgreSQL job in
    SQLAlchemy's greenlet, where asyncpg is awaited with ``await_only``)."""
    if database.url.get_backend_name() == "sqlite":
        path = database.url.database

        def on_sqlite(statement: str) -> None:
            with sqlite3.connect(str(path)) as other:  # commits on leaving
                other.execute(statement)

        yield on_sqlite
        return
    other = await asyncpg.connect(
        database.url.set(drivername="postgresql").render_as_string(hide_password=False)
    )

    def on_postgres(statement: str) -> None:
        await_only(other.execute(statement))

    try:
        yield on_postgres
    finally:
        await other.close()


def before(
    monkeypatch: pytest.MonkeyPatch,
    module: Any,
    name: str,
    statement: str,
    commit: Callable[[str], None],
) -> list[str]:
    """Commit ``statement`` elsewhere just before ``module.name`` reads; returns a list that
    says when it did."""
    original = getattr(module, name)
    done: list[str] = []

    def first_commit_then_read(connection: Connection, *args: Any, **kwargs: Any) -> Any:
        if not done:
            commit(statement)
            done.append(statement)
        return original(connection, *args, **kwargs)

    monkeypatch.setattr(module, name, first_commit_then_read)
    return done


async def test_a_page_of_ideas_nests_their_experiments_as_they_stood_with_the_ideas(
    api: Api, world: World, committer: Callable[[str], None], monkeypatch: pytest.MonkeyPatch
):
    idea = await world.submit(title="Contact-centre agent assist")
    await world.screen(idea)
    await world.score(idea)
    await world.start(idea)
    query = (
        "{ ideas(first: 10) { edges { node { title stage"
        " experiments { hypothesis metrics { name baseline } } } } } }"
    )
    expected = await api.data(query)
    done = before(
        monkeypatch,
        loaders.views,
        "experiments_of_ideas",
        f"UPDATE experiments_view SET hypothesis = '{CHANGED}'",
        committer,
    )

    answered = await api.data(query)

    assert done  # the write was committed between the ideas and their experiments
    assert answered == expected
    monkeypatch.undo()
    after = await api.data(query)
    [edge] = after["ideas"]["edges"]
    assert edge["node"]["experiments"][0]["hypothesis"] == CHANGED  # it did commit


async def test_a_page_of_experiments_nests_their_metrics_as_they_stood_with_them(
    api: Api, world: World, committer: Callable[[str], None], monkeypatch: pytest.MonkeyPatch
):
    idea = await world.submit(title="Contact-centre agent assist")
    await world.screen(idea)
    await world.score(idea)
    experiment = await world.start(idea)
    await world.measure(experiment, "first-call resolution", 55.0)
    query = (
        "{ experiments(first: 10) { edges { node { hypothesis"
        " metrics { name latestValue targetMet } } } } }"
    )
    expected = await api.data(query)
    done = before(
        monkeypatch,
        queries.views,
        "metrics_of_experiments",
        "UPDATE metrics_view SET latest_value = 99, target_met = true",
        committer,
    )

    answered = await api.data(query)

    assert done
    assert answered == expected
    monkeypatch.undo()
    after = await api.data(query)
    [edge] = after["experiments"]["edges"]
    assert {metric["latestValue"] for metric in edge["node"]["metrics"]} == {99}
