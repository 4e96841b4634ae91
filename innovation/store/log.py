"""The log's SQL that both backends share, as jobs: functions of a Core ``Connection``.

``Recorder`` is the one face of the log for writing and reading: the unit of work, the
readers (``store/readers.py``), the contract tests and the benchmark all call it inside
``Database`` jobs. ``SQLiteRecorder`` (``store/sqlite_log.py``) and ``PostgresRecorder``
(``store/postgres.py``) add how each backend appends and reads a range of positions.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

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
from innovation.store.tables import events, snapshots

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


class AppendRaceError(Exception):
    """Another writer committed the same stream version or event id between check and insert.

    Raised only where the database can no longer be asked (a PostgreSQL transaction aborted by
    the unique index); the pipeline runs the command again, which then sees the winner.
    """


RECORDED_COLUMNS = (
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
    """A result row (columns in ``RECORDED_COLUMNS`` order) as a ``RecordedEvent``."""
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


LAST_POSITION = sa.select(sa.func.max(events.c.position))
"""The log's end, built once (``Recorder.last_position``; SQLite's recorder asks its driver
directly, and on PostgreSQL answer keys read the sequence's high-water mark, ``settle``). A read
that wants the end beside what it reads puts it in its own statement (one snapshot, one round
trip)."""
_SNAPSHOT = sa.select(snapshots).where(snapshots.c.stream_id == sa.bindparam("stream_id"))
"""Built once: a command loads its stream's snapshot first, and building a select (and its
cache key) costs more than running it."""


def snapshot_of(row: Sequence[Any]) -> Snapshot:
    """A snapshot from its row: (stream_id, version, type, schema_version, data, recorded_at)."""
    stream_id, version, kind, schema_version, data, recorded_at = row
    return Snapshot(
        stream_id=stream_id,
        version=version,
        type=kind,
        schema_version=schema_version,
        data=data,
        recorded_at=recorded_at,
    )


class Recorder:
    """What both backends share: reading streams, versions, positions and snapshots."""

    dialect = ""
    appends_together = False
    """Whether ``append_together`` makes several streams' appends in one statement, and a
    write batch's commands may leave their appends to it (``store/appends.py``)."""

    def __init__(self, clock: Clock = utcnow) -> None:
        self.clock = clock
        self._read_stream = (
            sa.select(*RECORDED_COLUMNS)
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

    def append_together(
        self,
        connection: Connection,
        appends: Sequence[tuple[str, Sequence[StoredEvent], int]],
    ) -> list[AppendResult]:
        """Each (stream, events, expected version) appended, in one statement, in order; raises
        ``AppendsRefusedError`` unless every one was written whole."""
        raise NotImplementedError

    def restore_together(
        self, connection: Connection, rows: Sequence[tuple[str, int, datetime, StoredEvent]]
    ) -> list[int]:
        """Events restored as they were, (stream, version, recorded at, event) in log order, a
        statement for them all: their positions. Each must follow its stream's head (or the
        event before it in ``rows``) and be new to the log; raises ``AppendsRefusedError``
        unless every one was written, having written none (made one by one, each says why)."""
        raise NotImplementedError

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

    def read_range(
        self,
        connection: Connection,
        after: int,
        limit: int,
        upto: int | None = None,
        types: Collection[str] | None = None,
    ) -> list[RecordedEvent]:
        """Up to ``limit`` events after ``after`` in position order; only ``types`` if given,
        so a reader that folds a few types never fetches or decodes the others."""
        query = sa.select(*RECORDED_COLUMNS).where(events.c.position > after)
        if upto is not None:
            query = query.where(events.c.position <= upto)
        if types is not None:
            query = query.where(events.c.type.in_(sorted(types)))
        rows = connection.execute(query.order_by(events.c.position).limit(limit))
        return [to_recorded(row) for row in rows]

    def read_streams(
        self, connection: Connection, stream_ids: Collection[str], upto: int
    ) -> list[RecordedEvent]:
        """Every event of ``stream_ids`` up to position ``upto``, stream by stream in version
        order (the unique index's): the narrow second read of a reader that skipped those
        streams' commonest events."""
        if not stream_ids:
            return []
        rows = connection.execute(
            sa.select(*RECORDED_COLUMNS)
            .where(events.c.stream_id.in_(sorted(stream_ids)))
            .where(events.c.position <= upto)
            .order_by(events.c.stream_id, events.c.version)
        )
        return [to_recorded(row) for row in rows]

    def settle(self, connection: Connection, after: int) -> tuple[int, int | None]:
        """The end of the log, and a transaction id to wait for before it is settled.

        Here (SQLite) positions commit in order, so the end is always settled: ``None``.
        ``PostgresRecorder`` says when it is not; ``store/readers.py`` does the waiting.
        """
        return max(after, self.last_position(connection)), None

    def oldest_running_xid(self, connection: Connection) -> int:
        """The oldest transaction id still running (only where ``settle`` asks to wait)."""
        raise NotImplementedError

    def last_position(self, connection: Connection) -> int:
        return int(connection.execute(LAST_POSITION).scalar() or 0)

    def position_at(self, connection: Connection, moment: datetime) -> int:
        """The last position recorded at or before ``moment``."""
        return int(
            connection.execute(
                sa.select(sa.func.max(events.c.position)).where(events.c.recorded_at <= moment)
            ).scalar()
            or 0
        )

    def event_by_id(self, connection: Connection, event_id: uuid.UUID) -> RecordedEvent | None:
        """The logged event of that id, if any: asked by every command that carries a
        ``clientMutationId`` (is it a resend?), so each backend asks its driver directly."""
        raise NotImplementedError

    def events_by_ids(
        self, connection: Connection, event_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, RecordedEvent]:
        """The logged events of those ids, by id, in one statement: a write batch's resend
        checks asked at once (only where ``appends_together``: PostgreSQL)."""
        raise NotImplementedError

    # -- snapshots -----------------------------------------------------------------------------

    def read_snapshot_and_stream(
        self, connection: Connection, stream_id: str
    ) -> tuple[Snapshot | None, list[RecordedEvent]]:
        """A stream's snapshot, if any, and its events after the snapshot's version (all of
        them without one): what a command loads first. PostgreSQL reads both in one statement."""
        snapshot = self.read_snapshot(connection, stream_id)
        after = snapshot.version + 1 if snapshot is not None else 1
        return snapshot, self.read_stream(connection, stream_id, from_version=after)

    def read_ahead(
        self,
        connection: Connection,
        stream_ids: Sequence[str],
        since: Mapping[str, int] = MappingProxyType({}),
    ) -> dict[str, tuple[Snapshot | None, list[RecordedEvent]]]:
        """``read_snapshot_and_stream`` of each stream, in one statement: what a write batch's
        commands will load (only where ``appends_together``: PostgreSQL). A stream ``since``
        gives a version for is read from that version on instead, without its snapshot: the
        version of a state the process kept (``streams.KeptStates``)."""
        raise NotImplementedError

    def read_snapshot(self, connection: Connection, stream_id: str) -> Snapshot | None:
        row = connection.execute(_SNAPSHOT, {"stream_id": stream_id}).first()
        return None if row is None else snapshot_of(tuple(row))

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
