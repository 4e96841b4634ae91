"""How work reaches the database: one transaction per job, group-committed, on either backend.

Everything that touches the database is a plain synchronous function of a SQLAlchemy Core
``Connection`` (a *job*): the event store, the projections and the command handlers are written
once that way and run unchanged on both backends. ``Database.write(job)`` runs a job in a write
transaction and returns its result once that transaction is durable; ``Database.read(job)`` runs
it in a read transaction.

Writes are group-committed. Jobs that arrive while a commit is in progress are run one after the
other in the next transaction and share its single fsync, so sixteen concurrent writers cost far
less than sixteen commits, while each caller still hears back only once its own work is durable.
A job that fails never takes its neighbours with it:

* SQLite runs every job of a batch inside its own SAVEPOINT, rolled back on failure.
* PostgreSQL aborts a whole transaction on a failed statement, so a failing batch is rolled back
  and each of its jobs is run again in a transaction of its own.

The SQLite path runs on the standard ``sqlite3`` module in a dedicated writer thread (plus a
small pool of reader threads), one thread hop per transaction. ``aiosqlite`` makes one hop per
*statement*; ``bench/`` measures both. PostgreSQL goes through SQLAlchemy's asyncio engine on
asyncpg; a job runs inside ``AsyncConnection.run_sync``, so its statements never block the loop.

Several processes may share one PostgreSQL database: every process has its own writer, and the
rules of the log (expected versions, unique event ids, gapless reading) hold in the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

T = TypeVar("T")
Job = Callable[[Connection], T]

log = logging.getLogger(__name__)

_STOP = object()


class DatabaseClosedError(RuntimeError):
    """The database was closed while work was still waiting for it."""


@dataclass(slots=True)
class _Pending(Generic[T]):
    job: Job[T]
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[T] = field(repr=False)


def _settle(future: asyncio.Future[Any], ok: bool, value: Any) -> None:
    if future.done():  # cancelled by its caller, or settled before a retried batch
        return
    if ok:
        future.set_result(value)
    else:
        future.set_exception(value)


class Database:
    """Runs jobs against one database; see the module docstring."""

    dialect: str
    url: sa.URL

    async def write(self, job: Job[T]) -> T:
        raise NotImplementedError

    async def read(self, job: Job[T]) -> T:
        raise NotImplementedError

    async def close(self) -> None:
        raise NotImplementedError

    @property
    def sync_url(self) -> str:
        """A URL for synchronous tools (Alembic, the CLI's bulk work) to reach the same database."""
        raise NotImplementedError


class SQLiteDatabase(Database):
    """An SQLite file in WAL mode, written by one thread and read by a few."""

    dialect = "sqlite"

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
        if synchronous.upper() not in {"OFF", "NORMAL", "FULL", "EXTRA"}:
            raise ValueError(f"INNOVATION_SQLITE_SYNCHRONOUS: unknown level {synchronous!r}")
        self.synchronous = synchronous.upper()
        self.max_batch = max_batch
        self.engine: Engine = sa.create_engine(
            self.url,
            pool_size=readers + 1,
            max_overflow=readers,
            connect_args={"check_same_thread": False, "timeout": busy_timeout_ms / 1000},
        )
        event.listen(self.engine, "connect", self._on_connect)
        event.listen(self.engine, "begin", self._on_begin)
        self._readers = ThreadPoolExecutor(readers, thread_name_prefix="innovation-sqlite-read")
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._writer: threading.Thread | None = None
        self._writer_lock = threading.Lock()
        self._closed = False

    @property
    def sync_url(self) -> str:
        return self.url.render_as_string(hide_password=False)

    def _on_connect(self, dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN itself (the driver's implicit
        # transactions would begin too late and never as IMMEDIATE).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={self.synchronous}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @staticmethod
    def _on_begin(connection: Connection) -> None:
        # A writer takes the write lock up front, so its reads and writes see one state and
        # another process can never make it fail half-way with SQLITE_BUSY on upgrade.
        immediate = connection.get_execution_options().get("sqlite_immediate", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    async def write(self, job: Job[T]) -> T:
        if self._closed:
            raise DatabaseClosedError("the database is closed")
        self._ensure_writer()
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._queue.put(_Pending(job, loop, future))
        return await future

    async def read(self, job: Job[T]) -> T:
        if self._closed:
            raise DatabaseClosedError("the database is closed")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._readers, self._read_now, job)

    def _read_now(self, job: Job[T]) -> T:
        with self.engine.connect() as connection, connection.begin():
            return job(connection)

    def write_now(self, job: Job[T]) -> T:
        """Run one write job on the calling thread (for synchronous tools such as the CLI)."""
        with self.engine.connect() as connection:
            connection = connection.execution_options(sqlite_immediate=True)
            with connection.begin():
                return job(connection)

    def _ensure_writer(self) -> None:
        if self._writer is not None:
            return
        with self._writer_lock:
            if self._writer is None:
                self._writer = threading.Thread(
                    target=self._write_loop, name="innovation-sqlite-write", daemon=True
                )
                self._writer.start()

    def _write_loop(self) -> None:
        connection = self.engine.connect().execution_options(sqlite_immediate=True)
        try:
            while True:
                first = self._queue.get()
                if first is _STOP:
                    return
                batch = [first]
                stop = False
                while len(batch) < self.max_batch:
                    try:
                        item = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if item is _STOP:
                        stop = True
                        break
                    batch.append(item)
                self._run_batch(connection, batch)
                if stop:
                    return
        finally:
            connection.close()

    def _run_batch(self, connection: Connection, batch: list[_Pending[Any]]) -> None:
        outcomes: list[tuple[bool, Any]] = []
        try:
            with connection.begin():
                if len(batch) == 1:
                    outcomes.append((True, batch[0].job(connection)))
                else:
                    for pending in batch:
                        savepoint = connection.begin_nested()
                        try:
                            result = pending.job(connection)
                        except Exception as exc:
                            savepoint.rollback()
                            outcomes.append((False, exc))
                        else:
                            savepoint.commit()
                            outcomes.append((True, result))
        except Exception as exc:
            # The job of a single-job batch failed, or the commit itself did: nothing is durable.
            outcomes = [(False, exc)] * len(batch)
        except BaseException as exc:  # pragma: no cover - interpreter shutting down
            outcomes = [(False, DatabaseClosedError(str(exc)))] * len(batch)
            raise
        finally:
            for pending, (ok, value) in zip(batch, outcomes, strict=False):
                pending.loop.call_soon_threadsafe(_settle, pending.future, ok, value)

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._writer is not None:
            self._queue.put(_STOP)
            await asyncio.get_running_loop().run_in_executor(None, self._writer.join)
        self._readers.shutdown(wait=True)
        self.engine.dispose()


class PostgresDatabase(Database):
    """PostgreSQL through asyncpg: a pool of readers and one group-committing writer connection."""

    dialect = "postgresql"

    def __init__(
        self,
        url: str | sa.URL,
        *,
        pool_size: int = 10,
        max_batch: int = 256,
        application_name: str = "innovation",
    ) -> None:
        self.url = make_url(url).set(drivername="postgresql+asyncpg")
        self.max_batch = max_batch
        self.engine: AsyncEngine = create_async_engine(
            self.url,
            pool_size=pool_size,
            max_overflow=pool_size,
            connect_args={
                "server_settings": {
                    "application_name": application_name,
                    # Durable commits regardless of what the server's default says.
                    "synchronous_commit": "on",
                }
            },
        )
        self._queue: asyncio.Queue[Any] | None = None
        self._writer: asyncio.Task[None] | None = None
        self._closed = False

    @property
    def sync_url(self) -> str:
        return self.url.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)

    async def write(self, job: Job[T]) -> T:
        if self._closed:
            raise DatabaseClosedError("the database is closed")
        if self._writer is None or self._writer.done():
            self._queue = asyncio.Queue()
            self._writer = asyncio.create_task(self._write_loop(self._queue), name="pg-writer")
        assert self._queue is not None
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._queue.put_nowait(_Pending(job, loop, future))
        return await future

    async def read(self, job: Job[T]) -> T:
        if self._closed:
            raise DatabaseClosedError("the database is closed")
        async with self.engine.connect() as connection:
            return await connection.run_sync(job)

    async def _write_loop(self, pending: asyncio.Queue[Any]) -> None:
        connection: AsyncConnection | None = None
        try:
            while True:
                first = await pending.get()
                if first is _STOP:
                    return
                batch = [first]
                while len(batch) < self.max_batch and not pending.empty():
                    item = pending.get_nowait()
                    if item is _STOP:
                        pending.put_nowait(_STOP)
                        break
                    batch.append(item)
                for attempt in (1, 2):
                    try:
                        if connection is None:
                            connection = await self.engine.connect()
                        await self._run_batch(connection, batch)
                        break
                    except Exception as exc:
                        # The connection broke (server restart, network): reconnect and run the
                        # batch once more. Re-running is safe because appends are idempotent by
                        # event id, and a batch that did commit is acknowledged the second time.
                        if connection is not None:
                            with contextlib.suppress(Exception):
                                await connection.close()
                            connection = None
                        if attempt == 2:
                            for item in batch:
                                _settle(item.future, False, exc)
                        else:
                            log.warning("writer connection lost, retrying the batch: %s", exc)
        finally:
            if connection is not None:
                with contextlib.suppress(Exception):
                    await connection.close()

    async def _run_batch(self, connection: AsyncConnection, batch: list[_Pending[Any]]) -> None:
        """Run a batch in one transaction; raise only when the connection itself is lost."""
        try:
            async with connection.begin():
                results = [await connection.run_sync(item.job) for item in batch]
        except Exception as exc:
            if _disconnected(exc):
                raise
            if len(batch) == 1:
                _settle(batch[0].future, False, exc)
                return
            # A failed statement poisons the whole transaction; replay each job on its own.
            for item in batch:
                try:
                    async with connection.begin():
                        result = await connection.run_sync(item.job)
                except Exception as single:
                    if _disconnected(single):
                        raise
                    _settle(item.future, False, single)
                else:
                    _settle(item.future, True, result)
            return
        for item, result in zip(batch, results, strict=True):
            _settle(item.future, True, result)

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._writer is not None and not self._writer.done():
            assert self._queue is not None
            self._queue.put_nowait(_STOP)
            with contextlib.suppress(asyncio.CancelledError):
                await self._writer
        await self.engine.dispose()


def _disconnected(exc: BaseException) -> bool:
    return isinstance(exc, sa.exc.DBAPIError) and bool(exc.connection_invalidated)


def open_database(url: str | sa.URL, **options: Any) -> Database:
    """Pick the runner for a URL: any ``sqlite`` URL or any ``postgresql`` URL."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        allowed = {"synchronous", "readers", "max_batch", "busy_timeout_ms"}
        return SQLiteDatabase(parsed, **{k: v for k, v in options.items() if k in allowed})
    if backend == "postgresql":
        allowed = {"pool_size", "max_batch", "application_name"}
        return PostgresDatabase(parsed, **{k: v for k, v in options.items() if k in allowed})
    raise ValueError(
        f"INNOVATION_DATABASE_URL: unsupported database {backend!r} (sqlite, postgresql)"
    )
