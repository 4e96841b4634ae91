"""SQLite: the embedded backend, one file in WAL mode, written by one thread and read by a few.

``SQLiteDatabase`` runs jobs on the standard ``sqlite3`` module: writes through one
group-committing writer per event loop, which runs commands on the loop's thread and commits in
a thread of its own (``store/sqlite_writer.py``); reads in a small pool of reader threads, each
keeping its connection, one thread hop per transaction; a bounded read (``glance``) on the event
loop's own thread. The WAL is copied into the database file by a thread of its own
(``store/checkpoints.py``). The log's SQL is ``SQLiteRecorder``'s (``store/sqlite_log.py``).
One writer at a time holds the write lock, so positions commit in order and reading by position
needs no guard.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import Any

import msgspec
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine, make_url

from innovation.store.database import Database, DatabaseClosedError, Job, ReadSession, T
from innovation.store.log import Clock, Recorder, utcnow
from innovation.store.sqlite_log import SQLiteRecorder, driver
from innovation.store.sqlite_writer import BEGUN, SQLiteWriter


class SQLiteDatabase(Database):
    """An SQLite file in WAL mode, written by one thread and read by a few."""

    dialect = "sqlite"
    glances_in_one_step = True

    def __init__(
        self,
        url: str | sa.URL,
        *,
        synchronous: str = "FULL",
        readers: int = 4,
        max_batch: int = 256,
        busy_timeout_ms: int = 30_000,
    ) -> None:
        self.url = make_url(url).set(drivername="sqlite+pysqlite")
        database = self.url.database
        if not database or database == ":memory:":
            raise ValueError("the SQLite store needs a file; an in-memory database is not shared")
        self.path = database
        if synchronous.upper() not in {"OFF", "NORMAL", "FULL", "EXTRA"}:
            raise ValueError(f"INNOVATION_SQLITE_SYNCHRONOUS: unknown level {synchronous!r}")
        self.synchronous = synchronous.upper()
        self.max_batch = max_batch
        self.busy_timeout_ms = busy_timeout_ms
        self.engine: Engine = sa.create_engine(
            self.url,
            pool_size=readers + 1,
            max_overflow=readers,
            connect_args={"check_same_thread": False, "timeout": busy_timeout_ms / 1000},
            # JSON columns (an idea's themes, a review's reviewers) read by msgspec: the same
            # lists, about a tenth of json.loads' time (a page of 100 ideas reads 100 of them).
            json_deserializer=msgspec.json.decode,
        )
        event.listen(self.engine, "connect", self._on_connect)
        event.listen(self.engine, "begin", self._on_begin)
        self._readers = ThreadPoolExecutor(readers, thread_name_prefix="innovation-sqlite-read")
        self._reading = threading.local()
        self._read_connections: list[Connection] = []
        self._read_connections_lock = threading.Lock()
        self._glancing = threading.local()
        self._writers: dict[asyncio.AbstractEventLoop, SQLiteWriter] = {}
        self._closed = False

    def recorder(self, clock: Clock = utcnow) -> Recorder:
        return SQLiteRecorder(clock)

    def _on_connect(self, dbapi_connection: Any, _record: Any) -> None:
        # BEGIN comes from SQLAlchemy's "begin" event (the driver's is late, never IMMEDIATE).
        dbapi_connection.isolation_level = None
        # Refused at once while a WAL file's last connection cleans up or its first recovers it:
        for waited in range(0, self.busy_timeout_ms, 5):
            try:
                dbapi_connection.execute("PRAGMA journal_mode=WAL")
                break
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or waited + 5 >= self.busy_timeout_ms:
                    raise
                time.sleep(0.005)
        dbapi_connection.execute(f"PRAGMA synchronous={self.synchronous}")
        dbapi_connection.execute("PRAGMA foreign_keys=ON")

    @staticmethod
    def _on_begin(connection: Connection) -> None:
        # The writer takes the write lock up front itself (BEGIN IMMEDIATE), so its reads and
        # writes see one state and another process can never make it fail half-way with
        # SQLITE_BUSY on upgrade.
        # On the driver's own cursor: through ``exec_driver_sql`` the statement cost half of a
        # glance's begin and commit (12.6 us), and every read on SQLite begins with it.
        if not connection.info.pop(BEGUN, False):
            driver(connection).execute("BEGIN")

    async def write(self, job: Job[T]) -> T:
        if self._closed:
            raise DatabaseClosedError("the database is closed")
        loop = asyncio.get_running_loop()
        writer = self._writers.get(loop)
        if writer is None:
            writer = self._writers[loop] = SQLiteWriter(self, loop)
        return await self.stopped_writes.track(writer.write(job))

    async def read(self, job: Job[T], *, one_snapshot: bool = False) -> T:
        # every job is one transaction, and so one snapshot, whatever ``one_snapshot`` says
        if self._closed:
            raise DatabaseClosedError("the database is closed")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._readers, self._read_now, job)

    def _read_now(self, job: Job[T]) -> T:
        """Run a read in this reader thread's own connection, kept open between reads: taking
        one from the pool and handing it back cost more than most reads (70 of 110 us)."""
        connection: Connection | None = getattr(self._reading, "connection", None)
        if connection is None:
            connection = self._reading.connection = self._connect_for_reads()
        try:
            with connection.begin():
                return job(connection)
        except sa.exc.DBAPIError:
            self._reading.connection = None  # a broken connection is not used again
            with self._read_connections_lock:
                self._read_connections.remove(connection)
            connection.close()
            raise

    async def glance(self, job: Job[T], *, one_snapshot: bool = False) -> T:
        """Run a bounded read on the event loop's thread, on a connection that never waits
        for a lock: a reader thread costs a 0.3 ms hand-over and, under load, a wait for the
        interpreter lock after every row (16 callers of `idea(id)`: 454 to 633 a second through
        threads, 852 to 996 here). If SQLite is busy (a WAL reset), a reader thread runs it."""
        if self._closed:
            raise DatabaseClosedError("the database is closed")
        connection: Connection | None = getattr(self._glancing, "connection", None)
        if connection is None:
            connection = await self._glancing_connection()
        try:
            with connection.begin():
                return job(connection)
        except sa.exc.OperationalError:
            return await self.read(job)

    async def _glancing_connection(self) -> Connection:
        """The connection this thread's glances keep, opened by a reader thread (opening may
        wait for a lock). Glances arriving while it opens wait for it: each opening one of its
        own took the pool's every connection at a burst of requests on a fresh service, and
        the rest waited for one until they failed (ten at once did)."""
        loop = asyncio.get_running_loop()
        opening: tuple[asyncio.AbstractEventLoop, asyncio.Lock] | None
        opening = getattr(self._glancing, "opening", None)
        if opening is None or opening[0] is not loop:
            opening = self._glancing.opening = (loop, asyncio.Lock())
        async with opening[1]:
            connection: Connection | None = getattr(self._glancing, "connection", None)
            if connection is None:
                connection = await loop.run_in_executor(self._readers, self._connect_for_reads)
                driver(connection).execute("PRAGMA busy_timeout = 0")
                self._glancing.connection = connection
            return connection

    def _connect_for_reads(self) -> Connection:
        """A connection a thread keeps for its reads, closed with the database."""
        connection = self.engine.connect()
        with self._read_connections_lock:
            self._read_connections.append(connection)
        return connection

    @asynccontextmanager
    async def session(self) -> AsyncIterator[ReadSession]:
        loop = asyncio.get_running_loop()
        connection = await loop.run_in_executor(self._readers, self.engine.connect)
        try:
            yield _SQLiteSession(self, connection)
        finally:
            await loop.run_in_executor(self._readers, connection.close)

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for loop, writer in list(self._writers.items()):
            await _closed_on(loop, writer)
        self._writers.clear()
        self._readers.shutdown(wait=True)
        for connection in self._read_connections:
            connection.close()
        self.engine.dispose()


class _SQLiteSession(ReadSession):
    def __init__(self, database: SQLiteDatabase, connection: Connection) -> None:
        self.database = database
        self.connection = connection

    async def run(self, job: Job[T]) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.database._readers, self._run_now, job)

    def _run_now(self, job: Job[T]) -> T:
        with self.connection.begin():
            return job(self.connection)


async def _closed_on(loop: asyncio.AbstractEventLoop, writer: SQLiteWriter) -> None:
    """Close a writer on its own event loop: this one, another thread's, or one that ended."""
    if loop is asyncio.get_running_loop():
        await writer.close()
    elif loop.is_running():
        await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(writer.close(), loop))
    else:  # its loop has ended, and with it the writer's task: only the connection is left
        await asyncio.to_thread(writer.close_after_its_loop)
