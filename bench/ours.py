"""Our side: the log on the path commands take, on a ``Database`` opened from a URL.

An append is a ``Database.write`` job calling ``Recorder.append``, as a command's unit of
work does (group-committed with whatever else is queued); a stream is read by
``Recorder.read_stream`` in a read job, as a command loads it; the whole log by ``Log.replay``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Sequence
from functools import partial

from sqlalchemy.engine import Connection

from bench.durability import synchronous_name
from bench.workload import our_mapper
from innovation.store import NO_STREAM, AppendResult, Log, NewEvent, open_database

Append = tuple[str, int, Sequence[NewEvent]]
"""One append: stream, expected version, events."""


def open_store(url: str) -> Log:
    return Log(open_database(url), our_mapper())


def append_one(
    store: Log, stream_id: str, events: Sequence[NewEvent], expected: int
) -> Awaitable[AppendResult]:
    """The append a command makes: its events stored, in a write job of their own."""
    records = [store.mapper.to_stored(event) for event in events]
    return store.database.write(
        partial(
            store.recorder.append,
            stream_id=stream_id,
            records=records,
            expected_version=expected,
        )
    )


def plan(stream_id: str, events: Sequence[NewEvent], per_append: int) -> list[Append]:
    """The appends that write ``events`` to a new stream, ``per_append`` at a time."""
    calls: list[Append] = []
    for start in range(0, len(events), per_append):
        expected = NO_STREAM if start == 0 else start
        calls.append((stream_id, expected, events[start : start + per_append]))
    return calls


async def durability(store: Log) -> dict[str, str]:
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


async def append(store: Log, calls: Sequence[Append]) -> float:
    """Seconds to make each append after the previous one has returned."""
    started = time.perf_counter()
    for stream_id, expected, events in calls:
        await append_one(store, stream_id, events, expected)
    return time.perf_counter() - started


async def append_concurrently(store: Log, writers: Sequence[Sequence[Append]]) -> float:
    """Seconds for one task per writer, all sharing the store, to make all their appends."""

    async def run(calls: Sequence[Append]) -> None:
        for stream_id, expected, events in calls:
            await append_one(store, stream_id, events, expected)

    started = time.perf_counter()
    await asyncio.gather(*(run(calls) for calls in writers))
    return time.perf_counter() - started


async def load(store: Log, stream_id: str) -> tuple[int, float]:
    """Read one stream and decode every event into its struct."""
    started = time.perf_counter()
    records = await store.database.read(partial(store.recorder.read_stream, stream_id=stream_id))
    to_event = store.mapper.to_event
    events = [to_event(record) for record in records]
    return len(events), time.perf_counter() - started


async def read_all(store: Log) -> tuple[int, float]:
    """Iterate the whole log in position order."""
    count = 0
    started = time.perf_counter()
    async for _event in store.replay():
        count += 1
    return count, time.perf_counter() - started
