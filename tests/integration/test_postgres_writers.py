"""On PostgreSQL a process writes on two connections: a batch waiting on the database (for its
commit, or here for a lock) does not hold up the next one, unless the next writes to the same
thing; and reads keep connections of their own however small the pool."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import asyncpg
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection, make_url

from innovation.store import PostgresDatabase

LOCK = 416_016
"""An advisory lock key of this test's own."""


@pytest.fixture
async def holder(postgres_migrated: str) -> AsyncIterator[asyncpg.Connection]:
    """A connection outside the service's, holding the lock until the test lets it go."""
    url = make_url(postgres_migrated).set(drivername="postgresql")
    connection = await asyncpg.connect(url.render_as_string(hide_password=False))
    await connection.execute("SELECT pg_advisory_lock($1)", LOCK)
    try:
        yield connection
    finally:
        await connection.close()


@dataclass(frozen=True)
class Keyed:
    """A write job with keys, as ``Deferring`` carries its command's."""

    run: Callable[[Connection], Any]
    keys: frozenset[str]

    def __call__(self, connection: Connection) -> Any:
        return self.run(connection)


def _wait_for_the_lock(connection: Connection) -> str:
    connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK})
    return "waited"


async def _until_waiting(holder: asyncpg.Connection) -> None:
    """Until some transaction waits for the lock (the write job has reached it)."""
    query = (
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND objid = $1"
    )
    for _ in range(500):
        if await holder.fetchval(query, LOCK):
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the write job never reached the lock")


async def _beside_a_waiting_write(
    database: PostgresDatabase, holder: asyncpg.Connection, run: Callable[[], Awaitable[Any]]
) -> Any:
    """What ``run`` answers while a write waits for the lock (within 30 s, or it fails);
    then the lock is let go and the waiting write must finish."""
    try:
        waiting = asyncio.create_task(database.write(_wait_for_the_lock))
        await _until_waiting(holder)
        answer = await asyncio.wait_for(run(), timeout=30)
        assert not waiting.done(), "the first write went on before its lock was let go"
        await holder.execute("SELECT pg_advisory_unlock($1)", LOCK)
        assert await asyncio.wait_for(waiting, timeout=30) == "waited"
        return answer
    finally:
        await holder.execute("SELECT pg_advisory_unlock_all()")  # so that close() can finish
        await database.close()


def _select(number: int) -> Callable[[Connection], Any]:
    return lambda connection: connection.execute(sa.text(f"SELECT {number}")).scalar()


async def test_a_write_waiting_on_the_database_does_not_hold_up_the_next(
    postgres_migrated: str, holder: asyncpg.Connection
):
    database = PostgresDatabase(postgres_migrated)
    assert database.writers == 2
    assert await _beside_a_waiting_write(database, holder, lambda: database.write(_select(7))) == 7


async def test_with_the_smallest_pool_one_writer_leaves_reads_a_connection(
    postgres_migrated: str, holder: asyncpg.Connection
):
    database = PostgresDatabase(postgres_migrated, pool_size=1)
    assert database.writers == 1
    assert await _beside_a_waiting_write(database, holder, lambda: database.read(_select(8))) == 8


async def test_a_write_to_the_same_thing_waits_for_the_batch_in_flight(
    postgres_migrated: str, holder: asyncpg.Connection
):
    database = PostgresDatabase(postgres_migrated)
    ran: list[str] = []

    def noting(name: str, first: Callable[[Connection], Any] | None = None) -> Any:
        def job(connection: Connection) -> str:
            if first is not None:
                first(connection)
            ran.append(name)
            return name

        return job

    try:
        held = asyncio.create_task(
            database.write(Keyed(noting("held", _wait_for_the_lock), frozenset({"idea-1"})))
        )
        await _until_waiting(holder)
        same = asyncio.create_task(database.write(Keyed(noting("same"), frozenset({"idea-1"}))))
        other = Keyed(noting("other"), frozenset({"idea-2"}))
        assert await asyncio.wait_for(database.write(other), timeout=30) == "other"
        assert not same.done(), "a write to idea-1 ran beside the batch holding idea-1"
        await holder.execute("SELECT pg_advisory_unlock($1)", LOCK)
        assert await asyncio.wait_for(asyncio.gather(held, same), timeout=30) == ["held", "same"]
        assert ran == ["other", "held", "same"]
    finally:
        await holder.execute("SELECT pg_advisory_unlock_all()")  # so that close() can finish
        await database.close()
