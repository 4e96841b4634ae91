"""What the bare drivers do on the same tables: the floor our store's overhead is measured from.

* Reading: plain ``sqlite3`` and plain ``asyncpg`` page through our ``events`` table by position,
  fetching the same columns as ``read_all`` and building nothing from the rows.
* Appending on SQLite, one event per append, three ways: our path (``sqlite3`` in a writer thread,
  measured in ``bench/ours.py``), SQLAlchemy's asyncio engine on ``aiosqlite`` running the very
  same ``SQLiteRecorder.append`` (one thread hop per statement instead of one per transaction),
  and plain ``sqlite3`` with one INSERT and one commit per event. All three run WAL with
  ``synchronous=FULL`` and take the write lock up front (``BEGIN IMMEDIATE``).
* Appending on PostgreSQL, one self-committing INSERT per event with plain ``asyncpg``. With the
  plain ``sqlite3`` figure, it is the ceiling for one writer that waits for each durable commit.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import asyncpg
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bench.durability import synchronous_name
from innovation.store import NO_STREAM, Mapper, NewEvent, StoredEvent
from innovation.store.log import check_expected
from innovation.store.tables import events as events_table

PAGE = 1000

_COLUMNS = (
    "position, stream_id, version, type, schema_version, data, metadata, recorded_at, event_id"
)
_PAGE_SQLITE = f"SELECT {_COLUMNS} FROM events WHERE position > ? ORDER BY position LIMIT ?"
_PAGE_POSTGRES = f"SELECT {_COLUMNS} FROM events WHERE position > $1 ORDER BY position LIMIT $2"
_INSERT_SQLITE = (
    "INSERT INTO events (stream_id, version, type, schema_version, data, metadata, "
    "recorded_at, event_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)

Streams = Sequence[tuple[str, Sequence[NewEvent]]]
"""Streams to write, one event per append: the first is a warm-up, the others are timed."""


def connect_sqlite(url: str) -> sqlite3.Connection:
    """A plain ``sqlite3`` connection with the store's durability settings."""
    connection = sqlite3.connect(make_url(url).database or "", isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=FULL")
    return connection


def read_all_sqlite(url: str, page: int = PAGE) -> tuple[int, float]:
    """Plain ``sqlite3``: one SELECT per page, rows left as the driver's tuples."""
    connection = connect_sqlite(url)
    count, after = 0, 0
    started = time.perf_counter()
    while True:
        rows = connection.execute(_PAGE_SQLITE, (after, page)).fetchall()
        count += len(rows)
        if len(rows) < page:
            break
        after = rows[-1][0]
    elapsed = time.perf_counter() - started
    connection.close()
    return count, elapsed


async def read_all_postgres(url: str, page: int = PAGE) -> tuple[int, float]:
    """Plain ``asyncpg``: one prepared SELECT per page, rows left as ``Record`` objects."""
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn)
    try:
        statement = await connection.prepare(_PAGE_POSTGRES)
        count, after = 0, 0
        started = time.perf_counter()
        while True:
            rows = await statement.fetch(after, page)
            count += len(rows)
            if len(rows) < page:
                break
            after = rows[-1][0]
        return count, time.perf_counter() - started
    finally:
        await connection.close()


def append_plain_sqlite(
    url: str, mapper: Mapper, streams: Streams, per_commit: int = 1
) -> list[float]:
    """Seconds per timed stream for plain ``sqlite3`` to insert ``per_commit`` events a commit."""
    connection = connect_sqlite(url)
    timings: list[float] = []
    for stream_id, events in streams:
        started = time.perf_counter()
        for first in range(0, len(events), per_commit):
            now = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ")
            rows = [
                _row(stream_id, version, stored, now, stored.event_id.hex)
                for version, stored in _stored(mapper, events, first, per_commit)
            ]
            connection.execute("BEGIN IMMEDIATE")
            connection.executemany(_INSERT_SQLITE, rows)
            connection.execute("COMMIT")
        timings.append(time.perf_counter() - started)
    connection.close()
    return timings[1:]


def _stored(
    mapper: Mapper, events: Sequence[NewEvent], first: int, count: int
) -> list[tuple[int, StoredEvent]]:
    """Versions and stored forms of ``events[first:first + count]``."""
    chunk = events[first : first + count]
    return [(first + offset, mapper.to_stored(new)) for offset, new in enumerate(chunk, 1)]


def _row(
    stream_id: str, version: int, stored: StoredEvent, recorded_at: Any, event_id: Any
) -> tuple[Any, ...]:
    """The INSERT's values in column order, with the time and id as the driver wants them."""
    return (
        stream_id,
        version,
        stored.type,
        stored.schema_version,
        stored.data,
        stored.metadata,
        recorded_at,
        event_id,
    )


_INSERT_POSTGRES = (
    "INSERT INTO events (stream_id, version, type, schema_version, data, metadata, "
    "recorded_at, event_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
)


async def append_plain_postgres(
    url: str, mapper: Mapper, streams: Streams, per_commit: int = 1, *, transaction: bool = False
) -> list[float]:
    """Seconds per timed stream for plain ``asyncpg`` to insert ``per_commit`` events a commit.

    The least a durable append can do: one event is one prepared INSERT that commits by itself
    (one round trip); more are one pipelined ``executemany`` in a transaction. No version
    check, no gap guard. One writer waiting for each commit to be durable goes no faster.
    With ``transaction``, one event too is inserted between ``BEGIN`` and ``COMMIT``: the
    least an append can do that shares its transaction with other writes, as a command's does.
    """
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn)
    try:
        insert = await connection.prepare(_INSERT_POSTGRES)
        timings: list[float] = []
        for stream_id, events in streams:
            started = time.perf_counter()
            for first in range(0, len(events), per_commit):
                now = datetime.now(UTC)
                rows = [
                    _row(stream_id, version, stored, now, stored.event_id)
                    for version, stored in _stored(mapper, events, first, per_commit)
                ]
                if len(rows) == 1 and not transaction:
                    await insert.fetch(*rows[0])  # outside a transaction: commits by itself
                else:
                    async with connection.transaction():
                        await insert.executemany(rows)
            timings.append(time.perf_counter() - started)
        return timings[1:]
    finally:
        await connection.close()


def aiosqlite_engine(url: str) -> AsyncEngine:
    """SQLAlchemy's asyncio engine on aiosqlite, set up as ``SQLiteDatabase`` sets up its own."""
    engine = create_async_engine(make_url(url).set(drivername="sqlite+aiosqlite"))

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


async def aiosqlite_durability(engine: AsyncEngine) -> dict[str, str]:
    async with engine.connect() as connection:
        journal = (await connection.exec_driver_sql("PRAGMA journal_mode")).scalar()
        synchronous = (await connection.exec_driver_sql("PRAGMA synchronous")).scalar()
    return {"journal_mode": str(journal), "synchronous": synchronous_name(synchronous)}


def core_append(
    connection: Connection, stream_id: str, records: list[StoredEvent], expected: int
) -> int:
    """The store's append as plain SQLAlchemy Core statements: head check, insert, position.

    What an append costs when every statement goes through aiosqlite (the store itself runs
    its SQL on a sqlite3 cursor in a writer thread, so it cannot be reused here).
    """
    current = connection.execute(
        sa.select(sa.func.coalesce(sa.func.max(events_table.c.version), 0)).where(
            events_table.c.stream_id == stream_id
        )
    ).scalar_one()
    check_expected(stream_id, expected, current)
    connection.execute(
        events_table.insert(),
        [
            {
                "stream_id": stream_id,
                "version": current + offset,
                "type": record.type,
                "schema_version": record.schema_version,
                "data": record.data,
                "metadata": record.metadata,
                "recorded_at": datetime.now(UTC),
                "event_id": record.event_id,
            }
            for offset, record in enumerate(records, start=1)
        ],
    )
    return int(connection.exec_driver_sql("SELECT last_insert_rowid()").scalar_one())


async def append_aiosqlite(engine: AsyncEngine, mapper: Mapper, streams: Streams) -> list[float]:
    """Seconds per timed stream for the aiosqlite engine to run the same append per event."""
    timings: list[float] = []
    for stream_id, events in streams:
        started = time.perf_counter()
        for version, new in enumerate(events):
            records = [mapper.to_stored(new)]
            expected = NO_STREAM if version == 0 else version
            async with engine.begin() as connection:
                await connection.run_sync(core_append, stream_id, records, expected)
        timings.append(time.perf_counter() - started)
    return timings[1:]
