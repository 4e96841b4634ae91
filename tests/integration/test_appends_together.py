"""The commands of a write batch leave their appends to it (``store/appends.py``): on
PostgreSQL, one statement appends every command's events. Nothing else changes: a command
reading a stream another command of its batch appended to sees that append, the same command
twice is applied once, a refused command takes nothing of its neighbours, and a stream another
process appended to meanwhile has its command run again on the stream as it now stands."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

import asyncpg
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection, make_url

from innovation.bootstrap import Services
from innovation.domain.errors import DomainError
from innovation.domain.ideas import ReopenIdea, ReviseIdea, ScoreIdea
from innovation.domain.values import Score
from innovation.projections.ideas import ideas_view
from innovation.services import Outcome
from innovation.store import Database, Deferring, PostgresDatabase
from innovation.store.appends import AppendsRefusedError
from innovation.store.records import NO_STREAM, StoredEvent
from innovation.store.tables import events
from tests.integration.test_batch_left_work import in_one_batch
from tests.integration.test_postgres_writers import LOCK, _until_waiting
from tests.integration.world import SCOUT, World, another_process, submission


def score(idea_id: str, reach: int) -> ScoreIdea:
    return ScoreIdea(
        idea_id=idea_id,
        score=Score(reach=reach, impact=2, confidence=0.8, effort=3, strategic_fit=4),
    )


def stream(
    connection: Connection, idea_id: str, prefix: str = "idea-"
) -> list[tuple[int, int, str]]:
    """(version, position, type) of the idea's events (or another stream's), by version."""
    query = (
        sa.select(events.c.version, events.c.position, events.c.type)
        .where(events.c.stream_id == f"{prefix}{idea_id}")
        .order_by(events.c.version)
    )
    return [(version, position, kind) for version, position, kind in connection.execute(query)]


def appends_seen(database: Database) -> list[str]:
    """The statements that append to the log from now on (PostgreSQL's, through SQLAlchemy)."""
    assert isinstance(database, PostgresDatabase)
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if "INSERT INTO events" in statement:
            seen.append(statement)

    sa.event.listen(database.engine.sync_engine, "before_cursor_execute", note)
    return seen


async def test_on_postgresql_a_batch_of_commands_appends_in_one_statement(
    world: World, services: Services, backend: str
):
    if backend != "postgresql":
        pytest.skip("PostgreSQL appends several streams in one statement")
    seen = appends_seen(services.database)
    commands = [submission(f"Open RAN site number {n}") for n in range(6)]
    writes: list[Callable[[], Awaitable[Any]]] = [partial(world.run, c) for c in commands]

    outcomes: list[Outcome] = await in_one_batch(services.database, writes)

    assert len(seen) == 1
    positions = [outcome.positions for outcome in outcomes]
    assert [len(p) for p in positions] == [1] * 6
    assert [p[0] for p in positions] == sorted(p[0] for p in positions)  # in the batch's order
    assert all(
        outcome.versions == {f"idea-{c.idea_id}": 1}
        for outcome, c in zip(outcomes, commands, strict=True)
    )

    def rows(connection: Connection) -> dict[str, int]:
        query = sa.select(ideas_view.c.idea_id, ideas_view.c.last_position)
        return {idea_id: position for idea_id, position in connection.execute(query)}

    written = await services.database.read(rows)
    assert written == {c.idea_id: p[0] for c, p in zip(commands, positions, strict=True)}
    assert [
        outcome.written(ideas_view, c.idea_id)["title"]
        for outcome, c in zip(outcomes, commands, strict=True)
    ] == [c.title for c in commands]


async def test_commands_on_one_stream_in_one_batch_each_decide_on_the_one_before(
    world: World, services: Services, backend: str
):
    idea_id = await world.submit(title="Self-organising networks")
    await world.screen(idea_id)
    seen = appends_seen(services.database) if backend == "postgresql" else []
    writes: list[Callable[[], Awaitable[Any]]] = [
        partial(world.run, ReviseIdea(idea_id=idea_id, title="Self-organising radio networks")),
        partial(world.run, submission("Edge caching for video")),
        partial(world.run, score(idea_id, 4000)),
        partial(world.run, ReviseIdea(idea_id=idea_id, title="Self-organising networks (SON)")),
        partial(world.run, score(idea_id, 5000)),
    ]

    outcomes = await in_one_batch(services.database, writes)

    assert not [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
    history = await services.database.read(partial(stream, idea_id=idea_id))
    assert [version for version, _, _ in history] == [1, 2, 3, 4, 5, 6]
    positions = [position for _, position, _ in history]
    assert positions == sorted(positions)
    assert [kind for _, _, kind in history][2:] == [
        "idea.revised",
        "idea.scored",
        "idea.revised",
        "idea.scored",
    ]
    [revised, _, scored, _, last] = outcomes
    assert (revised.versions, scored.versions, last.versions) == (
        {f"idea-{idea_id}": 3},
        {f"idea-{idea_id}": 4},
        {f"idea-{idea_id}": 6},
    )
    row = last.written(ideas_view, idea_id)
    assert row is not None
    assert (row["title"], row["reach"], row["version"]) == (
        "Self-organising networks (SON)",
        5000,
        6,
    )
    if backend == "postgresql":
        # Made before each read of the idea (three of them) and at the end; a batch run again
        # command by command (an append refused) would have made five more.
        assert len(seen) == 4


async def test_a_command_refused_in_a_batch_takes_nothing_of_the_others(
    world: World, services: Services
):
    idea_id = await world.submit(title="Self-organising networks")
    await world.screen(idea_id)
    other = submission("Edge caching for video")
    writes: list[Callable[[], Awaitable[Any]]] = [
        partial(world.run, score(idea_id, 4000)),
        partial(world.run, ReopenIdea(idea_id=idea_id, reason="Asked again")),  # never rejected
        partial(world.run, other),
        partial(world.run, score(idea_id, 5000)),
    ]

    outcomes = await in_one_batch(services.database, writes)

    assert isinstance(outcomes.pop(1), DomainError)
    assert [outcome.versions for outcome in outcomes] == [
        {f"idea-{idea_id}": 3},
        {f"idea-{other.idea_id}": 1},
        {f"idea-{idea_id}": 4},
    ]
    history = await services.database.read(partial(stream, idea_id=idea_id))
    assert [kind for _, _, kind in history] == [
        "idea.submitted",
        "idea.advanced",
        "idea.scored",
        "idea.scored",
    ]


async def test_the_same_command_twice_in_one_batch_is_applied_once(
    world: World, services: Services
):
    command = submission("Network slicing for stadiums")
    command_id = uuid.uuid4()
    writes: list[Callable[[], Awaitable[Any]]] = [
        partial(world.run, command, SCOUT, command_id=command_id, request_digest="slicing"),
        partial(world.run, submission("Private 5G for ports")),
        partial(world.run, command, SCOUT, command_id=command_id, request_digest="slicing"),
    ]

    first, other, again = await in_one_batch(services.database, writes)

    assert all(isinstance(outcome, Outcome) for outcome in (first, other, again))
    assert (first.replayed, other.replayed, again.replayed) == (False, False, True)
    history = await services.database.read(partial(stream, idea_id=command.idea_id))
    assert [(version, kind) for version, _, kind in history] == [(1, "idea.submitted")]


async def test_a_stream_another_process_appended_to_meanwhile_has_its_command_run_again(
    world: World, services: Services, backend: str, database_url: str
):
    """The batch's command decided on the stream before the other process appended; the
    statement refuses that stream, and the batch runs again command by command, where the
    command decides on the stream as it now stands."""
    if backend != "postgresql":
        pytest.skip("several processes write at once on PostgreSQL")
    idea_id = await world.submit(title="Predictive maintenance of masts")
    await world.screen(idea_id)
    url = make_url(database_url).set(drivername="postgresql")
    holder = await asyncpg.connect(url.render_as_string(hide_password=False))
    await holder.execute("SELECT pg_advisory_lock($1)", LOCK)
    other = another_process(database_url)

    def wait_for_the_lock(connection: Connection) -> str:
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({LOCK})")
        return "waited"

    waiting = Deferring(wait_for_the_lock, services.projector)  # it joins the batch's sharing
    writes: list[Callable[[], Awaitable[Any]]] = [
        partial(world.run, score(idea_id, 4000)),
        partial(services.database.write, waiting),
        partial(world.run, submission("Drones inspecting masts")),
    ]
    try:
        batch = asyncio.ensure_future(in_one_batch(services.database, writes))
        await _until_waiting(holder)  # the batch has decided the score, and waits
        meanwhile = await other.run(score(idea_id, 9000))
        await holder.execute("SELECT pg_advisory_unlock($1)", LOCK)
        scored, waited, submitted = await batch
    finally:
        await holder.close()
        await other.services.database.close()

    assert waited == "waited"
    assert isinstance(scored, Outcome)
    assert isinstance(submitted, Outcome)
    assert meanwhile.versions == {f"idea-{idea_id}": 3}
    assert scored.versions == {f"idea-{idea_id}": 4}  # decided again, after the other's
    history = await services.database.read(partial(stream, idea_id=idea_id))
    assert [version for version, _, _ in history] == [1, 2, 3, 4]
    row = scored.written(ideas_view, idea_id)
    assert row is not None
    assert (row["reach"], row["version"]) == (4000, 4)


async def test_on_postgresql_appends_made_together_refuse_a_stream_not_written_whole(
    services: Services, backend: str
):
    if backend != "postgresql":
        pytest.skip("PostgreSQL appends several streams in one statement")
    recorder = services.store.recorder

    def event(n: int) -> StoredEvent:
        return StoredEvent(
            event_id=uuid.uuid4(), type="test.noted", schema_version=1, data=b"{}", metadata=b"{}"
        )

    logged = event(0)

    def first(connection: Connection) -> list[Any]:
        return recorder.append_together(
            connection, [("s-a", [logged], NO_STREAM), ("s-b", [event(1), event(2)], NO_STREAM)]
        )

    [a, b] = await services.database.write(first)
    assert (a.version, b.version) == (1, 2)
    assert len(set(a.positions + b.positions)) == 3
    assert b.positions[0] < b.positions[1]

    stale = [("s-c", [event(3)], NO_STREAM), ("s-b", [event(4)], 1)]  # s-b is at 2
    repeat = [("s-c", [event(5)], NO_STREAM), ("s-d", [logged], NO_STREAM)]
    for appends in (stale, repeat):
        with pytest.raises(AppendsRefusedError) as refused:
            await services.database.write(
                lambda c, appends=appends: recorder.append_together(c, appends)
            )
        assert refused.value.stream_id == appends[1][0]

    def streams(connection: Connection) -> list[tuple[str, int]]:
        return [
            tuple(r)
            for r in connection.exec_driver_sql(
                "SELECT stream_id, version FROM events ORDER BY position"
            )
        ]  # type: ignore[misc]

    assert await services.database.read(streams) == [("s-a", 1), ("s-b", 1), ("s-b", 2)]
