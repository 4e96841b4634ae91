"""PostgreSQL's statements for a write batch's commands as a whole: their appends, made in
one statement (``store/appends.py``), and the streams they will load, read in one; with the
way a job reads through asyncpg directly, which the log's other statements share
(``store/postgres.py``)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import msgspec
import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.util import await_only

from innovation.store.appends import AppendsRefusedError
from innovation.store.log import check_batch, check_expected, snapshot_of
from innovation.store.records import (
    ANY,
    NO_STREAM,
    AppendResult,
    RecordedEvent,
    Snapshot,
    StoredEvent,
)

COLUMNS_SQL = (
    "position, stream_id, version, type, schema_version, data, metadata, recorded_at, event_id"
)


def _appending(recorded_at: str, times: str = "") -> str:
    """The statement of several streams' appends, each row recorded at ``recorded_at``
    (``times`` adds an array of instants, one a row, as ``batch.recorded_at``)."""
    return f"""
    INSERT INTO events
        (stream_id, version, type, schema_version, data, metadata, recorded_at, event_id)
    SELECT batch.stream_id, head.version + batch.ord, batch.type, batch.schema_version,
           batch.data, batch.metadata, {recorded_at}, batch.event_id
    FROM (SELECT pg_current_xact_id() AS xid) AS me
    CROSS JOIN unnest($2::varchar[], $3::integer[], $4::integer[], $5::varchar[],
                      $6::integer[], $7::bytea[], $8::bytea[], $9::uuid[]{times})
        WITH ORDINALITY AS batch(
            stream_id, expected, ord, type, schema_version, data, metadata, event_id,
            {"recorded_at, " if times else ""}n)
    CROSS JOIN LATERAL (
        SELECT coalesce(max(events.version), 0) AS version
        FROM events WHERE events.stream_id = batch.stream_id
    ) AS head
    CROSS JOIN LATERAL (
        SELECT count(*) AS n FROM events AS seen WHERE seen.event_id = batch.event_id
    ) AS repeated
    WHERE me.xid IS NOT NULL
      AND (batch.expected = -2 OR head.version = batch.expected)
      AND repeated.n = 0
    ORDER BY batch.n
    RETURNING position, stream_id, version
    """


APPEND_TOGETHER = _appending("$1::timestamptz")
"""Several streams' appends at once (``store/appends.py``), ``store/postgres.py``'s ``_APPEND``
row by row. The transaction id is taken before the first row reaches the insert (and so before
the first ``nextval``), rows are inserted in the order given (each stream's events in version
order), each stream's head and each event id are looked up by index (the lateral subqueries),
and a row whose stream moved or whose event is logged already is left out: the caller sees
which."""

RESTORE_TOGETHER = _appending("batch.recorded_at", ", $1::timestamptz[]")
"""``APPEND_TOGETHER`` with each event's own recording time: a restore's events, as they were
recorded in the log they come from."""


SNAPSHOTS_AND_STREAMS_SQL = (
    "SELECT NULL::bigint, stream_id, version, type, schema_version, data, NULL::bytea,"
    " recorded_at, NULL::uuid FROM snapshots WHERE stream_id = ANY($3::varchar[])"
    f" UNION ALL SELECT e.{COLUMNS_SQL.replace(', ', ', e.')}"
    " FROM unnest($1::varchar[], $2::int[]) AS wanted(stream_id, from_version)"
    " CROSS JOIN LATERAL ("
    f" SELECT {COLUMNS_SQL} FROM events WHERE events.stream_id = wanted.stream_id"
    " AND events.version >= coalesce(wanted.from_version, ("
    "SELECT version + 1 FROM snapshots WHERE snapshots.stream_id = wanted.stream_id), 1)) AS e"
    " ORDER BY 2, 3"
)  # by stream, then version: each stream's snapshot before its events, all newer than it
"""``store/postgres.py``'s ``_SNAPSHOT_AND_STREAM_SQL`` for several streams at once (a write
batch reading ahead); a stream given a version to read from is read from there, without its
snapshot (``$2``: each stream's, or NULL; ``$3``: the streams read from their snapshots)."""


def fetch(connection: Connection, sql: str, *args: Any) -> list[Any]:
    """Read through asyncpg directly, from inside a job (SQLAlchemy's greenlet).

    Reads skip SQLAlchemy's per-row processing: asyncpg already returns UTC datetimes and
    UUIDs. Outside a transaction of the job's own, each such statement stands alone (and
    commits at once), which is exactly what the gap guard needs between its statements.
    """
    driver = connection.connection.driver_connection
    return await_only(driver.fetch(sql, *args))  # type: ignore[union-attr]


def recorded(rows: Sequence[Any]) -> list[RecordedEvent]:
    return msgspec.convert([tuple(row) for row in rows], list[RecordedEvent])


def _columns(rows: Iterable[tuple[str, int, int, StoredEvent]]) -> tuple[list[Any], ...]:
    """The arrays ``APPEND_TOGETHER`` unnests, from each row's stream, expected version (the
    stream's head before the statement), ordinal in its stream and event."""
    columns: tuple[list[Any], ...] = ([], [], [], [], [], [], [], [])
    streams, expected, ords, types, schemas, data, metadata, ids = columns
    for stream_id, wanted, ordinal, record in rows:
        streams.append(stream_id)
        expected.append(wanted)
        ords.append(ordinal)
        types.append(record.type)
        schemas.append(record.schema_version)
        data.append(record.data)
        metadata.append(record.metadata)
        ids.append(record.event_id)
    return columns


def append_together(
    connection: Connection,
    appends: Sequence[tuple[str, Sequence[StoredEvent], int]],
    moment: datetime,
) -> list[AppendResult]:
    """``Recorder.append_together`` on PostgreSQL, its events recorded at ``moment``."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime given where a UTC instant is required")

    def each() -> Iterator[tuple[str, int, int, StoredEvent]]:
        for stream_id, records, expected_version in appends:
            check_batch(stream_id, records)
            if expected_version not in (ANY, NO_STREAM) and expected_version < 0:
                check_expected(stream_id, expected_version, 0)  # raises
            wanted = 0 if expected_version == NO_STREAM else expected_version
            for ordinal, record in enumerate(records, start=1):
                yield stream_id, wanted, ordinal, record

    columns = _columns(each())
    rows = connection.exec_driver_sql(APPEND_TOGETHER, (moment.astimezone(UTC), *columns)).all()
    written: dict[str, list[tuple[int, int]]] = {}
    for position, stream_id, version in rows:
        written.setdefault(stream_id, []).append((version, position))
    results = []
    for stream_id, records, _ in appends:
        made = sorted(written.get(stream_id, ()))
        if len(made) != len(records):
            raise AppendsRefusedError(stream_id)
        results.append(AppendResult(made[-1][0], tuple(p for _, p in made), recorded_at=moment))
    return results


def restore_together(
    connection: Connection, rows: Sequence[tuple[str, int, datetime, StoredEvent]]
) -> list[int]:
    """Events restored as they were, (stream, version, recorded at, event) in log order,
    appended in one statement: their positions, in the same order. Each must follow its
    stream's head (or the event before it in ``rows``) and be new to the log; raises
    ``AppendsRefusedError`` unless every one was written, having written none."""
    times: list[datetime] = []
    seen: dict[str, int] = {}

    def each() -> Iterator[tuple[str, int, int, StoredEvent]]:
        for stream_id, version, recorded_at, record in rows:
            ordinal = seen[stream_id] = seen.get(stream_id, 0) + 1
            if version - ordinal < 0:  # not after the stream's head, whatever it is
                raise AppendsRefusedError(stream_id)
            if recorded_at.tzinfo is None:
                raise ValueError("naive datetime given where a UTC instant is required")
            times.append(recorded_at.astimezone(UTC))
            yield stream_id, version - ordinal, ordinal, record

    columns = _columns(each())
    savepoint = connection.begin_nested()  # a refusal leaves nothing of the rows
    try:
        made = connection.exec_driver_sql(RESTORE_TOGETHER, (times, *columns))
        written = {(stream_id, version): position for position, stream_id, version in made}
        positions = [written.get((stream_id, version)) for stream_id, version, _, _ in rows]
        for (stream_id, *_), position in zip(rows, positions, strict=True):
            if position is None:
                raise AppendsRefusedError(stream_id)
    except AppendsRefusedError:
        savepoint.rollback()
        raise
    except sa.exc.IntegrityError as twice:  # an id twice among the rows: which is not known
        savepoint.rollback()
        raise AppendsRefusedError(rows[0][0]) from twice
    savepoint.commit()
    return positions  # type: ignore[return-value]


def read_ahead(
    connection: Connection, stream_ids: Sequence[str], since: Mapping[str, int]
) -> dict[str, tuple[Snapshot | None, list[RecordedEvent]]]:
    """``Recorder.read_ahead`` on PostgreSQL."""
    ids = list(stream_ids)
    whole = [stream_id for stream_id in ids if stream_id not in since]
    rows = fetch(
        connection,
        SNAPSHOTS_AND_STREAMS_SQL,
        ids,
        [since.get(stream_id) for stream_id in ids],
        whole,
    )
    found: dict[str, list[Any]] = {stream_id: [] for stream_id in stream_ids}
    for row in rows:
        found[row[1]].append(row)
    ahead: dict[str, tuple[Snapshot | None, list[RecordedEvent]]] = {}
    for stream_id, read in found.items():
        if read and read[0][0] is None:
            first = tuple(read[0])
            ahead[stream_id] = (snapshot_of(first[1:6] + first[7:8]), recorded(read[1:]))
        else:
            ahead[stream_id] = (None, recorded(read))
    return ahead
