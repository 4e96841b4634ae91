"""PostgreSQL: a one-statement append, and reading the log by position without ever skipping.

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
3. It then reads the rows in ``(after, S]``. If they are contiguous, all are returned. That is
   the common case, and it costs one extra round trip for ``S``.
4. At a hole, the rows before it are returned, and the reader takes a transaction id ``N`` of
   its own (``pg_current_xact_id()``): every transaction that held a position ``<= S`` has an
   id below ``N``. Once ``pg_snapshot_xmin(pg_current_snapshot())`` has reached ``N``, all of
   them have ended. Reading on from the hole then returns what committed, and passes over for
   good only the positions ``<= S`` that are still missing, because those were rolled back.

Why not the snapshot's list of running transactions? A snapshot lists only the transactions
below its ``xmax`` (the latest *completed* id plus one), so a writer that took its id after the
last commit is running but absent from it. Waiting for ``N`` covers every running transaction.

Holes are rare (a rollback, or a commit racing the read). Writers take no lock and still commit
concurrently, so PostgreSQL's own group commit and ours (``store/database.py``) both work.
Waiting happens only on the reader's side, and only while a transaction that began before the
read is still open: a long-running write transaction delays readers at a hole, never makes them
skip. ``tests/integration/test_gapless_reading.py`` runs writers that pause between insert and
commit while a reader tails the log; constructing the recorder with ``guard_gaps=False``
switches the mechanism off, and that test then misses events.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Connection

from innovation.store.recorder import (
    AppendRaceError,
    Clock,
    Page,
    Recorder,
    check_batch,
    check_expected,
    utcnow,
)
from innovation.store.records import ANY, NO_STREAM, AppendResult, RecordedEvent, StoredEvent
from innovation.store.tables import UTCDateTime, events

_APPEND = sa.text(
    """
    INSERT INTO events
        (stream_id, version, type, schema_version, data, metadata, recorded_at, event_id)
    SELECT :stream_id, head.version + batch.ord, batch.type, batch.schema_version,
           batch.data, batch.metadata, :recorded_at, batch.event_id
    FROM (
        SELECT pg_current_xact_id() AS xid, coalesce(max(version), 0) AS version
        FROM events WHERE stream_id = :stream_id
    ) AS head
    CROSS JOIN unnest(:types, :schema_versions, :datas, :metadatas, :event_ids)
        WITH ORDINALITY AS batch(type, schema_version, data, metadata, event_id, ord)
    WHERE head.xid IS NOT NULL
      AND (CAST(:expected AS integer) = -2 OR head.version = CAST(:expected AS integer))
      AND NOT EXISTS (SELECT 1 FROM events AS seen WHERE seen.event_id = ANY(:event_ids))
    RETURNING position, version
    """
).bindparams(
    sa.bindparam("stream_id", type_=sa.String),
    sa.bindparam("recorded_at", type_=UTCDateTime),
    sa.bindparam("types", type_=ARRAY(sa.String)),
    sa.bindparam("schema_versions", type_=ARRAY(sa.Integer)),
    sa.bindparam("datas", type_=ARRAY(sa.LargeBinary)),
    sa.bindparam("metadatas", type_=ARRAY(sa.LargeBinary)),
    sa.bindparam("event_ids", type_=ARRAY(sa.Uuid)),
    sa.bindparam("expected", type_=sa.Integer),
)

_HIGH_WATER = sa.text(
    "SELECT coalesce(pg_sequence_last_value("
    "CAST(pg_get_serial_sequence('events', 'position') AS regclass)), 0)"
)

_XMIN = sa.text("SELECT CAST(pg_snapshot_xmin(pg_current_snapshot()) AS text)")
_NEW_XID = sa.text("SELECT CAST(pg_current_xact_id() AS text)")


class PostgresRecorder(Recorder):
    """PostgreSQL: see the module docstring for how reading by position stays gapless."""

    dialect = "postgresql"

    def __init__(self, clock: Clock = utcnow, *, guard_gaps: bool = True) -> None:
        super().__init__(clock)
        self.guard_gaps = guard_gaps

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
        try:
            rows = connection.execute(
                _APPEND,
                {
                    "stream_id": stream_id,
                    "recorded_at": self.clock(),
                    "types": [record.type for record in records],
                    "schema_versions": [record.schema_version for record in records],
                    "datas": [record.data for record in records],
                    "metadatas": [record.metadata for record in records],
                    "event_ids": [record.event_id for record in records],
                    "expected": 0 if expected_version == NO_STREAM else expected_version,
                },
            ).all()
            rows = list(rows)
        except sa.exc.IntegrityError as exc:  # another process won between check and insert
            raise AppendRaceError(stream_id) from exc
        if not rows:
            return self._explain_refusal(connection, stream_id, records, expected_version)
        rows.sort(key=lambda row: row[1])
        return AppendResult(rows[-1][1], tuple(row[0] for row in rows))

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

    def read_page(
        self, connection: Connection, after_position: int, limit: int, settled: int = 0
    ) -> Page:
        """Events after ``after_position`` up to the first hole that may still be filled.

        Holes at or below ``settled`` are known rollbacks (the caller waited them out).
        """
        if not self.guard_gaps:
            return Page(self._read_range(connection, after_position, limit))
        high_water = int(connection.execute(_HIGH_WATER).scalar_one())
        if high_water <= after_position:
            return Page([])
        rows = self._read_range(connection, after_position, limit, upto=high_water)
        complete: list[RecordedEvent] = []
        expected = after_position + 1
        for event in rows:
            if event.position != expected and event.position - 1 > settled:
                break  # an unsettled hole just before this event
            complete.append(event)
            expected = event.position + 1
        else:
            if len(rows) == limit or expected > high_water or high_water <= settled:
                return Page(complete)
        # Take an id: every transaction holding a position <= S has a smaller one.
        newest = int(connection.execute(_NEW_XID).scalar_one())
        return Page(complete, wait_for_xid=newest, settles=high_water)

    def oldest_running_xid(self, connection: Connection) -> int:
        return int(connection.execute(_XMIN).scalar_one())
