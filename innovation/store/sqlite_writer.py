"""SQLite's group-committing writer: commands' batches run on the event loop's own thread, and
only the commit, which waits for the disk, goes to a thread of its own.

One connection writes. Jobs queued while a batch commits become the next batch, so they share
its fsync (``store/database.py``). A batch of commands' jobs (``Deferring``: a stream or two
read, a decision, an append, the read models' rows) runs on the loop's thread, as a bounded
read does (``SQLiteDatabase.glance``): each of a job's statements lets go of the interpreter
lock while SQLite works, and a writer thread of its own then had to wait for the event loop
to hand the lock back before its next line of Python. With 16 callers of ``submitIdea`` on the
bench's data set, a batch of 8 took 5 ms to run, 2 of them on the CPU; the thread waited 27
times a batch. Any other batch (a reader's checkpointed page, a rebuild, a restore) may run
long, so it runs on the thread, where the loop goes on answering meanwhile.

``BEGIN IMMEDIATE`` takes the write lock on the loop's thread without waiting; while another
connection holds the lock (another process, say), the thread waits for it instead, for at most
the database's busy timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Connection, RootTransaction

from innovation.store.checkpoints import Checkpointer
from innovation.store.database import (
    DatabaseClosedError,
    Deferring,
    Job,
    Pending,
    RunAgainAlone,
    Sharing,
    T,
    queue_for,
    settle,
)
from innovation.store.sqlite_log import driver

if TYPE_CHECKING:
    from innovation.store.sqlite import SQLiteDatabase

BEGUN = "innovation.sqlite.begun"
"""Set in a connection's ``info`` when the writer has begun its transaction itself: the
``begin`` event (``SQLiteDatabase._on_begin``) then sends no ``BEGIN`` of its own."""

Outcomes = list[tuple[bool, Any]]


class SQLiteWriter:
    """The writer of one event loop: a task taking every job waiting (up to ``max_batch``)."""

    def __init__(self, database: SQLiteDatabase, loop: asyncio.AbstractEventLoop) -> None:
        self.database = database
        self.loop = loop
        self._pending: deque[Pending[Any]] = deque()
        self._arrived = asyncio.Event()
        self._stopping = False
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="innovation-sqlite-write")
        self._connection: Connection | None = None
        self._checkpointer: Checkpointer | None = None
        self._task: asyncio.Task[None] | None = None

    async def write(self, job: Job[T]) -> T:
        if self._task is None or self._task.done():
            self._task = self.loop.create_task(self._run(), name="innovation-sqlite-writer")
        future = queue_for(self._pending, job)
        self._arrived.set()
        return await future

    async def close(self) -> None:
        """Finish every job queued, then close the connection and stop the threads."""
        self._stopping = True
        self._arrived.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._in_thread(self.disconnect)
        await asyncio.to_thread(self._thread.shutdown)

    def close_after_its_loop(self) -> None:
        """Close what a writer whose event loop has ended left open (in any thread)."""
        self.disconnect()
        self._thread.shutdown()

    async def _run(self) -> None:
        while True:
            if not self._pending:
                if self._stopping:
                    return
                self._arrived.clear()
                await self._arrived.wait()
                continue
            # Let every task ready to run go first, so requests about to queue their jobs join
            # this batch rather than the next, as PostgreSQL's writers do (``pg_writers.py``):
            # ``submitIdea`` at 16 connections, 0.58 -> 0.55 ms of CPU a request.
            await asyncio.sleep(0)
            count = min(len(self._pending), self.database.max_batch)
            batch = [self._pending.popleft() for _ in range(count)]
            try:
                outcomes = await self._run_batch(batch)
            except Exception as exc:  # pragma: no cover - a fault of the writer: its callers hear
                outcomes = [(False, exc)] * len(batch)
            except BaseException as exc:  # pragma: no cover - interpreter shutting down
                for pending in batch:
                    settle(pending.future, False, DatabaseClosedError(str(exc)))
                raise
            for pending, (ok, value) in zip(batch, outcomes, strict=True):
                settle(pending.future, ok, value)

    async def _run_batch(self, batch: list[Pending[Any]]) -> Outcomes:
        try:
            connection = await self._connected()
        except Exception as exc:  # the file cannot be opened (missing folder, permissions)
            return [(False, exc)] * len(batch)
        try:
            if all(isinstance(pending.job, Deferring) for pending in batch):
                return await self._run_here(connection, batch)
            wait = self.database.busy_timeout_ms
            return await self._in_thread(_run_there, connection, batch, wait)
        finally:
            assert self._checkpointer is not None
            self._checkpointer.wrote()

    async def _run_here(self, connection: Connection, batch: list[Pending[Any]]) -> Outcomes:
        """Begin, run the jobs here, and commit in the thread; a batch that must run again job
        by job (``RunAgainAlone``) is rolled back and each job run as a batch of its own."""
        try:
            await self._begin(connection)
            transaction = _entered(connection)
        except Exception as exc:  # the next batch rolls back what was begun (``_clear``)
            return [(False, exc)] * len(batch)
        try:
            outcomes = _run_jobs(connection, batch)
        except RunAgainAlone as exc:
            transaction.__exit__(type(exc), exc, exc.__traceback__)
            return [(await self._run_here(connection, [pending]))[0] for pending in batch]
        except Exception as exc:  # the only job failed, or the deferred work did
            transaction.__exit__(type(exc), exc, exc.__traceback__)
            return [(False, exc)] * len(batch)
        except BaseException as exc:  # pragma: no cover - interpreter shutting down
            transaction.__exit__(type(exc), exc, exc.__traceback__)
            raise
        try:  # committed, or rolled back and raised, as a ``with`` block's end does
            await self._in_thread(transaction.__exit__, None, None, None)
        except Exception as exc:  # the commit failed: nothing of the batch is durable
            return [(False, exc)] * len(batch)
        return outcomes

    async def _begin(self, connection: Connection) -> None:
        """Take the write lock here if it is free; otherwise wait for it in the thread."""
        _clear(connection)
        try:
            driver(connection).execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if not _busy(exc):
                raise
            await self._in_thread(_begin_waiting, connection, self.database.busy_timeout_ms)
        connection.info[BEGUN] = True

    async def _connected(self) -> Connection:
        if self._connection is None:
            self._connection = await self._in_thread(self._connect)
        return self._connection

    def _connect(self) -> Connection:
        connection = self.database.engine.connect()
        try:
            driver(connection).execute("PRAGMA busy_timeout = 0")  # see _begin
            if self._checkpointer is None:
                self._checkpointer = Checkpointer(self.database.path, connection)
        except BaseException:
            connection.close()
            raise
        return connection

    def disconnect(self) -> None:
        """Stop the checkpoints and close the connection."""
        if self._checkpointer is not None:
            self._checkpointer.stop()
            self._checkpointer = None
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    async def _in_thread(self, work: Callable[..., T], *args: Any) -> T:
        return await self.loop.run_in_executor(self._thread, work, *args)


def _entered(connection: Connection) -> RootTransaction:
    """``connection.begin()`` entered as a ``with`` block: its ``__exit__`` commits (rolling
    back should the commit fail) or rolls back, in whichever thread calls it."""
    transaction = connection.begin()
    transaction.__enter__()
    return transaction


def _busy(exc: sqlite3.OperationalError) -> bool:
    """SQLITE_BUSY, or one of its extended codes (a WAL being recovered, say)."""
    return exc.sqlite_errorcode & 0xFF == sqlite3.SQLITE_BUSY


def _clear(connection: Connection) -> None:
    """Roll back a transaction an earlier batch left open (one whose rollback failed too), so
    that it cannot hold the lock, or turn every later batch away."""
    if connection.in_transaction():
        connection.rollback()
    connection.info.pop(BEGUN, None)
    raw = driver(connection)
    if raw.in_transaction:
        raw.rollback()


LOCK_POLL_SECONDS = 0.001
"""How often a writer waiting for another connection's write lock asks for it again."""


def _begin_waiting(connection: Connection, busy_timeout_ms: int) -> None:
    """``BEGIN IMMEDIATE``, waiting up to ``busy_timeout_ms`` while another holds the lock.

    It asks again every millisecond rather than leave the wait to SQLite's busy handler,
    which sleeps longer and longer between tries, up to 100 ms: against another process
    writing one short transaction after another (``innovation import`` beside the service),
    its tries kept landing inside the other's transactions, and a command waited seconds for
    a lock that was free a few hundred times a second; against a tighter loop it waited the
    whole timeout and failed. A try costs microseconds, and the lock is taken in the first
    gap a millisecond can see."""
    raw = driver(connection)
    deadline = time.monotonic() + busy_timeout_ms / 1000
    while True:
        try:
            raw.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as exc:
            if not _busy(exc) or time.monotonic() >= deadline:
                raise
        _pause(LOCK_POLL_SECONDS)


def _pause(seconds: float) -> None:
    time.sleep(seconds)


def _run_there(connection: Connection, batch: list[Pending[Any]], busy_timeout_ms: int) -> Outcomes:
    """A batch begun, run and committed in the writer's thread (a batch of one job each when
    it must run again job by job)."""
    try:
        _clear(connection)
        _begin_waiting(connection, busy_timeout_ms)
        connection.info[BEGUN] = True
        with connection.begin():
            return _run_jobs(connection, batch)
    except RunAgainAlone:  # rolled back
        return [_run_there(connection, [pending], busy_timeout_ms)[0] for pending in batch]
    except Exception as exc:  # the only job failed, or the commit did: nothing is durable
        return [(False, exc)] * len(batch)


def _run_jobs(connection: Connection, batch: list[Pending[Any]]) -> Outcomes:
    """A batch's jobs in one transaction, each under a plain SAVEPOINT: a failing job never
    takes its neighbours with it (SQLAlchemy's nested transactions cost more). What they leave
    to the batch (``Deferring``) is done before the commit. A batch of one job runs it bare:
    its failure is the batch's."""
    if len(batch) == 1:
        return [(True, batch[0].job(connection))]
    cursor = driver(connection)
    outcomes: Outcomes = []
    sharing = Sharing(connection)
    try:
        for pending in batch:
            mark = sharing.before(pending.job)
            cursor.execute("SAVEPOINT job")
            try:
                result = pending.job(connection)
            except Exception as exc:
                cursor.execute("ROLLBACK TO job")
                cursor.execute("RELEASE job")
                if sharing.failed_after_leaving(mark):
                    raise RunAgainAlone(str(exc)) from exc
                outcomes.append((False, exc))
            else:
                cursor.execute("RELEASE job")
                outcomes.append((True, result))
        sharing.finish()
    finally:
        sharing.discard()
    return outcomes
