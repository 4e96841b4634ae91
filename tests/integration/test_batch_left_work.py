"""Work write jobs leave to their batch (``Deferring``): done once, before the commit, for every
job of the batch that left some; done first for a job that reads on its own; and when a job
fails after leaving some, or the work itself fails, the batch runs again job by job.

The commands of a batch leave their read-model rows this way, and the rows are those a rebuild
of the log gives."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from functools import partial
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from innovation.bootstrap import Services
from innovation.domain.ideas import ReviseIdea
from innovation.projections.experiments import metrics_view
from innovation.projections.projector import Projector, snapshot_tables
from innovation.projections.search import similar_ideas
from innovation.store import Database, Deferring, SQLiteDatabase
from tests.integration.world import World


async def in_one_batch(database: Database, writes: list[Callable[[], Awaitable[Any]]]) -> list[Any]:
    """Start ``writes`` (each reaching ``Database.write`` at its first step) so that the writer
    finds all of them queued when it takes its next batch; their outcomes, errors included.

    SQLite's writer is a thread: it is held on a job of its own while the writes queue up.
    PostgreSQL's runs on the event loop, after every write started in the same turn."""
    started: list[asyncio.Future[Any]] = []
    if isinstance(database, SQLiteDatabase):
        holding, release = threading.Event(), threading.Event()

        def hold(_connection: Connection) -> None:
            holding.set()
            release.wait(30)

        held = asyncio.ensure_future(database.write(hold))
        await asyncio.get_running_loop().run_in_executor(None, holding.wait, 30)
        started = [asyncio.ensure_future(write()) for write in writes]
        await asyncio.sleep(0)  # each write queues its job in its first step
        release.set()
        await held
    else:
        started = [asyncio.ensure_future(write()) for write in writes]
    return list(await asyncio.gather(*started, return_exceptions=True))


class Names:
    """Work left to a batch in these tests: names to insert into ``left_names``, all at once
    when the batch finishes it, or at once when no batch opened it."""

    def __init__(self) -> None:
        self.pending: dict[int, list[str]] = {}
        self.finished: list[list[str]] = []

    def open(self, connection: Connection) -> None:
        self.pending[id(connection)] = []

    def left(self, connection: Connection) -> int:
        return len(self.pending[id(connection)])

    def finish(self, connection: Connection) -> None:
        names = self.pending.pop(id(connection))
        self.finished.append(names)
        _insert_names(connection, names)

    def discard(self, connection: Connection) -> None:
        self.pending.pop(id(connection), None)

    def leave(self, connection: Connection, name: str) -> None:
        if id(connection) in self.pending:
            self.pending[id(connection)].append(name)
        else:
            _insert_names(connection, [name])


def _insert_names(connection: Connection, names: list[str]) -> None:
    if "poison" in names:
        raise ValueError("the work left by 'poison' cannot be done")
    if names:
        connection.execute(
            sa.text("INSERT INTO left_names (name) VALUES (:name)"),
            [{"name": name} for name in names],
        )


def job(names: Names, name: str, *, fail: str | None = None) -> Deferring[str]:
    """Writes its name to ``own_names`` at once and leaves it to ``names``; ``fail`` says
    whether it then raises ``"before"`` leaving it or ``"after"``."""

    def run(connection: Connection) -> str:
        connection.execute(sa.text("INSERT INTO own_names (name) VALUES (:name)"), {"name": name})
        if fail == "before":
            raise LookupError(f"{name} refused")
        names.leave(connection, name)
        if fail == "after":
            raise LookupError(f"{name} failed after leaving work")
        return name

    return Deferring(run, names)


@pytest.fixture
async def tables(database: Database) -> AsyncIterator[Database]:
    def create(connection: Connection) -> None:
        for table in ("own_names", "left_names"):
            connection.exec_driver_sql(f"CREATE TABLE {table} (name VARCHAR(40) NOT NULL)")

    def drop(connection: Connection) -> None:
        for table in ("own_names", "left_names"):
            connection.exec_driver_sql(f"DROP TABLE {table}")

    await database.write(create)
    yield database
    await database.write(drop)


def written(connection: Connection) -> dict[str, list[str]]:
    return {
        table: sorted(name for (name,) in connection.exec_driver_sql(f"SELECT name FROM {table}"))
        for table in ("own_names", "left_names")
    }


def count_left(connection: Connection) -> int:
    return int(connection.exec_driver_sql("SELECT count(*) FROM left_names").scalar_one())


async def test_what_jobs_leave_is_done_once_for_the_batch_and_before_a_job_reading_on_its_own(
    tables: Database,
):
    names = Names()
    database = tables
    jobs: list[Callable[[Connection], Any]] = [
        job(names, "a"),
        job(names, "b"),
        count_left,  # reads on its own: what a and b left is written first
        job(names, "c"),
        job(names, "d"),
    ]

    outcomes = await in_one_batch(database, [partial(database.write, one) for one in jobs])

    assert outcomes == ["a", "b", 2, "c", "d"]
    assert names.finished == [["a", "b"], ["c", "d"]]
    everything = ["a", "b", "c", "d"]
    assert await database.read(written) == {"own_names": everything, "left_names": everything}


@pytest.mark.parametrize(
    ("name", "fail", "error"),
    [
        pytest.param("broken", "after", LookupError, id="failing-after-leaving-work"),
        pytest.param("refused", "before", LookupError, id="refused-before-leaving-any"),
        pytest.param("poison", None, ValueError, id="its-work-failing-when-done"),
    ],
)
async def test_a_failing_job_leaves_nothing_and_takes_nothing_of_its_neighbours(
    tables: Database, name: str, fail: str | None, error: type[Exception]
):
    """The first and last cases roll the batch back and run it again job by job."""
    names = Names()
    database = tables
    jobs = [job(names, "a"), job(names, name, fail=fail), job(names, "c")]

    outcomes = await in_one_batch(database, [partial(database.write, one) for one in jobs])

    assert outcomes[0] == "a"
    assert outcomes[2] == "c"
    assert isinstance(outcomes[1], error)
    assert await database.read(written) == {"own_names": ["a", "c"], "left_names": ["a", "c"]}


async def test_commands_sharing_a_batch_leave_the_rows_a_rebuild_of_the_log_gives(
    world: World, services: Services, monkeypatch: pytest.MonkeyPatch
):
    first = await world.submit(title="Predictive maintenance of radio sites")
    second = await world.submit(title="Energy savings on idle radio cells")
    await world.screen(second)
    experiment = await world.start(second)
    projector, database = services.projector, services.database
    shared: list[int] = []
    finish = Projector.finish

    def counted(connection: Connection) -> None:
        shared.append(projector.left(connection))
        finish(projector, connection)

    monkeypatch.setattr(projector, "finish", counted)
    writes: list[Callable[[], Awaitable[Any]]] = [
        partial(world.measure, experiment, "first-call resolution", 55),
        partial(world.measure, experiment, "first-call resolution", 63),
        partial(world.measure, experiment, "daily network alarms", 290),
        partial(world.submit, title="Radio cells that sleep at night", summary="Saves energy."),
        partial(world.submit, title="Masts inspected by drones", themes=("networks-cloud",)),
        partial(world.run, ReviseIdea(idea_id=first, title="Predictive maintenance of masts")),
        partial(world.screen, first),
        partial(world.submit, title="Drones counting cells on masts", summary="Radio surveys."),
    ]

    outcomes = await in_one_batch(database, writes)

    assert not [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
    assert max(shared) >= 6  # most of the commands' events were folded and written together
    texts = ("radio masts maintenance", "energy of radio cells", "drones")

    def found(connection: Connection) -> tuple[dict[str, Any], list[Any], list[Any]]:
        index: list[Any] = []
        if connection.dialect.name == "sqlite":  # PostgreSQL's is on ideas_view, in the snapshot
            for query in (
                "SELECT idea_id, title, summary FROM ideas_fts ORDER BY rowid",
                "SELECT stem, ideas FROM search_terms_view ORDER BY stem",
                "SELECT i.idea_id, i.stems, f.idea_id FROM search_ideas_view i"
                " JOIN ideas_fts f ON f.rowid = i.fts_row ORDER BY i.idea_id",
            ):
                index.append([tuple(row) for row in connection.exec_driver_sql(query)])
        hints = [similar_ideas(connection, text, 10) for text in texts]
        return snapshot_tables(connection), hints, index

    live = await database.read(found)
    await database.write(partial(projector.rebuild, recorder=services.store.recorder))
    rebuilt = await database.read(found)

    assert rebuilt == live
    columns = [column.name for column in metrics_view.columns]
    rows = [dict(zip(columns, row, strict=True)) for row in live[0]["metrics_view"]]
    metrics = {row["name"]: row for row in rows if row["experiment_id"] == experiment}
    assert metrics["first-call resolution"]["latest_value"] == 63
    assert metrics["first-call resolution"]["measurement_count"] == 2
    assert metrics["daily network alarms"]["latest_value"] == 290
    assert all(live[1])
