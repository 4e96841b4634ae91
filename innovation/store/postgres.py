"""PostgreSQL: the shared backend, and how reading by position never skips an event.

``PostgresDatabase`` runs jobs through SQLAlchemy's asyncio engine on asyncpg (a job runs
inside ``AsyncConnection.run_sync``, so its statements never block the loop), with
group-committing writer connections per process, two by default (while one batch waits for its
commit, the next runs); ``PostgresRecorder`` holds the log's SQL.

The problem
-----------
Positions come from a sequence. ``nextval`` is handed out when a row is inserted, but the row
becomes visible when its transaction commits, and transactions commit in any order. A reader
that has just seen position 11 and moves its checkpoint there will never see position 10 if
the transaction holding 10 commits a moment later.

The mechanism: the sequence's high-water mark, settled by waiting out older transactions
-----------------------------------------------------------------------------------------
1. Every append takes its transaction id *before* it takes a position: the append statement
   evaluates ``pg_current_xact_id()`` in a subquery that must finish before the first row is
   inserted (and so before the first ``nextval``).
2. A reader first reads ``S``, the sequence's last value. Every position ``<= S`` has been
   handed out, and (by 1) the transaction holding it already had an id when ``S`` was read.
3. If every position between the last settled one and ``S`` is visible, ``S`` is settled at
   once: one round trip, the common case.
4. Otherwise the reader takes a transaction id ``N`` of its own (``pg_current_xact_id()``):
   every transaction that held a position ``<= S`` has an id below ``N``. Once
   ``pg_snapshot_xmin(pg_current_snapshot())`` has reached ``N``, all of them have ended, and
   ``S`` is settled: a position ``<= S`` still missing then was rolled back, for good.

``store/readers.py`` turns this into the *settled position* that every reader of the log
stops at. Why not the snapshot's list of running transactions? A snapshot lists only the
transactions below its ``xmax`` (the latest *completed* id plus one), so a writer that took
its id after the last commit is running but absent from it. Waiting for ``N`` covers every
running transaction.

Writers take no lock and still commit concurrently, so PostgreSQL's own group commit and ours
(``store/database.py``) both work. Waiting happens only on the reader's side, and only while a
transaction that began before the read is still open: a long-running write transaction delays
readers, never makes them skip. ``tests/integration/test_gapless_reading.py`` runs writers that
pause between insert and commit while a reader tails the log; with the guard switched off
(``Log(..., guard_gaps=False)``) that test misses events.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Collection, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from types import MappingProxyType

import msgspec
import sqlalchemy as sa
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from innovation.store.database import Database, DatabaseClosedError, Job, ReadSession, T
from innovation.store.log import (
    AppendRaceError,
    Clock,
    Recorder,
    Snapshot,
    check_batch,
    check_expected,
    snapshot_of,
    utcnow,
)
from innovation.store.pg_batches import COLUMNS_SQL as _COLUMNS_SQL
from innovation.store.pg_batches import append_together, read_ahead, restore_together
from innovation.store.pg_batches import fetch as _fetch
from innovation.store.pg_batches import recorded as _recorded
from innovation.store.pg_reads import KeptConnectionEndedError, ReadConnections
from innovation.store.pg_writers import Writers
from innovation.store.records import ANY, NO_STREAM, AppendResult, RecordedEvent, StoredEvent
from innovation.store.tables import events

_APPEND = """
    INSERT INTO events
        (stream_id, version, type, schema_version, data, metadata, recorded_at, event_id)
    SELECT $1::varchar, head.version + batch.ord, batch.type, batch.schema_version,
           batch.data, batch.metadata, $2::timestamptz, batch.event_id
    FROM (
        SELECT pg_current_xact_id() AS xid, coalesce(max(version), 0) AS version
        FROM events WHERE stream_id = $1::varchar
    ) AS head
    CROSS JOIN unnest($3::varchar[], $4::integer[], $5::bytea[], $6::bytea[], $7::uuid[])
        WITH ORDINALITY AS batch(type, schema_version, data, metadata, event_id, ord)
    WHERE head.xid IS NOT NULL
      AND ($8::integer = -2 OR head.version = $8::integer)
      AND NOT EXISTS (
          SELECT 1 FROM unnest($7::uuid[]) AS mine(event_id)
          CROSS JOIN LATERAL (
              SELECT 1 FROM events AS seen WHERE seen.event_id = mine.event_id LIMIT 1
          ) AS hit
      )
    RETURNING position, version
    """
"""The append, run as the driver's own SQL (``exec_driver_sql``): positional parameters cast
in the statement, so no SQLAlchemy compiling or per-element bind processing on the hot path;
still through SQLAlchemy's connection, so it joins the job's transaction."""

_SNAPSHOT_AND_STREAM_SQL = (
    "SELECT NULL::bigint, stream_id, version, type, schema_version, data, NULL::bytea,"
    " recorded_at, NULL::uuid FROM snapshots WHERE stream_id = $1"
    f" UNION ALL SELECT {_COLUMNS_SQL} FROM events WHERE stream_id = $1 AND version >"
    " coalesce((SELECT version FROM snapshots WHERE stream_id = $1), 0) ORDER BY 3"
)  # by version: the snapshot first, as every event read is newer than it

_HIGH_WATER_SQL = (
    "SELECT coalesce(pg_sequence_last_value("
    "CAST(pg_get_serial_sequence('events', 'position') AS regclass)), 0)"
)
_XMIN_SQL = "SELECT CAST(pg_snapshot_xmin(pg_current_snapshot()) AS text)"
_NEW_XID_SQL = "SELECT CAST(pg_current_xact_id() AS text)"


class PostgresRecorder(Recorder):
    """PostgreSQL: see the module docstring for how reading by position stays gapless."""

    dialect = "postgresql"
    appends_together = True

    def append(
        self,
        connection: Connection,
        stream_id: str,
        records: Sequence[StoredEvent],
        expected_version: int,
    ) -> AppendResult:
        check_batch(stream_id, records)
        if not records:
            current = self.stream_version(connection, stream_id)
            check_expected(stream_id, expected_version, current)
            return AppendResult(current, ())
        if expected_version not in (ANY, NO_STREAM) and expected_version < 0:
            check_expected(stream_id, expected_version, 0)  # raises: not a valid expectation
        moment = self.clock()
        try:
            if moment.tzinfo is None:
                raise ValueError("naive datetime given where a UTC instant is required")
            rows = connection.exec_driver_sql(
                _APPEND,
                (
                    stream_id,
                    moment.astimezone(UTC),
                    [record.type for record in records],
                    [record.schema_version for record in records],
                    [record.data for record in records],
                    [record.metadata for record in records],
                    [record.event_id for record in records],
                    0 if expected_version == NO_STREAM else expected_version,
                ),
            ).all()
            rows = list(rows)
        except sa.exc.IntegrityError as exc:  # another process won between check and insert
            raise AppendRaceError(stream_id) from exc
        if not rows:
            return self._explain_refusal(connection, stream_id, records, expected_version)
        rows.sort(key=lambda row: row[1])
        return AppendResult(rows[-1][1], tuple(row[0] for row in rows), recorded_at=moment)

    def append_together(
        self,
        connection: Connection,
        appends: Sequence[tuple[str, Sequence[StoredEvent], int]],
    ) -> list[AppendResult]:
        return append_together(connection, appends, self.clock())

    def restore_together(
        self, connection: Connection, rows: Sequence[tuple[str, int, datetime, StoredEvent]]
    ) -> list[int]:
        return restore_together(connection, rows)

    def _explain_refusal(
        self,
        connection: Connection,
        stream_id: str,
        records: Sequence[StoredEvent],
        expected_version: int,
    ) -> AppendResult:
        """The append statement wrote nothing: say whether it was a repeat or a stale version."""
        repeated = connection.execute(
            sa.select(sa.func.count()).where(
                events.c.event_id.in_([record.event_id for record in records])
            )
        ).scalar_one()
        if repeated:
            return self._acknowledge(connection, stream_id, records)
        check_expected(stream_id, expected_version, self.stream_version(connection, stream_id))
        raise AssertionError("append refused for no reason")  # pragma: no cover

    def read_stream(
        self,
        connection: Connection,
        stream_id: str,
        from_version: int = 1,
        to_version: int | None = None,
    ) -> list[RecordedEvent]:
        rows = _fetch(
            connection,
            f"SELECT {_COLUMNS_SQL} FROM events WHERE stream_id = $1 AND version >= $2 "
            "AND version <= $3 ORDER BY version",
            stream_id,
            from_version,
            2**31 - 1 if to_version is None else to_version,
        )
        return _recorded(rows)

    def event_by_id(self, connection: Connection, event_id: uuid.UUID) -> RecordedEvent | None:
        rows = _fetch(
            connection, f"SELECT {_COLUMNS_SQL} FROM events WHERE event_id = $1", event_id
        )
        return _recorded(rows)[0] if rows else None

    def events_by_ids(
        self, connection: Connection, event_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, RecordedEvent]:
        rows = _fetch(
            connection,
            f"SELECT {_COLUMNS_SQL} FROM events WHERE event_id = ANY($1::uuid[])",
            list(event_ids),
        )
        return {event.event_id: event for event in _recorded(rows)}

    def read_snapshot_and_stream(
        self, connection: Connection, stream_id: str
    ) -> tuple[Snapshot | None, list[RecordedEvent]]:
        """Both in one round trip: the snapshot's row first (its ``position`` NULL), then the
        events after its version."""
        rows = _fetch(connection, _SNAPSHOT_AND_STREAM_SQL, stream_id)
        if not rows or rows[0][0] is not None:
            return None, _recorded(rows)
        first = tuple(rows[0])
        return snapshot_of(first[1:6] + first[7:8]), _recorded(rows[1:])

    def read_ahead(
        self,
        connection: Connection,
        stream_ids: Sequence[str],
        since: Mapping[str, int] = MappingProxyType({}),
    ) -> dict[str, tuple[Snapshot | None, list[RecordedEvent]]]:
        return read_ahead(connection, stream_ids, since)

    def read_range(
        self,
        connection: Connection,
        after: int,
        limit: int,
        upto: int | None = None,
        types: Collection[str] | None = None,
    ) -> list[RecordedEvent]:
        if types is None:
            rows = _fetch(
                connection,
                f"SELECT {_COLUMNS_SQL} FROM events WHERE position > $1 AND position <= $2 "
                "ORDER BY position LIMIT $3",
                after,
                2**62 if upto is None else upto,
                limit,
            )
        else:
            rows = _fetch(
                connection,
                f"SELECT {_COLUMNS_SQL} FROM events WHERE position > $1 AND position <= $2 "
                "AND type = ANY($4::varchar[]) ORDER BY position LIMIT $3",
                after,
                2**62 if upto is None else upto,
                limit,
                sorted(types),
            )
        return _recorded(rows)

    def read_streams(
        self, connection: Connection, stream_ids: Collection[str], upto: int
    ) -> list[RecordedEvent]:
        if not stream_ids:
            return []
        rows = _fetch(
            connection,
            f"SELECT {_COLUMNS_SQL} FROM events WHERE stream_id = ANY($1::varchar[]) "
            "AND position <= $2 ORDER BY stream_id, version",
            sorted(stream_ids),
            upto,
        )
        return _recorded(rows)

    def settle(self, connection: Connection, after: int) -> tuple[int, int | None]:
        """The high-water mark ``S``, and a transaction id to wait for unless ``S`` is settled.

        ``after`` is a position already settled. When every position in ``(after, S]`` is
        visible, nothing below ``S`` can still commit and no id is taken (the common case).
        Each statement stands alone, so the id is taken after ``S`` was read.
        """
        high_water = int(_fetch(connection, _HIGH_WATER_SQL)[0][0])
        if high_water <= after:
            return after, None
        visible = _fetch(
            connection,
            "SELECT count(*) FROM events WHERE position > $1 AND position <= $2",
            after,
            high_water,
        )[0][0]
        if visible == high_water - after:
            return high_water, None
        return high_water, int(_fetch(connection, _NEW_XID_SQL)[0][0])

    def oldest_running_xid(self, connection: Connection) -> int:
        return int(_fetch(connection, _XMIN_SQL)[0][0])


class _PostgresSession(ReadSession):
    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    async def run(self, job: Job[T]) -> T:
        try:
            return await self.connection.run_sync(job)
        finally:
            await self.connection.rollback()  # end the transaction, if the job began one


class PostgresDatabase(Database):
    """PostgreSQL through asyncpg: a pool of readers and group-committing writer connections."""

    dialect = "postgresql"

    def __init__(
        self,
        url: str | sa.URL,
        *,
        pool_size: int = 10,
        max_batch: int = 256,
        writers: int = 2,
        application_name: str = "innovation",
        timeout: float = 30.0,
    ) -> None:
        self.url = make_url(url).set(drivername="postgresql+asyncpg")
        self.engine: AsyncEngine = create_async_engine(
            self.url,
            # Twice the pool, kept: connections a burst opened stay for the next one, where an
            # overflow above the pool would be closed on return and opened again (a connect,
            # with its SSL probe, in a request's time).
            pool_size=2 * pool_size,
            max_overflow=0,
            json_deserializer=msgspec.json.decode,  # as SQLite's (store/sqlite.py)
            connect_args={
                # A connection's opening and each statement's answer, bounded: a network cut
                # that sends no reset (a failover's old address, a dropped route) would leave a
                # statement waiting for ever. Timed out, it is an outage (``errors.unavailable``)
                # and its connection is replaced (``pg_reads.ended``).
                "timeout": timeout,
                "command_timeout": timeout,
                "server_settings": {
                    "application_name": application_name,
                    # Durable commits regardless of what the server's default says.
                    "synchronous_commit": "on",
                },
            },
        )
        self.reads: AsyncEngine = self.engine.execution_options(isolation_level="AUTOCOMMIT")
        """The engine read jobs run on: the same pool, each statement its own transaction.

        Under READ COMMITTED, PostgreSQL's default, every statement of a transaction takes a
        snapshot of its own anyway, so a read transaction made no two statements agree; it
        only cost a ``BEGIN`` and a ``ROLLBACK``, two round trips of a three-statement read.
        A job whose statements must agree asks for ``one_snapshot`` (``read``): a ``REPEATABLE
        READ``, read-only transaction, whose snapshot is taken at its first statement. Its
        ``BEGIN`` and ``COMMIT`` took 250 µs together, 165 of them the service's CPU, in an
        hour when ``SELECT 1`` took 120 to 150.
        """
        # Group-committing writers, at most half the pool: reads always have the rest.
        self._writers = Writers(self.engine, max(1, min(writers, pool_size)), max_batch)
        self._reads = ReadConnections(self.reads, 2 * pool_size - self._writers.count)
        self._closed = False

    @property
    def writers(self) -> int:
        """How many group-committing writers the process runs (``store/pg_writers.py``)."""
        return self._writers.count

    def recorder(self, clock: Clock = utcnow) -> Recorder:
        return PostgresRecorder(clock)

    async def write(self, job: Job[T]) -> T:
        if self._closed:
            raise DatabaseClosedError("the database is closed")
        return await self.stopped_writes.track(self._writers.write(job))

    async def read(self, job: Job[T], *, one_snapshot: bool = False) -> T:
        if self._closed:
            raise DatabaseClosedError("the database is closed")
        try:
            return await self._read_once(job, one_snapshot)
        except KeptConnectionEndedError:
            # The server ended the kept connection (a restart, an idle cut) and every kept one
            # went with it: a read changes nothing, so it runs once more, on a new connection.
            return await self._read_once(job, one_snapshot)

    async def _read_once(self, job: Job[T], one_snapshot: bool) -> T:
        async with self._reads.connection() as connection:
            if not one_snapshot:
                return await connection.run_sync(job)
            # A snapshot taken at the first statement and kept to the last. The connection is
            # in AUTOCOMMIT for SQLAlchemy, which sends no BEGIN of its own: asyncpg's
            # transaction sends it, and the COMMIT, or the ROLLBACK when the job fails.
            raw = await connection.get_raw_connection()
            async with raw.driver_connection.transaction(  # type: ignore[union-attr]
                isolation="repeatable_read", readonly=True
            ):
                return await connection.run_sync(job)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[ReadSession]:
        async with self._reads.connection() as connection:
            yield _PostgresSession(connection)

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        await self._writers.close()
        await self._reads.close()
        await self.engine.dispose()
