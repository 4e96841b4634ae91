"""The log's SQL, as jobs: synchronous functions of a Core ``Connection`` run by ``Database``.

``Recorder`` holds what both backends share; ``SQLiteRecorder`` and ``PostgresRecorder``
(in ``store/postgres.py``) hold how each appends and how each reads the whole log in order.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import msgspec
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from innovation.store.errors import ConcurrencyError, DuplicateEventError
from innovation.store.records import (
    ANY,
    NO_STREAM,
    AppendResult,
    RecordedEvent,
    Snapshot,
    StoredEvent,
)
from innovation.store.tables import checkpoints, events, snapshots

Clock = Callable[[], datetime]
Append = tuple[str, Sequence[StoredEvent], int]
"""One append of a batch: (stream id, events, expected version)."""


def utcnow() -> datetime:
    return datetime.now(UTC)


class Page(msgspec.Struct, frozen=True):
    """Events read from the log in position order, and whether reading stopped at a hole.

    When a page ends at a position that may still commit (PostgreSQL), ``wait_for_xid`` is set.
    Once every transaction below that id has ended, holes up to ``settles`` are rollbacks, and
    reading may go on past them.
    """

    events: list[RecordedEvent]
    wait_for_xid: int | None = None
    settles: int = 0


class AppendRaceError(Exception):
    """Another writer committed the same stream version or event id between check and insert.

    Raised only where the database can no longer be asked (a PostgreSQL transaction aborted by
    the unique index); ``EventStore`` runs the append again, which then classifies it.
    """


_COLUMNS = (
    events.c.position,
    events.c.stream_id,
    events.c.version,
    events.c.type,
    events.c.schema_version,
    events.c.data,
    events.c.metadata,
    events.c.recorded_at,
    events.c.event_id,
)


def to_recorded(row: Any) -> RecordedEvent:
    """A result row (columns in ``_COLUMNS`` order) as a ``RecordedEvent``."""
    return RecordedEvent(
        position=row[0],
        stream_id=row[1],
        version=row[2],
        type=row[3],
        schema_version=row[4],
        data=row[5],
        metadata=row[6],
        raw_recorded_at=row[7],
        raw_event_id=row[8],
    )


def check_batch(stream_id: str, records: Sequence[StoredEvent]) -> None:
    """One append may not carry the same event twice."""
    ids = [record.event_id for record in records]
    if len(set(ids)) != len(ids):
        twice = sorted({str(event_id) for event_id in ids if ids.count(event_id) > 1})
        raise DuplicateEventError(stream_id, twice)


def check_expected(stream_id: str, expected: int, actual: int) -> None:
    if expected == ANY:
        return
    wanted = 0 if expected == NO_STREAM else expected
    if wanted < 0:
        raise ValueError(f"expected_version must be >= 0, NO_STREAM or ANY, not {expected}")
    if actual != wanted:
        raise ConcurrencyError(stream_id, expected, actual)


class Recorder:
    """What both backends share: reading streams, versions, snapshots and checkpoints."""

    dialect = ""

    def __init__(self, clock: Clock = utcnow) -> None:
        self.clock = clock
        self._read_stream = (
            sa.select(*_COLUMNS)
            .where(events.c.stream_id == sa.bindparam("stream_id"))
            .where(events.c.version >= sa.bindparam("low"))
            .where(events.c.version <= sa.bindparam("high"))
            .order_by(events.c.version)
        )

    # -- writing -------------------------------------------------------------------------------

    def append(
        self,
        connection: Connection,
        stream_id: str,
        records: Sequence[StoredEvent],
        expected_version: int,
    ) -> AppendResult:
        raise NotImplementedError

    def append_many(
        self, connection: Connection, appends: Sequence[Append]
    ) -> list[tuple[bool, Any]]:
        """Several appends in one go; each succeeds or is refused on its own, in order.

        Returns ``(True, AppendResult)`` or ``(False, error)`` per append. Each append runs
        under its own savepoint, so a refused one leaves nothing behind.
        """
        driver = _driver(connection)
        outcomes: list[tuple[bool, Any]] = []
        for stream_id, records, expected in appends:
            driver.execute("SAVEPOINT append")
            try:
                result = self.append(connection, stream_id, records, expected)
            except (ConcurrencyError, DuplicateEventError, AppendRaceError) as refused:
                driver.execute("ROLLBACK TO append")
                outcomes.append((False, refused))
            else:
                outcomes.append((True, result))
            driver.execute("RELEASE append")
        return outcomes

    async def append_alone(
        self, driver: Any, appends: Sequence[Append]
    ) -> list[tuple[bool, Any] | None] | None:
        """Appends as statements that commit on their own, on the driver's connection (see
        ``MergeableJob.run_alone``). ``None`` declines: this backend has no such path."""
        return None

    def _acknowledge(
        self, connection: Connection, stream_id: str, records: Sequence[StoredEvent]
    ) -> AppendResult:
        """The append repeats logged events: acknowledge an exact repeat, refuse anything else."""
        ids = [record.event_id for record in records]
        found = {
            row.event_id: row
            for row in connection.execute(
                sa.select(
                    events.c.event_id, events.c.stream_id, events.c.version, events.c.position
                ).where(events.c.event_id.in_(ids))
            )
        }
        rows = [found.get(event_id) for event_id in ids]
        exact = all(row is not None and row.stream_id == stream_id for row in rows) and all(
            rows[i + 1].version == rows[i].version + 1  # type: ignore[union-attr]
            for i in range(len(rows) - 1)
        )
        if not exact:
            raise DuplicateEventError(stream_id, [str(event_id) for event_id in found])
        return AppendResult(
            rows[-1].version,  # type: ignore[union-attr]
            tuple(row.position for row in rows),  # type: ignore[union-attr]
            written=False,
        )

    # -- reading -------------------------------------------------------------------------------

    def stream_version(self, connection: Connection, stream_id: str) -> int:
        version = connection.execute(
            sa.select(sa.func.max(events.c.version)).where(events.c.stream_id == stream_id)
        ).scalar()
        return int(version or 0)

    def read_stream(
        self,
        connection: Connection,
        stream_id: str,
        from_version: int = 1,
        to_version: int | None = None,
    ) -> list[RecordedEvent]:
        result = connection.execute(
            self._read_stream,
            {
                "stream_id": stream_id,
                "low": from_version,
                "high": 2**31 - 1 if to_version is None else to_version,
            },
        )
        return [to_recorded(row) for row in result]

    def read_page(
        self, connection: Connection, after_position: int, limit: int, settled: int = 0
    ) -> Page:
        """Up to ``limit`` events after ``after_position``, never past an event still to commit."""
        raise NotImplementedError

    def read_committed_page(
        self, connection: Connection, after_position: int, limit: int
    ) -> list[RecordedEvent]:
        """What this transaction can see after a position, for work inside one transaction.

        No gap guard: a caller that tails the log must use ``read_page`` (``read_all``). A
        rebuild that locks the read models meanwhile may use this, because writers it cannot
        see wait on those locks and project their own events after it.
        """
        return self._read_range(connection, after_position, limit)

    def _read_range(
        self, connection: Connection, after: int, limit: int, upto: int | None = None
    ) -> list[RecordedEvent]:
        query = sa.select(*_COLUMNS).where(events.c.position > after)
        if upto is not None:
            query = query.where(events.c.position <= upto)
        rows = connection.execute(query.order_by(events.c.position).limit(limit))
        return [to_recorded(row) for row in rows]

    def last_position(self, connection: Connection) -> int:
        return int(connection.execute(sa.select(sa.func.max(events.c.position))).scalar() or 0)

    def position_at(self, connection: Connection, moment: datetime) -> int:
        """The last position recorded at or before ``moment``."""
        return int(
            connection.execute(
                sa.select(sa.func.max(events.c.position)).where(events.c.recorded_at <= moment)
            ).scalar()
            or 0
        )

    def event_by_id(self, connection: Connection, event_id: uuid.UUID) -> RecordedEvent | None:
        row = connection.execute(sa.select(*_COLUMNS).where(events.c.event_id == event_id)).first()
        return None if row is None else to_recorded(row)

    # -- snapshots -----------------------------------------------------------------------------

    def read_snapshot(self, connection: Connection, stream_id: str) -> Snapshot | None:
        row = connection.execute(
            sa.select(snapshots).where(snapshots.c.stream_id == stream_id)
        ).first()
        if row is None:
            return None
        return Snapshot(
            stream_id=row.stream_id,
            version=row.version,
            type=row.type,
            schema_version=row.schema_version,
            data=row.data,
            recorded_at=row.recorded_at,
        )

    def write_snapshot(self, connection: Connection, snapshot: Snapshot) -> None:
        """Keep the newest snapshot of a stream; an older one never replaces a newer one."""
        values = {
            "stream_id": snapshot.stream_id,
            "version": snapshot.version,
            "type": snapshot.type,
            "schema_version": snapshot.schema_version,
            "data": snapshot.data,
            "recorded_at": snapshot.recorded_at,
        }
        updated = connection.execute(
            snapshots.update()
            .where(snapshots.c.stream_id == snapshot.stream_id)
            .where(snapshots.c.version <= snapshot.version)
            .values(values)
        )
        if updated.rowcount == 0:
            exists = connection.execute(
                sa.select(snapshots.c.version).where(snapshots.c.stream_id == snapshot.stream_id)
            ).first()
            if exists is None:
                connection.execute(snapshots.insert().values(values))

    # -- checkpoints ---------------------------------------------------------------------------

    def checkpoint(self, connection: Connection, reader: str) -> int:
        position = connection.execute(
            sa.select(checkpoints.c.position).where(checkpoints.c.reader == reader)
        ).scalar()
        return int(position or 0)

    def save_checkpoint(self, connection: Connection, reader: str, position: int) -> None:
        """Move a reader's checkpoint forward (never back), in the caller's transaction."""
        now = self.clock()
        updated = connection.execute(
            checkpoints.update()
            .where(checkpoints.c.reader == reader)
            .where(checkpoints.c.position <= position)
            .values(position=position, updated_at=now)
        )
        if updated.rowcount == 0 and self.checkpoint(connection, reader) == 0:
            exists = connection.execute(
                sa.select(checkpoints.c.reader).where(checkpoints.c.reader == reader)
            ).first()
            if exists is None:
                connection.execute(
                    checkpoints.insert().values(reader=reader, position=position, updated_at=now)
                )


class SQLiteRecorder(Recorder):
    """SQLite: one writer at a time holds the write lock, so positions commit in order.

    Positions are rowids handed out under the write lock (``BEGIN IMMEDIATE``) and become
    visible only when that writer commits, after every lower position; reading by position is
    gapless with no further work.

    The hot paths (append, reading a stream, reading a page of the log) run their SQL, written
    from the Core table, on the driver's own cursor. They store exactly what SQLAlchemy stores
    (UUIDs as 32 hex digits, instants as naive UTC text), and msgspec turns a page of rows
    into ``RecordedEvent``s in one call. That skips SQLAlchemy's per-row type processing,
    which cost more than the queries themselves.
    """

    dialect = "sqlite"
    _SELECT = (
        "SELECT position, stream_id, version, type, schema_version, data, metadata, "
        f"recorded_at, event_id FROM {events.name}"
    )
    _INSERT = (
        f"INSERT INTO {events.name} (stream_id, version, type, schema_version, data, "
        "metadata, recorded_at, event_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
    )

    def append(
        self,
        connection: Connection,
        stream_id: str,
        records: Sequence[StoredEvent],
        expected_version: int,
    ) -> AppendResult:
        check_batch(stream_id, records)
        cursor = _driver(connection).cursor()
        ids = [record.event_id.hex for record in records]
        marks = ", ".join("?" * len(ids)) or "NULL"
        current, repeated = cursor.execute(
            f"SELECT (SELECT coalesce(max(version), 0) FROM {events.name} WHERE stream_id = ?), "
            f"(SELECT count(*) FROM {events.name} WHERE event_id IN ({marks}))",
            (stream_id, *ids),
        ).fetchone()
        if repeated:
            return self._acknowledge(connection, stream_id, records)
        check_expected(stream_id, expected_version, current)
        if not records:
            return AppendResult(current, ())
        now = _sqlite_instant(self.clock())
        try:
            cursor.executemany(
                self._INSERT,
                [
                    (
                        stream_id,
                        current + offset,
                        record.type,
                        record.schema_version,
                        record.data,
                        record.metadata,
                        now,
                        event_id,
                    )
                    for offset, (record, event_id) in enumerate(zip(records, ids, strict=True), 1)
                ],
            )
        except sqlite3.IntegrityError as exc:  # another process won between check and insert
            raise AppendRaceError(stream_id) from exc
        last = int(cursor.execute("SELECT last_insert_rowid()").fetchone()[0])
        count = len(records)
        return AppendResult(current + count, tuple(range(last - count + 1, last + 1)))

    def append_many(
        self, connection: Connection, appends: Sequence[Append]
    ) -> list[tuple[bool, Any]]:
        """Appends to distinct streams checked by two queries and written by one ``executemany``.

        The write lock is held, so nothing can change between the checks and the insert. An
        append that repeats logged events, or anything out of the plain case (a stream twice,
        no events, a bad expectation), takes the one-by-one path, which says what happened.
        """
        streams = [stream_id for stream_id, _, _ in appends]
        plain = len(set(streams)) == len(streams) and all(
            records and (expected in (ANY, NO_STREAM) or expected >= 0)
            for _, records, expected in appends
        )
        if not plain:
            return super().append_many(connection, appends)
        outcomes: list[tuple[bool, Any] | None] = [None] * len(appends)
        ids: list[list[str]] = []
        for index, (stream_id, records, _) in enumerate(appends):
            ids.append([record.event_id.hex for record in records])
            try:
                check_batch(stream_id, records)
            except DuplicateEventError as refused:
                outcomes[index] = (False, refused)
        cursor = _driver(connection).cursor()
        current = dict(
            cursor.execute(
                f"SELECT stream_id, max(version) FROM {events.name} "
                f"WHERE stream_id IN ({', '.join('?' * len(streams))}) GROUP BY stream_id",
                streams,
            ).fetchall()
        )
        every_id = [event_id for batch in ids for event_id in batch]
        seen = {
            row[0]
            for start in range(0, len(every_id), 500)  # under SQLite's limit of bound values
            for row in cursor.execute(
                f"SELECT event_id FROM {events.name} WHERE event_id IN "
                f"({', '.join('?' * len(every_id[start : start + 500]))})",
                every_id[start : start + 500],
            )
        }
        rows: list[tuple[Any, ...]] = []
        writing: list[tuple[int, int, int]] = []  # (index, first version, count)
        now = _sqlite_instant(self.clock())
        retry: list[int] = []
        for index, (stream_id, records, expected) in enumerate(appends):
            if outcomes[index] is not None:
                continue
            if seen.intersection(ids[index]):
                retry.append(index)
                continue
            version = current.get(stream_id, 0)
            try:
                check_expected(stream_id, expected, version)
            except ConcurrencyError as refused:
                outcomes[index] = (False, refused)
                continue
            writing.append((index, version, len(records)))
            rows.extend(
                (
                    stream_id,
                    version + offset,
                    record.type,
                    record.schema_version,
                    record.data,
                    record.metadata,
                    now,
                    event_id,
                )
                for offset, (record, event_id) in enumerate(
                    zip(records, ids[index], strict=True), 1
                )
            )
        if rows:
            cursor.execute("SAVEPOINT merged")
            try:
                cursor.executemany(self._INSERT, rows)
            except sqlite3.IntegrityError:  # another writer got in after all: one by one
                cursor.execute("ROLLBACK TO merged")
                retry.extend(index for index, _, _ in writing)
                writing = []
            else:
                # Rowids handed out under the write lock to one statement's rows are consecutive.
                last = int(cursor.execute("SELECT last_insert_rowid()").fetchone()[0])
                position = last - len(rows)
                for index, version, count in writing:
                    positions = tuple(range(position + 1, position + count + 1))
                    outcomes[index] = (True, AppendResult(version + count, positions))
                    position += count
            cursor.execute("RELEASE merged")
        if retry:
            retry.sort()
            for index, outcome in zip(
                retry, super().append_many(connection, [appends[i] for i in retry]), strict=True
            ):
                outcomes[index] = outcome
        return [outcome for outcome in outcomes if outcome is not None]

    def read_stream(
        self,
        connection: Connection,
        stream_id: str,
        from_version: int = 1,
        to_version: int | None = None,
    ) -> list[RecordedEvent]:
        rows = (
            _driver(connection)
            .execute(
                f"{self._SELECT} WHERE stream_id = ? AND version >= ? AND version <= ? "
                "ORDER BY version",
                (stream_id, from_version, 2**31 - 1 if to_version is None else to_version),
            )
            .fetchall()
        )
        return _recorded(rows)

    def _read_range(
        self, connection: Connection, after: int, limit: int, upto: int | None = None
    ) -> list[RecordedEvent]:
        rows = (
            _driver(connection)
            .execute(
                f"{self._SELECT} WHERE position > ? AND position <= ? ORDER BY position LIMIT ?",
                (after, 2**62 if upto is None else upto, limit),
            )
            .fetchall()
        )
        return _recorded(rows)

    def read_page(
        self, connection: Connection, after_position: int, limit: int, settled: int = 0
    ) -> Page:
        return Page(self._read_range(connection, after_position, limit))


def _driver(connection: Connection) -> Any:
    driver = connection.connection.driver_connection
    assert driver is not None
    return driver


def _sqlite_instant(moment: datetime) -> str:
    """An instant as SQLAlchemy's SQLite DateTime stores it: naive UTC, microseconds."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


_PAGE = list[RecordedEvent]


def _recorded(rows: list[Any]) -> list[RecordedEvent]:
    """Driver rows (columns in ``_COLUMNS`` order) as events, converted in one call."""
    return msgspec.convert(rows, _PAGE, strict=False)


def recorder_for(dialect: str, clock: Clock = utcnow, **options: bool) -> Recorder:
    if dialect == "sqlite":
        return SQLiteRecorder(clock)
    if dialect == "postgresql":
        from innovation.store.postgres import PostgresRecorder

        return PostgresRecorder(clock, **options)
    raise ValueError(f"no recorder for {dialect!r}")
