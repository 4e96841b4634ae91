"""Our side: the ``EventStore`` as the services use it, on a ``Database`` opened from a URL."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

from sqlalchemy.engine import Connection

from bench.durability import synchronous_name
from bench.workload import our_mapper
from innovation.store import NO_STREAM, EventStore, NewEvent, open_database

Append = tuple[str, int, Sequence[NewEvent]]
"""One call of ``EventStore.append``: stream, expected version, events."""


def open_store(url: str) -> EventStore:
    return EventStore(open_database(url), our_mapper())


def plan(stream_id: str, events: Sequence[NewEvent], per_append: int) -> list[Append]:
    """The appends that write ``events`` to a new stream, ``per_append`` at a time."""
    calls: list[Append] = []
    for start in range(0, len(events), per_append):
        expected = NO_STREAM if start == 0 else start
        calls.append((stream_id, expected, events[start : start + per_append]))
    return calls


async def durability(store: EventStore) -> dict[str, str]:
    """The settings our writer connection really runs with, read back through it."""

    def sqlite(connection: Connection) -> dict[str, str]:
        journal = connection.exec_driver_sql("PRAGMA journal_mode").scalar()
        synchronous = connection.exec_driver_sql("PRAGMA synchronous").scalar()
        return {"journal_mode": str(journal), "synchronous": synchronous_name(synchronous)}

    def postgres(connection: Connection) -> dict[str, str]:
        return {
            "synchronous_commit": str(
                connection.exec_driver_sql("SHOW synchronous_commit").scalar()
            ),
            "fsync": str(connection.exec_driver_sql("SHOW fsync").scalar()),
        }

    job = sqlite if store.database.dialect == "sqlite" else postgres
    return await store.database.write(job)


async def append(store: EventStore, calls: Sequence[Append]) -> float:
    """Seconds to make each append after the previous one has returned."""
    started = time.perf_counter()
    for stream_id, expected, events in calls:
        await store.append(stream_id, events, expected)
    return time.perf_counter() - started


async def append_concurrently(store: EventStore, writers: Sequence[Sequence[Append]]) -> float:
    """Seconds for one task per writer, all sharing the store, to make all their appends."""

    async def run(calls: Sequence[Append]) -> None:
        for stream_id, expected, events in calls:
            await store.append(stream_id, events, expected)

    started = time.perf_counter()
    await asyncio.gather(*(run(calls) for calls in writers))
    return time.perf_counter() - started


async def load(store: EventStore, stream_id: str) -> tuple[int, float]:
    """Read one stream and decode every event into its struct."""
    started = time.perf_counter()
    records = await store.read_stream(stream_id)
    to_event = store.mapper.to_event
    events = [to_event(record) for record in records]
    return len(events), time.perf_counter() - started


async def read_all(store: EventStore) -> tuple[int, float]:
    """Iterate the whole log in position order."""
    count = 0
    started = time.perf_counter()
    async for _event in store.read_all():
        count += 1
    return count, time.perf_counter() - started
