"""The peer: the ``eventsourcing`` library (9.5), doing the same work as ``bench/ours.py``.

Which API, and why: our side is the log on the path commands take, not an application
framework: it takes events a caller has already decided, encodes them (mapper) and appends
them atomically with a version check (``Recorder.append`` in a ``Database.write`` job). The peer's layer that does exactly that is its own ``EventStore``
(``Application.events``): ``put(events)`` runs its ``Mapper.to_stored_event`` and then
``ApplicationRecorder.insert_events``, whose primary key on (originator_id, version) is its
optimistic-concurrency check; ``get(id)`` runs ``select_events`` and ``Mapper.to_domain_event``.
So both sides are configured the normal way (ours with a URL, the peer as an ``Application``
from its environment variables), both sides' events are created before the clock starts (ours
as structs, the peer's by calling methods of an ``Aggregate`` subclass), and the clock covers
encoding, writing and committing. ``Application.save`` would add only in-memory bookkeeping on
top of ``put``; it is left out so the figures compare store with store. Reading the whole log is
``ApplicationRecorder.select_notifications`` paged by notification id, as its own notification
log does.

Durability is the same on both sides. SQLite: the peer's pool switches WAL on but leaves
``synchronous`` at the build's default, so ``DurableSQLiteFactory`` sets ``synchronous=FULL`` on
every connection it opens; ``durability`` reads both pragmas back from a pooled connection.
PostgreSQL: each benchmark database is created with ``synchronous_commit = on`` and ``durability``
reads it back through the peer's own pool.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import ApplicationRecorder
from eventsourcing.sqlite import SQLiteConnection, SQLiteConnectionPool, SQLiteFactory
from eventsourcing.utils import Environment, EnvType

from bench.durability import synchronous_name

PAGE = 1000


class DurableSQLitePool(SQLiteConnectionPool):
    """The peer's pool, with ``synchronous=FULL`` set on each new connection like ours."""

    def _create_connection(self) -> SQLiteConnection:
        connection = super()._create_connection()
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA synchronous=FULL")
        return connection


class DurableSQLiteFactory(SQLiteFactory):
    """The peer's SQLite factory, opening its connections through ``DurableSQLitePool``."""

    def __init__(self, env: Environment | EnvType | None) -> None:
        super().__init__(env)
        plain = self.datastore.pool
        self.datastore.pool = DurableSQLitePool(
            db_name=plain.db_name,
            lock_timeout=plain.lock_timeout,
            pool_size=plain.pool_size,
            max_overflow=plain.max_overflow,
            pool_timeout=plain.pool_timeout,
            max_age=plain.max_age,
            pre_ping=plain.pre_ping,
        )
        plain.close()


def sqlite_env(path: str) -> dict[str, str]:
    return {"PERSISTENCE_MODULE": f"{__name__}:DurableSQLiteFactory", "SQLITE_DBNAME": path}


def postgres_env(
    *, dbname: str, host: str, port: int, user: str, password: str, pool_size: int = 17
) -> dict[str, str]:
    """Enough pooled connections for 16 writer threads plus one, so none waits for the pool."""
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": dbname,
        "POSTGRES_HOST": host,
        "POSTGRES_PORT": str(port),
        "POSTGRES_USER": user,
        "POSTGRES_PASSWORD": password,
        "POSTGRES_POOL_SIZE": str(pool_size),
        "POSTGRES_MAX_OVERFLOW": "0",
    }


def open_app(env: dict[str, str]) -> Application:
    return Application(env=env)


def durability(app: Application) -> dict[str, str]:
    """The settings a write connection of the peer really runs with, read back from it."""
    datastore: Any = app.factory.datastore  # type: ignore[attr-defined]
    if isinstance(app.factory, SQLiteFactory):
        with datastore.get_connection(commit=True) as connection, connection.cursor() as cursor:
            journal = cursor.execute("PRAGMA journal_mode").fetchone()[0]
            synchronous = cursor.execute("PRAGMA synchronous").fetchone()[0]
        return {"journal_mode": str(journal), "synchronous": synchronous_name(synchronous)}
    with datastore.get_connection() as connection:
        row = connection.execute("SHOW synchronous_commit").fetchone()
        fsync = connection.execute("SHOW fsync").fetchone()
    return {"synchronous_commit": row["synchronous_commit"], "fsync": fsync["fsync"]}


def append(app: Application, batches: Sequence[Sequence[Aggregate.Event]]) -> float:
    """Seconds to put each batch in its own call, one after the other."""
    put = app.events.put
    started = time.perf_counter()
    for batch in batches:
        put(batch)
    return time.perf_counter() - started


def append_concurrently(app: Application, writers: Sequence[Sequence[Sequence[Any]]]) -> float:
    """Seconds for one thread per writer to put all its batches, started together."""
    gate = threading.Barrier(len(writers) + 1)
    errors: list[BaseException] = []

    def run(batches: Sequence[Sequence[Any]]) -> None:
        gate.wait()
        try:
            for batch in batches:
                app.events.put(batch)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(batches,)) for batches in writers]
    for thread in threads:
        thread.start()
    gate.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise errors[0]
    return elapsed


def load(app: Application, originator_id: UUID) -> tuple[int, float]:
    """Read one stream and decode every event into the peer's event objects."""
    started = time.perf_counter()
    events = list(app.events.get(originator_id))
    return len(events), time.perf_counter() - started


def read_all(recorder: ApplicationRecorder, page: int = PAGE) -> tuple[int, float]:
    """Page through the whole log by notification id, as the peer's notification log does."""
    count = 0
    start = 1
    started = time.perf_counter()
    while True:
        notifications = recorder.select_notifications(start=start, limit=page)
        count += len(notifications)
        if len(notifications) < page:
            break
        start = notifications[-1].id + 1
    return count, time.perf_counter() - started
