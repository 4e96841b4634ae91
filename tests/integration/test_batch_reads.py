"""A write batch reads once for its commands: the rows of the read models they change, a
statement per table for the batch (both backends), and, on PostgreSQL, the streams they load,
in one statement. What each command decides and writes is what it would alone: a stream a
command of the batch appended to is read again by the next command that loads it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

import pytest
import sqlalchemy as sa

from innovation.bootstrap import Services
from innovation.domain.experiments import RecordMeasurement
from innovation.projections.experiments import metrics_view
from innovation.services import Outcome
from innovation.store import Database
from tests.integration.test_appends_together import stream
from tests.integration.test_batch_left_work import in_one_batch
from tests.integration.world import World, submission


def selects_from(database: Database, table: sa.Table) -> list[str]:
    """The statements that read ``table`` through SQLAlchemy from now on."""
    engine = getattr(database, "engine")  # noqa: B009  (both backends have one)
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().startswith("SELECT") and f"FROM {table.name}" in statement:
            seen.append(statement)

    sa.event.listen(getattr(engine, "sync_engine", engine), "before_cursor_execute", note)
    return seen


async def test_a_batch_reads_its_streams_and_rows_once_for_all_its_commands(
    world: World, services: Services, backend: str, monkeypatch: pytest.MonkeyPatch
):
    experiments = []
    for title in ("Open RAN pilot", "Drones over masts", "Sleeping radio cells", "Edge video"):
        idea_id = await world.submit(title=title)
        await world.screen(idea_id)
        experiments.append(await world.start(idea_id))
    await world.measure(experiments[0], "first-call resolution", 51)  # a row the batch changes
    recorder = services.store.recorder
    ahead: list[list[str]] = []
    alone: list[str] = []
    read_ahead, read_one = recorder.read_ahead, recorder.read_snapshot_and_stream

    def counted_ahead(connection: sa.Connection, stream_ids: list[str]) -> Any:
        ahead.append(list(stream_ids))
        return read_ahead(connection, stream_ids)

    def counted_one(connection: sa.Connection, stream_id: str) -> Any:
        alone.append(stream_id)
        return read_one(connection, stream_id)

    monkeypatch.setattr(recorder, "read_ahead", counted_ahead)
    monkeypatch.setattr(recorder, "read_snapshot_and_stream", counted_one)
    metrics = selects_from(services.database, metrics_view)

    def measure(experiment_id: str, value: float) -> Callable[[], Awaitable[Any]]:
        command = RecordMeasurement(
            experiment_id=experiment_id,
            metric="first-call resolution",
            value=value,
            measured_at=world.clock.now,
            now=world.clock.now,
        )
        return partial(world.run, command)

    writes = [measure(experiment, 55 + n) for n, experiment in enumerate(experiments)]
    new = submission("Network slicing for stadiums")  # its id drawn here: its stream not read
    writes.insert(2, partial(world.run, new, minted=frozenset({new.idea_id})))
    writes.append(measure(experiments[1], 70))  # the second measurement of one experiment

    outcomes = await in_one_batch(services.database, writes)

    assert all(isinstance(outcome, Outcome) for outcome in outcomes)
    wanted = sorted(f"experiment-{experiment}" for experiment in experiments)
    if backend == "postgresql":
        assert ahead == [wanted]
        assert alone == [f"experiment-{experiments[1]}"]  # read again after its first append
    else:
        assert (ahead, sorted(alone)) == ([], sorted([*wanted, f"experiment-{experiments[1]}"]))
    assert len(metrics) == 1  # every experiment's metrics in one statement
    history = await services.database.read(
        lambda c: [
            [(version, kind) for version, _, kind in stream(c, e, prefix="experiment-")]
            for e in experiments
        ]
    )
    assert [len(events) for events in history] == [3, 3, 2, 2]
    assert history[1][-2:] == [
        (2, "experiment.measurement_recorded"),
        (3, "experiment.measurement_recorded"),
    ]
    last = outcomes[-1]
    row = last.written(metrics_view, experiments[1], "first-call resolution")
    assert row is not None
    assert (row["latest_value"], row["measurement_count"]) == (70, 2)
