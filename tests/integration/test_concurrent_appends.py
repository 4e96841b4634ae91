"""Sixteen writers race for one stream: one winner per version, the rest told so, nothing lost."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from innovation.store import (
    NO_STREAM,
    AppendRaceError,
    ConcurrencyError,
    Log,
    Mapper,
    open_database,
)
from tests.integration.command_path import CommandPath
from tests.integration.store_events import Noted, new

WRITERS = 16
DATABASES = 4  # independent writer connections, so the race really reaches the database
TARGET_VERSION = 160

pytestmark = pytest.mark.slow


async def test_sixteen_racing_writers_get_one_winner_per_version(database_url: str, mapper: Mapper):
    stores = [CommandPath(Log(open_database(database_url), mapper)) for _ in range(DATABASES)]
    wins: list[tuple[int, uuid.UUID]] = []  # (version won, event id)
    losses: list[tuple[int, int]] = []  # (expected, actual) carried by the error
    races: list[
        int
    ] = []  # versions lost on PostgreSQL's unique index: the pipeline runs such a command again
    failures: list[BaseException] = []

    async def writer(number: int) -> None:
        store = stores[number % DATABASES]
        while len(wins) < TARGET_VERSION:
            expected = await store.stream_version("contested")
            event = new(Noted(text=f"writer {number} at {expected}"))
            try:
                result = await store.append("contested", [event], expected)
            except ConcurrencyError as lost:
                losses.append((lost.expected, lost.actual))
            except AppendRaceError:
                races.append(expected)
            except BaseException as crash:  # anything else is a failure of the store
                failures.append(crash)
                return
            else:
                wins.append((result.version, event.event_id))

    try:
        await asyncio.gather(*(writer(n) for n in range(WRITERS)))
        stored = await stores[0].read_stream("contested")
    finally:
        for store in stores:
            await store.database.close()

    assert failures == []
    versions = sorted(version for version, _ in wins)
    assert versions == list(range(1, len(wins) + 1)), "one winner per version, no gaps"
    assert [e.version for e in stored] == versions
    assert {e.event_id for e in stored} == {event_id for _, event_id in wins}
    assert losses or races, "sixteen writers on one stream must have collided"
    assert all(actual > expected for expected, actual in losses)


async def test_a_version_lost_on_postgresqls_unique_index_is_told_as_a_race(
    database_url: str, mapper: Mapper
):
    """Another transaction holds the stream's next version, uncommitted, when an append reads the
    stream's head: the append waits on the unique index, and once the other commits it is told
    so (``AppendRaceError``, which the pipeline runs again), not with the driver's error."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite takes one write transaction at a time: the second waits to begin")
    import asyncpg
    from sqlalchemy import make_url

    url = make_url(database_url).set(drivername="postgresql")
    other = await asyncpg.connect(url.render_as_string(hide_password=False))
    store = CommandPath(Log(open_database(database_url), mapper))
    try:
        holding = other.transaction()
        await holding.start()
        await other.execute(
            "INSERT INTO events (stream_id, version, type, schema_version, data, metadata,"
            " recorded_at, event_id) VALUES ('held', 1, 'test.noted', 1, $1, $2, now(), $3)",
            b'{"text": "first"}',
            b"{}",
            uuid.uuid4(),
        )
        append = asyncio.create_task(store.append("held", [new(Noted(text="second"))], NO_STREAM))
        waiting = "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
        for _ in range(500):  # until the append waits on the held row's index entry
            if await other.fetchval(waiting) or append.done():
                break
            await asyncio.sleep(0.01)
        assert not append.done(), "the append did not wait for the transaction holding version 1"
        await holding.commit()
        with pytest.raises(AppendRaceError):
            await append
        assert [e.version for e in await store.read_stream("held")] == [1]
    finally:
        await other.close()
        await store.database.close()
