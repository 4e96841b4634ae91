"""Large logs to read (100,000 and 1,000,000 events), made in seconds rather than minutes.

Each side first writes one real stream of ``STREAM`` events through its own API, so every stored
byte is what that side's mapper produced. The database then copies that stream's rows into new
streams in one INSERT ... SELECT (new stream ids, new event ids, everything else as written), in
stream order, so positions and notification ids run as if the streams had been appended one after
the other. The same treatment on both sides keeps the comparison fair; only reading is timed.
Afterwards the WAL is checkpointed (SQLite) or the table vacuumed and analysed (PostgreSQL), so
the first timed read does not pay for write-back the other side may not have to do.
"""

from __future__ import annotations

import asyncio
import sqlite3
import uuid

from sqlalchemy.engine import make_url

from bench import ours, peer
from bench.databases import Databases
from bench.workload import our_stream, peer_stream

STREAM = 1000

_OURS_SQLITE = """
WITH RECURSIVE copies(k) AS (SELECT 2 UNION ALL SELECT k + 1 FROM copies WHERE k < ?)
INSERT INTO events (stream_id, version, type, schema_version, data, metadata, recorded_at, event_id)
SELECT 'idea-' || copies.k, e.version, e.type, e.schema_version, e.data, e.metadata,
       e.recorded_at, lower(hex(randomblob(16)))
FROM copies CROSS JOIN events AS e
WHERE e.stream_id = 'idea-1'
ORDER BY copies.k, e.version
"""

_PEER_SQLITE = """
WITH RECURSIVE copies(k) AS (SELECT 2 UNION ALL SELECT k + 1 FROM copies WHERE k < ?)
INSERT INTO {table} (originator_id, originator_version, topic, state)
SELECT printf('%032x', copies.k), s.originator_version, s.topic, s.state
FROM copies CROSS JOIN {table} AS s
WHERE s.originator_id = ?
ORDER BY copies.k, s.originator_version
"""

_OURS_POSTGRES = """
INSERT INTO events (stream_id, version, type, schema_version, data, metadata, recorded_at, event_id)
SELECT 'idea-' || k, e.version, e.type, e.schema_version, e.data, e.metadata,
       e.recorded_at, gen_random_uuid()
FROM generate_series(2, %s) AS k CROSS JOIN events AS e
WHERE e.stream_id = 'idea-1'
ORDER BY k, e.version
"""

_PEER_POSTGRES = """
INSERT INTO {table} (originator_id, originator_version, topic, state)
SELECT md5(k::text)::uuid, s.originator_version, s.topic, s.state
FROM generate_series(2, %s) AS k CROSS JOIN {table} AS s
WHERE s.originator_id = %s
ORDER BY k, s.originator_version
"""


def streams_for(events: int) -> int:
    if events % STREAM:
        raise ValueError(f"a log to read holds whole streams of {STREAM} events")
    return events // STREAM


def fill_ours(databases: Databases, url: str, events: int) -> None:
    """Write ``idea-1`` through the store, then copy it into ``idea-2`` .. ``idea-N``."""
    streams = streams_for(events)

    async def seed() -> None:
        store = ours.open_store(url)
        try:
            await ours.append(store, ours.plan("idea-1", our_stream(STREAM), 100))
        finally:
            await store.database.close()

    asyncio.run(seed())
    if streams > 1:
        _copy(databases, url, _OURS_SQLITE, _OURS_POSTGRES, streams, None, "events")


def fill_peer(databases: Databases, env: dict[str, str], events: int) -> None:
    """Put one aggregate's events through the peer, then copy them into more aggregates."""
    streams = streams_for(events)
    app = peer.open_app(env)
    try:
        history = peer_stream(STREAM)
        for start in range(0, STREAM, 100):
            app.events.put(history[start : start + 100])
        seed_id = history[0].originator_id
        table = app.recorder.events_table_name  # type: ignore[attr-defined]
    finally:
        app.close()
    if streams > 1:
        sqlite_sql, postgres_sql = (
            sql.format(table=table) for sql in (_PEER_SQLITE, _PEER_POSTGRES)
        )
        _copy(databases, env, sqlite_sql, postgres_sql, streams, seed_id, table)


def _copy(
    databases: Databases,
    target: str | dict[str, str],
    sqlite_sql: str,
    postgres_sql: str,
    streams: int,
    seed_id: uuid.UUID | None,
    table: str,
) -> None:
    sqlite_file = _sqlite_file(target)
    if sqlite_file is not None:
        lite = sqlite3.connect(sqlite_file, isolation_level=None)
        try:
            lite.execute("PRAGMA journal_mode=WAL")
            lite.execute("PRAGMA synchronous=FULL")
            params: tuple[object, ...] = (streams,)
            if seed_id is not None:
                params += (seed_id.hex,)
            lite.execute("BEGIN IMMEDIATE")
            lite.execute(sqlite_sql, params)
            lite.execute("COMMIT")
            lite.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            lite.close()
        return
    with databases.connect_postgres(target) as pg:
        pg_params: tuple[object, ...] = (streams,) if seed_id is None else (streams, seed_id)
        pg.execute(postgres_sql, pg_params)
        pg.execute(f"VACUUM ANALYZE {table}")


def _sqlite_file(target: str | dict[str, str]) -> str | None:
    if isinstance(target, dict):
        return target.get("SQLITE_DBNAME")
    url = make_url(target)
    return url.database if url.get_backend_name() == "sqlite" else None
