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

import re
from collections.abc import Sequence
from typing import Any

import asyncpg
import msgspec
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Connection
from sqlalchemy.util import await_only

from innovation.store.errors import ConcurrencyError, DuplicateEventError
from innovation.store.recorder import (
    Append,
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
      AND NOT EXISTS (
          SELECT 1 FROM unnest(:event_ids) AS mine(event_id)
          CROSS JOIN LATERAL (
              SELECT 1 FROM events AS seen WHERE seen.event_id = mine.event_id LIMIT 1
          ) AS hit
      )
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

_APPEND_MANY = sa.text(
    """
    INSERT INTO events
        (stream_id, version, type, schema_version, data, metadata, recorded_at, event_id)
    SELECT batch.stream_id, head.version + batch.ord, batch.type, batch.schema_version,
           batch.data, batch.metadata, :recorded_at, batch.event_id
    FROM (SELECT pg_current_xact_id() AS xid) AS tx
    CROSS JOIN unnest(:stream_ids, :types, :schema_versions, :datas, :metadatas, :event_ids,
                      :ords, :expected)
        AS batch(stream_id, type, schema_version, data, metadata, event_id, ord, expected)
    CROSS JOIN LATERAL (
        SELECT coalesce(max(version), 0) AS version FROM events
        WHERE events.stream_id = batch.stream_id
    ) AS head
    WHERE tx.xid IS NOT NULL
      AND (batch.expected = -2 OR head.version = batch.expected)
      AND NOT EXISTS (
          SELECT 1 FROM unnest(:stream_ids, :event_ids) AS mine(stream_id, event_id)
          CROSS JOIN LATERAL (
              SELECT 1 FROM events AS seen WHERE seen.event_id = mine.event_id LIMIT 1
          ) AS hit
          WHERE mine.stream_id = batch.stream_id
      )
    RETURNING stream_id, version, position
    """
).bindparams(
    sa.bindparam("recorded_at", type_=UTCDateTime),
    sa.bindparam("stream_ids", type_=ARRAY(sa.String)),
    sa.bindparam("types", type_=ARRAY(sa.String)),
    sa.bindparam("schema_versions", type_=ARRAY(sa.Integer)),
    sa.bindparam("datas", type_=ARRAY(sa.LargeBinary)),
    sa.bindparam("metadatas", type_=ARRAY(sa.LargeBinary)),
    sa.bindparam("event_ids", type_=ARRAY(sa.Uuid)),
    sa.bindparam("ords", type_=ARRAY(sa.Integer)),
    sa.bindparam("expected", type_=ARRAY(sa.Integer)),
)
"""Many appends to distinct streams in one statement: each one is checked (version, repeats)
and written on its own terms. The transaction id is taken in ``tx`` before any position.

Both statements look up each event id on its own (``LATERAL ... LIMIT 1``): one probe of the
unique index per event, whatever the planner believes about the table's size. A plain
``event_id = ANY(...)`` lets it pick a sequential scan while the statistics still describe a
small table, and the log outgrows them fast."""


def _alone(statement: sa.TextClause, types: dict[str, str]) -> str:
    """The statement for asyncpg itself: ``:name`` becomes ``$n::type``, in ``types`` order."""
    text = statement.text
    for number, (name, type_) in enumerate(types.items(), start=1):
        text, count = re.subn(rf":{name}\b", f"${number}::{type_}", text)
        assert count, name
    return text


_APPEND_ALONE = _alone(
    _APPEND,
    {
        "stream_id": "text",
        "recorded_at": "timestamptz",
        "types": "text[]",
        "schema_versions": "integer[]",
        "datas": "bytea[]",
        "metadatas": "bytea[]",
        "event_ids": "uuid[]",
        "expected": "integer",
    },
)
_APPEND_MANY_ALONE = _alone(
    _APPEND_MANY,
    {
        "recorded_at": "timestamptz",
        "stream_ids": "text[]",
        "types": "text[]",
        "schema_versions": "integer[]",
        "datas": "bytea[]",
        "metadatas": "bytea[]",
        "event_ids": "uuid[]",
        "ords": "integer[]",
        "expected": "integer[]",
    },
)
"""The same statements sent outside any transaction, so that each commits by itself."""

_COLUMNS_SQL = (
    "position, stream_id, version, type, schema_version, data, metadata, recorded_at, event_id"
)

_HIGH_WATER_SQL = (
    "SELECT coalesce(pg_sequence_last_value("
    "CAST(pg_get_serial_sequence('events', 'position') AS regclass)), 0)"
)
_XMIN_SQL = "SELECT CAST(pg_snapshot_xmin(pg_current_snapshot()) AS text)"
_NEW_XID_SQL = "SELECT CAST(pg_current_xact_id() AS text)"


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

    def append_many(
        self, connection: Connection, appends: Sequence[Append]
    ) -> list[tuple[bool, Any]]:
        """One statement per round of appends to distinct streams (see ``_APPEND_MANY``)."""
        outcomes: list[tuple[bool, Any] | None] = [None] * len(appends)
        pending = list(range(len(appends)))
        while pending:
            # A round holds each stream and each event id once: an append that shares either
            # with an earlier one waits for the next round, where it sees what that one wrote.
            streams: set[str] = set()
            ids: set[Any] = set()
            round_: list[int] = []
            later: list[int] = []
            for index in pending:
                stream_id, records, _ = appends[index]
                mine = {record.event_id for record in records}
                if stream_id in streams or not ids.isdisjoint(mine):
                    later.append(index)
                else:
                    round_.append(index)
                streams.add(stream_id)
                ids |= mine
            self._append_round(connection, appends, round_, outcomes)
            pending = later
        return [outcome for outcome in outcomes if outcome is not None]

    async def append_alone(
        self, driver: Any, appends: Sequence[Append]
    ) -> list[tuple[bool, Any] | None] | None:
        """The plain case in one self-committing statement: one round trip, no BEGIN/COMMIT.

        Only appends of events to distinct streams with a valid expectation qualify. An append
        the statement refused (stale version, repeated events) wrote nothing and goes down the
        usual path, which says why; so does everything when the statement fails (another
        process won a race). Connection errors are raised for the writer to reconnect.
        """
        streams = {stream_id for stream_id, _, _ in appends}
        ids = {record.event_id for _, records, _ in appends for record in records}
        if len(streams) != len(appends) or len(ids) != sum(len(r) for _, r, _ in appends):
            return None  # a stream or an event twice: rounds of the usual path sort it out
        for stream_id, records, expected in appends:
            if not records or (expected not in (ANY, NO_STREAM) and expected < 0):
                return None
            try:
                check_batch(stream_id, records)
            except DuplicateEventError:
                return None
        at = self.clock()
        try:
            if len(appends) == 1:
                [(stream_id, records, expected)] = appends
                rows = await driver.fetch(
                    _APPEND_ALONE,
                    stream_id,
                    at,
                    [record.type for record in records],
                    [record.schema_version for record in records],
                    [record.data for record in records],
                    [record.metadata for record in records],
                    [record.event_id for record in records],
                    0 if expected == NO_STREAM else expected,
                )
                written = {stream_id: [(version, position) for position, version in rows]}
            else:
                columns = _many_columns(appends)
                written = {}
                for stream_id, version, position in await driver.fetch(
                    _APPEND_MANY_ALONE, at, *columns.values()
                ):
                    written.setdefault(stream_id, []).append((version, position))
        except asyncpg.PostgresError:
            return None
        outcomes: list[tuple[bool, Any] | None] = []
        for stream_id, _, _ in appends:
            done = sorted(written.get(stream_id, []))
            if not done:
                outcomes.append(None)
                continue
            outcomes.append((True, AppendResult(done[-1][0], tuple(p for _, p in done))))
        return outcomes

    def _append_round(
        self,
        connection: Connection,
        appends: Sequence[Append],
        round_: list[int],
        outcomes: list[tuple[bool, Any] | None],
    ) -> None:
        valid: list[Append] = []
        for index in round_:
            stream_id, records, expected = appends[index]
            try:
                check_batch(stream_id, records)
                if expected not in (ANY, NO_STREAM) and expected < 0:
                    check_expected(stream_id, expected, 0)
            except Exception as refused:
                outcomes[index] = (False, refused)
                continue
            valid.append(appends[index])
        rows = _many_columns(valid)
        written: dict[str, list[tuple[int, int]]] = {}
        if rows["stream_ids"]:
            try:
                result = connection.execute(_APPEND_MANY, {"recorded_at": self.clock(), **rows})
            except sa.exc.IntegrityError as exc:  # another process won between check and insert
                raise AppendRaceError("several streams") from exc
            for stream_id, version, position in result:
                written.setdefault(stream_id, []).append((version, position))
        for index in round_:
            if outcomes[index] is not None:
                continue
            stream_id, records, expected = appends[index]
            done = sorted(written.get(stream_id, []))
            if done or not records:
                if not records:
                    current = self.stream_version(connection, stream_id)
                    try:
                        check_expected(stream_id, expected, current)
                    except ConcurrencyError as refused:
                        outcomes[index] = (False, refused)
                        continue
                    outcomes[index] = (True, AppendResult(current, ()))
                    continue
                outcomes[index] = (True, AppendResult(done[-1][0], tuple(p for _, p in done)))
                continue
            try:
                outcomes[index] = (
                    True,
                    self._explain_refusal(connection, stream_id, records, expected),
                )
            except (ConcurrencyError, DuplicateEventError) as refused:
                outcomes[index] = (False, refused)

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
        high_water = int(_fetch(connection, _HIGH_WATER_SQL)[0][0])
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
        newest = int(_fetch(connection, _NEW_XID_SQL)[0][0])
        return Page(complete, wait_for_xid=newest, settles=high_water)

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

    def _read_range(
        self, connection: Connection, after: int, limit: int, upto: int | None = None
    ) -> list[RecordedEvent]:
        rows = _fetch(
            connection,
            f"SELECT {_COLUMNS_SQL} FROM events WHERE position > $1 AND position <= $2 "
            "ORDER BY position LIMIT $3",
            after,
            2**62 if upto is None else upto,
            limit,
        )
        return _recorded(rows)

    def oldest_running_xid(self, connection: Connection) -> int:
        return int(_fetch(connection, _XMIN_SQL)[0][0])


def _fetch(connection: Connection, sql: str, *args: Any) -> list[Any]:
    """Read through asyncpg directly, from inside a job (SQLAlchemy's greenlet).

    Reads skip SQLAlchemy's per-row processing: asyncpg already returns UTC datetimes and
    UUIDs. Outside a transaction of the job's own, each such statement stands alone (and
    commits at once), which is exactly what the gap guard needs between its statements.
    """
    driver = connection.connection.driver_connection
    return await_only(driver.fetch(sql, *args))  # type: ignore[union-attr]


def _many_columns(appends: Sequence[Append]) -> dict[str, list[Any]]:
    """The arrays ``_APPEND_MANY`` unnests (in its parameters' order): one entry per event."""
    names = ("stream_ids", "types", "schema_versions", "datas", "metadatas", "event_ids")
    columns: dict[str, list[Any]] = {key: [] for key in (*names, "ords", "expected")}
    for stream_id, records, expected in appends:
        for ord_, record in enumerate(records, start=1):
            columns["stream_ids"].append(stream_id)
            columns["types"].append(record.type)
            columns["schema_versions"].append(record.schema_version)
            columns["datas"].append(record.data)
            columns["metadatas"].append(record.metadata)
            columns["event_ids"].append(record.event_id)
            columns["ords"].append(ord_)
            columns["expected"].append(0 if expected == NO_STREAM else expected)
    return columns


def _recorded(rows: Sequence[Any]) -> list[RecordedEvent]:
    return msgspec.convert([tuple(row) for row in rows], list[RecordedEvent])
