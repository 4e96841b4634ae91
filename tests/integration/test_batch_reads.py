"""A write batch reads once for its commands: the rows of the read models they change, a
statement per table for the batch (both backends), and, on PostgreSQL, the streams they load,
in one statement. What each command decides and writes is what it would alone: a stream a
command of the batch appended to is read again by the next command that loads it."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

import pytest
import sqlalchemy as sa

from innovation.bootstrap import Services
from innovation.domain import IDEA
from innovation.domain.experiments import RecordMeasurement
from innovation.projections.experiments import metrics_view
from innovation.services import Outcome
from innovation.services.errors import CommandIdReusedError
from innovation.services.unit_of_work import event_id_of
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
    read_on = recorder.read_stream
    within: list[str] = []  # read_snapshot_and_stream reads the stream with read_stream

    def counted_ahead(connection: sa.Connection, stream_ids: list[str], *rest: Any) -> Any:
        ahead.append(list(stream_ids))
        return read_ahead(connection, stream_ids, *rest)

    def counted_one(connection: sa.Connection, stream_id: str) -> Any:
        alone.append(stream_id)
        within.append(stream_id)
        try:
            return read_one(connection, stream_id)
        finally:
            within.pop()

    def counted_on(connection: sa.Connection, stream_id: str, *rest: Any, **named: Any) -> Any:
        if not within:  # a command folding on from the state its process kept
            alone.append(stream_id)
        return read_on(connection, stream_id, *rest, **named)

    monkeypatch.setattr(recorder, "read_ahead", counted_ahead)
    monkeypatch.setattr(recorder, "read_snapshot_and_stream", counted_one)
    monkeypatch.setattr(recorder, "read_stream", counted_on)
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


async def test_a_batch_asks_once_whether_its_resendable_commands_were_applied(
    world: World, services: Services, backend: str, monkeypatch: pytest.MonkeyPatch
):
    """A command that carries its own id first asks whether its first event is logged (is it a
    resend?). On PostgreSQL the batch asks for every such id in one statement; what each command
    then does is what it would alone: a resend is answered, a reused id refused, and the same
    request twice in the batch applied once (the second asks the log again)."""
    done = submission("Open RAN pilot")
    done_key = uuid.uuid4()
    await world.run(done, command_id=done_key, request_digest="a", minted=frozenset({done.idea_id}))
    recorder = services.store.recorder
    ahead: list[set[uuid.UUID]] = []
    alone: list[uuid.UUID] = []
    by_ids, by_id = recorder.events_by_ids, recorder.event_by_id

    def counted_ahead(connection: sa.Connection, event_ids: list[uuid.UUID]) -> Any:
        ahead.append(set(event_ids))
        return by_ids(connection, event_ids)

    def counted_one(connection: sa.Connection, event_id: uuid.UUID) -> Any:
        alone.append(event_id)
        return by_id(connection, event_id)

    monkeypatch.setattr(recorder, "events_by_ids", counted_ahead)
    monkeypatch.setattr(recorder, "event_by_id", counted_one)

    def keyed(command: Any, key: uuid.UUID, digest: str) -> Callable[[], Awaitable[Any]]:
        minted = frozenset({command.idea_id})
        return partial(world.run, command, command_id=key, request_digest=digest, minted=minted)

    fresh = [submission(title) for title in ("Drones over masts", "Sleeping radio cells")]
    keys = [uuid.uuid4() for _ in fresh]
    twice, twice_key = submission("Edge video"), uuid.uuid4()
    writes = [
        keyed(fresh[0], keys[0], "b"),
        keyed(done, done_key, "a"),  # a resend
        keyed(twice, twice_key, "c"),
        keyed(twice, twice_key, "c"),  # the same request again, in the same batch
        keyed(fresh[1], keys[1], "d"),
    ]

    outcomes = await in_one_batch(services.database, writes)

    def first_id(key: uuid.UUID, command: Any) -> uuid.UUID:
        return event_id_of(key, IDEA.stream_id(command.idea_id), 0)

    asked = {first_id(key, command) for key, command in ((keys[0], fresh[0]), (keys[1], fresh[1]))}
    asked |= {first_id(done_key, done), first_id(twice_key, twice)}
    if backend == "postgresql":
        assert ahead == [asked]
        assert alone == [first_id(twice_key, twice)]  # its first asker took the answer
    else:
        assert (ahead, len(alone)) == ([], len(writes))
    fresh_a, resent, twice_a, twice_b, fresh_b = outcomes
    assert [outcome.replayed for outcome in (fresh_a, resent, fresh_b)] == [False, True, False]
    assert sorted([twice_a.replayed, twice_b.replayed]) == [False, True]

    # the same id for another request is refused on the answer looked up for the batch
    later, later_key = submission("Satellite backhaul"), uuid.uuid4()
    ahead.clear()
    reused, applied = await in_one_batch(
        services.database, [keyed(done, done_key, "other"), keyed(later, later_key, "e")]
    )
    assert isinstance(reused, CommandIdReusedError)
    assert isinstance(applied, Outcome)
    assert not applied.replayed
    if backend == "postgresql":
        assert ahead == [{first_id(done_key, done), first_id(later_key, later)}]
    fresh.append(later)
    logged = await services.database.read(
        lambda c: [len(stream(c, command.idea_id)) for command in (done, twice, *fresh)]
    )
    assert logged == [1, 1, 1, 1, 1]
