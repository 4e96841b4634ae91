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

Pure appends go further: a job that is a ``MergeableJob`` (``EventStore.append`` makes them)
is run together with its mergeable neighbours in the batch by one ``run_many`` call, which
for PostgreSQL is a single statement for all their streams. The batch then costs a handful
of round trips however many appends it holds.

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
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar, cast

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


class MergeableJob:
    """A job that can run together with others of its class in one go (see the module doc).

    ``run_many`` returns one ``(ok, value)`` per job, in order, with refusals as values; it
    raises only when nothing of the group may be kept.
    """

    def __call__(self, connection: Connection) -> Any:
        raise NotImplementedError

    @classmethod
    def run_many(cls, connection: Connection, jobs: list[Any]) -> list[tuple[bool, Any]]:
        raise NotImplementedError

    @classmethod
    async def run_alone(cls, driver: Any, jobs: list[Any]) -> list[tuple[bool, Any] | None] | None:
        """Optionally run a batch made only of such jobs on the driver's connection (asyncpg),
        as statements that each commit on their own: PostgreSQL's writer tries this first.

        Returns ``None`` to decline, or one outcome per job where ``None`` sends that job down
        the usual path (in a transaction, through ``__call__``/``run_many``). Raise only when
        the connection is lost; the writer then reconnects and runs the batch again.
        """
        return None


def _groups(batch: list[_Pending[Any]]) -> list[list[_Pending[Any]]]:
    """Consecutive mergeable jobs of one class form a group; every other job stands alone."""
    groups: list[list[_Pending[Any]]] = []
    for pending in batch:
        kind = type(pending.job)
        mergeable = isinstance(pending.job, MergeableJob)
        if mergeable and groups and type(groups[-1][0].job) is kind:
            groups[-1].append(pending)
        else:
            groups.append([pending])
    return groups


def _run_group(connection: Connection, group: list[_Pending[Any]]) -> list[tuple[bool, Any]]:
    if len(group) == 1:
        return [(True, group[0].job(connection))]
    kind = cast(type[MergeableJob], type(group[0].job))
    return kind.run_many(connection, [pending.job for pending in group])


def _settle_all(settled: list[tuple[asyncio.Future[Any], bool, Any]]) -> None:
    for future, ok, value in settled:
        _settle(future, ok, value)


def _settle_batch(batch: list[_Pending[Any]], outcomes: list[tuple[bool, Any]]) -> None:
    """Hand each job its outcome on its own event loop: one wake-up per loop, not per job."""
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[Any], bool, Any]]] = {}
    for pending, (ok, value) in zip(batch, outcomes, strict=False):
        by_loop.setdefault(pending.loop, []).append((pending.future, ok, value))
    for loop, settled in by_loop.items():
        loop.call_soon_threadsafe(_settle_all, settled)


def _settle(future: asyncio.Future[Any], ok: bool, value: Any) -> None:
    if future.done():  # cancelled by its caller, or settled before a retried batch
        return
    if ok:
        future.set_result(value)
    else:
        future.set_exception(value)


class ReadSession:
    """Read jobs on one held connection (see ``Database.session``)."""

    async def run(self, job: Job[T]) -> T:
        raise NotImplementedError


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

    def session(self) -> AbstractAsyncContextManager[ReadSession]:
        """One connection held for several read jobs (each in its own transaction).

        For long reads such as ``read_all``: no pool checkout per page, and the next page can
        be asked for while the last one is being consumed.
        """
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
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        # Queue first, then make sure a writer runs: a writer that could not open the file
        # fails what it finds queued and steps aside, and this job then starts a fresh one.
        self._queue.put(_Pending(job, loop, future))
        self._ensure_writer()
        return await future

    async def read(self, job: Job[T]) -> T:
        if self._closed:
            raise DatabaseClosedError("the database is closed")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._readers, self._read_now, job)

    def _read_now(self, job: Job[T]) -> T:
        with self.engine.connect() as connection, connection.begin():
            return job(connection)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[ReadSession]:
        loop = asyncio.get_running_loop()
        connection = await loop.run_in_executor(self._readers, self.engine.connect)
        try:
            yield _SQLiteSession(self, connection)
        finally:
            await loop.run_in_executor(self._readers, connection.close)

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
        try:
            connection = self.engine.connect().execution_options(sqlite_immediate=True)
        except Exception as exc:
            self._give_up(exc)
            return
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

    def _give_up(self, exc: Exception) -> None:
        """The file cannot be opened (missing folder, permissions): fail every waiting job."""
        with self._writer_lock:
            self._writer = None
            waiting = []
            while True:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is not _STOP:
                    waiting.append(item)
        _settle_batch(waiting, [(False, exc)] * len(waiting))

    def _run_batch(self, connection: Connection, batch: list[_Pending[Any]]) -> None:
        outcomes: list[tuple[bool, Any]] = []
        driver = connection.connection.driver_connection
        assert driver is not None
        try:
            with connection.begin():
                groups = _groups(batch)
                if len(groups) == 1 and len(batch) == 1:
                    outcomes = _run_group(connection, groups[0])
                else:
                    for group in groups:
                        # A plain SAVEPOINT per group: a failing job never takes its
                        # neighbours with it (SQLAlchemy's nested transactions cost more).
                        driver.execute("SAVEPOINT job")
                        try:
                            result = _run_group(connection, group)
                        except Exception as exc:
                            driver.execute("ROLLBACK TO job")
                            driver.execute("RELEASE job")
                            outcomes.extend([(False, exc)] * len(group))
                        else:
                            driver.execute("RELEASE job")
                            outcomes.extend(result)
        except Exception as exc:
            # The only job of the batch failed, or the commit itself did: nothing is durable.
            outcomes = [(False, exc)] * len(batch)
        except BaseException as exc:  # pragma: no cover - interpreter shutting down
            outcomes = [(False, DatabaseClosedError(str(exc)))] * len(batch)
            raise
        finally:
            _settle_batch(batch, outcomes)

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        writer = self._writer
        if writer is not None:
            self._queue.put(_STOP)
            await asyncio.get_running_loop().run_in_executor(None, writer.join)
        self._readers.shutdown(wait=True)
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


class _PostgresSession(ReadSession):
    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    async def run(self, job: Job[T]) -> T:
        try:
            return await self.connection.run_sync(job)
        finally:
            await self.connection.rollback()  # end the transaction, if the job began one


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

    @asynccontextmanager
    async def session(self) -> AsyncIterator[ReadSession]:
        async with self.engine.connect() as connection:
            yield _PostgresSession(connection)

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
        batch = await self._run_alone(connection, batch)
        if not batch:
            return
        outcomes: list[tuple[bool, Any]] = []
        try:
            async with connection.begin():
                for group in _groups(batch):
                    outcomes.extend(await connection.run_sync(_run_group, group))
                if not all(ok for ok, _ in outcomes):
                    raise _Refusals()  # see below: a refusal may have left a statement failed
        except Exception as exc:
            if _disconnected(exc):
                raise
            if len(batch) == 1:
                _settle(batch[0].future, False, outcomes[0][1] if outcomes else exc)
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
        for item, (ok, value) in zip(batch, outcomes, strict=True):
            _settle(item.future, ok, value)

    @staticmethod
    async def _run_alone(
        connection: AsyncConnection, batch: list[_Pending[Any]]
    ) -> list[_Pending[Any]]:
        """Let a batch of one kind of mergeable job run as self-committing statements.

        A batch of pure appends is a single statement: sent on its own it commits by itself,
        in one round trip instead of three (BEGIN, statement, COMMIT). What is left over (jobs
        the statement refused, or every job when it declined) is returned for the usual path.
        """
        groups = _groups(batch)
        if len(groups) != 1 or not isinstance(batch[0].job, MergeableJob):
            return batch
        kind = cast(type[MergeableJob], type(batch[0].job))
        raw = await connection.get_raw_connection()
        outcomes = await kind.run_alone(raw.driver_connection, [item.job for item in batch])
        if outcomes is None:
            return batch
        rest: list[_Pending[Any]] = []
        for item, outcome in zip(batch, outcomes, strict=True):
            if outcome is None:
                rest.append(item)
            else:
                _settle(item.future, *outcome)
        return rest

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


class _Refusals(Exception):
    """A merged group refused some of its jobs: re-run the batch job by job to be sure.

    Merged appends refuse without failing a statement, so the batch could commit; but a
    refusal is rare, and re-running job by job keeps one rule for every kind of failure.
    """


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
