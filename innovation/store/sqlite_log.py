"""SQLite: the log's SQL (``SQLiteRecorder``), run on the driver's own cursor."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Collection, Sequence
from datetime import UTC, datetime
from typing import Any

import msgspec
from sqlalchemy.engine import Connection

from innovation.store.appends import AppendsRefusedError
from innovation.store.log import AppendRaceError, Recorder, check_batch, check_expected
from innovation.store.records import AppendResult, RecordedEvent, StoredEvent
from innovation.store.tables import events


class SQLiteRecorder(Recorder):
    """SQLite: positions are rowids handed out under the write lock (``BEGIN IMMEDIATE``),
    visible only when that writer commits, after every lower one: gapless with no more work.

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
    _LAST = f"SELECT max(position) FROM {events.name}"
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
        cursor = driver(connection).cursor()
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
        moment = self.clock()
        now = _sqlite_instant(moment)
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
        return AppendResult(
            current + count, tuple(range(last - count + 1, last + 1)), recorded_at=moment
        )

    def read_stream(
        self,
        connection: Connection,
        stream_id: str,
        from_version: int = 1,
        to_version: int | None = None,
    ) -> list[RecordedEvent]:
        rows = (
            driver(connection)
            .execute(
                f"{self._SELECT} WHERE stream_id = ? AND version >= ? AND version <= ? "
                "ORDER BY version",
                (stream_id, from_version, 2**31 - 1 if to_version is None else to_version),
            )
            .fetchall()
        )
        return _recorded(rows)

    def restore_together(
        self, connection: Connection, rows: Sequence[tuple[str, int, datetime, StoredEvent]]
    ) -> list[int]:
        """Checked whole first (each stream's head and the ids, a statement each), then written
        in one ``executemany``: a refusal has written nothing."""
        if not rows:
            return []
        cursor = driver(connection).cursor()
        streams = sorted({stream_id for stream_id, *_ in rows})
        ids = [record.event_id.hex for *_, record in rows]
        heads: dict[str, int] = dict(
            cursor.execute(
                f"SELECT stream_id, max(version) FROM {events.name} WHERE stream_id IN "
                f"({', '.join('?' * len(streams))}) GROUP BY stream_id",
                streams,
            ).fetchall()
        )
        logged = cursor.execute(
            f"SELECT count(*) FROM {events.name} WHERE event_id IN ({', '.join('?' * len(ids))})",
            ids,
        ).fetchone()[0]
        seen: set[str] = set()
        values = []
        for (stream_id, version, recorded_at, record), event_id in zip(rows, ids, strict=True):
            if logged or event_id in seen or version != heads.get(stream_id, 0) + 1:
                raise AppendsRefusedError(stream_id)
            if recorded_at.tzinfo is None:
                raise ValueError("naive datetime given where a UTC instant is required")
            heads[stream_id] = version
            seen.add(event_id)
            values.append(
                (
                    stream_id,
                    version,
                    record.type,
                    record.schema_version,
                    record.data,
                    record.metadata,
                    _sqlite_instant(recorded_at),
                    event_id,
                )
            )
        cursor.executemany(self._INSERT, values)
        last = int(cursor.execute("SELECT last_insert_rowid()").fetchone()[0])
        return list(range(last - len(values) + 1, last + 1))

    def last_position(self, connection: Connection) -> int:
        # Every cached answer's key looks it up: 3 us here against 18 through SQLAlchemy.
        (last,) = driver(connection).execute(self._LAST).fetchone()
        return int(last or 0)

    def event_by_id(self, connection: Connection, event_id: uuid.UUID) -> RecordedEvent | None:
        rows = (
            driver(connection)
            .execute(f"{self._SELECT} WHERE event_id = ?", (event_id.hex,))
            .fetchall()
        )
        return _recorded(rows)[0] if rows else None

    def read_range(
        self,
        connection: Connection,
        after: int,
        limit: int,
        upto: int | None = None,
        types: Collection[str] | None = None,
    ) -> list[RecordedEvent]:
        names = () if types is None else tuple(sorted(types))
        only = (
            f" AND type IN ({', '.join('?' * len(names)) or 'NULL'})" if types is not None else ""
        )
        rows = (
            driver(connection)
            .execute(
                f"{self._SELECT} WHERE position > ? AND position <= ?{only} "
                "ORDER BY position LIMIT ?",
                (after, 2**62 if upto is None else upto, *names, limit),
            )
            .fetchall()
        )
        return _recorded(rows)

    def read_streams(
        self, connection: Connection, stream_ids: Collection[str], upto: int
    ) -> list[RecordedEvent]:
        if not stream_ids:
            return []
        ids = tuple(sorted(stream_ids))
        rows = (
            driver(connection)
            .execute(
                f"{self._SELECT} WHERE stream_id IN ({', '.join('?' * len(ids))}) "
                "AND position <= ? ORDER BY stream_id, version",
                (*ids, upto),
            )
            .fetchall()
        )
        return _recorded(rows)


def driver(connection: Connection) -> Any:
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
