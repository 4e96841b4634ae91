"""How work reaches the database: one transaction per job, group-committed, on either backend.

Everything that touches the database is a plain synchronous function of a SQLAlchemy Core
``Connection`` (a *job*): the log's SQL (``Recorder``), the projections, the readers and the
command handlers are written once that way and run unchanged on both backends.
``Database.write(job)`` runs a job in a write transaction and returns its result once that
transaction is durable; ``Database.read(job)`` runs it as a read: in a transaction on SQLite
(one WAL snapshot), statement by statement on PostgreSQL (``store/postgres.py``).

Writes are group-committed. Jobs that arrive while a commit is in progress are run one after
the other in the next transaction and share its single fsync, so sixteen concurrent commands
cost far less than sixteen commits, while each caller still hears back only once its own work
is durable. A job that fails never takes its neighbours with it: SQLite runs each job of a
batch under its own SAVEPOINT (``store/sqlite_writer.py``); PostgreSQL, which aborts a
transaction on a failed statement, runs a failing batch again job by job
(``store/pg_writers.py``).

A job may also leave part of its work to the batch (``Deferring``): commands leave the rows
they change in the read models, which the batch writes once for all of them, just before it
commits, instead of a few statements per command; on PostgreSQL they leave their appends
too, made in one statement for the batch (``store/appends.py``). What a job leaves is only
ever read through the work it was left to, so a job that reads the database on its own (one
not deferring to the same work) has that work finished first. A job that fails after leaving
some, or work that fails when finished, has the batch run again job by job, each with its own.

Several processes may share one PostgreSQL database: every process has its own writers (two
connections, each running a batch while the other commits), and the rules of the log
(expected versions, unique event ids, gapless reading) hold in the database.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable, MutableSequence, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from innovation.store.errors import writes_stopped
from innovation.store.log import Clock, Recorder, utcnow

T = TypeVar("T")
Job = Callable[[Connection], T]


class DatabaseClosedError(RuntimeError):
    """The database was closed while work was still waiting for it."""


@dataclass(slots=True)
class Pending(Generic[T]):
    """A write job waiting for its batch, and where to send its outcome."""

    job: Job[T]
    future: asyncio.Future[T] = field(repr=False)


def queue_for(pending: MutableSequence[Pending[Any]], job: Job[T]) -> asyncio.Future[T]:
    """Queue ``job`` for a writer of this event loop: the future its caller awaits."""
    future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
    pending.append(Pending(job, future))
    return future


def settle(future: asyncio.Future[Any], ok: bool, value: Any) -> None:
    """Give a job's caller its result or its error, unless it stopped waiting."""
    if future.done():  # cancelled by its caller, or settled before a retried batch
        return
    if ok:
        future.set_result(value)
    else:
        future.set_exception(value)


class Deferred(Protocol):
    """Work that write jobs leave for their batch to do once, before it commits (the read
    models' rows: ``Projector``). It is kept per connection, between ``open`` and ``finish``
    (done) or ``discard`` (forgotten, as the transaction's rollback forgets the rest)."""

    def open(self, connection: Connection) -> None: ...

    def left(self, connection: Connection) -> int:
        """How much has been left so far (only ever grows until the work is finished)."""
        ...

    def finish(self, connection: Connection) -> None: ...

    def discard(self, connection: Connection) -> None: ...

    def read_ahead(
        self,
        connection: Connection,
        streams: frozenset[str],
        resends: frozenset[uuid.UUID] = frozenset(),
    ) -> None:
        """Told, once opened, the streams the jobs about to defer to it will read, and the
        event ids they will look up to tell a resend: it may read them at once, in a statement
        each rather than one a job (or do nothing)."""
        ...


@dataclass(frozen=True, slots=True)
class Deferring(Generic[T]):
    """A write job that leaves part of its work to ``deferred``, done once for its batch."""

    job: Job[T]
    deferred: Deferred
    keys: frozenset[str] = frozenset()
    """What the job writes to (its command's ideas and experiments): where several batches run
    at once, jobs sharing a key never run in two of them (``store/pg_writers.py``)."""
    reads: frozenset[str] = frozenset()
    """The streams the job will read first (``Deferred.read_ahead``)."""
    resends: frozenset[uuid.UUID] = frozenset()
    """The ids of the first events its command would have logged already were it a resend,
    which it will look up (``Deferred.read_ahead``)."""

    def __call__(self, connection: Connection) -> T:
        return self.job(connection)


class RunAgainAlone(Exception):
    """A batch must be rolled back and its jobs run again one by one: a job failed after
    leaving work to it (which cannot be told apart from its neighbours'), or that work failed."""


class Sharing:
    """The deferred work of a batch's jobs, opened for a run of jobs that defer to it and
    finished before a job that does not (that job may read what the work writes) and at the
    batch's end. ``before`` and ``finish`` raise ``RunAgainAlone`` when finishing fails."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.opened: Deferred | None = None

    def before(self, job: Job[Any], coming: Sequence[Job[Any]] = ()) -> int:
        """Make ready what ``job`` defers to, told what it and the jobs ``coming`` after it
        that defer to the same will read; how much is left to it already."""
        wanted = job.deferred if isinstance(job, Deferring) else None
        if self.opened is not wanted:
            self.finish()
            if wanted is not None:
                wanted.open(self.connection)
                self.opened = wanted
                reads, resends = _reads_of(wanted, [job, *coming])
                # one stream, or one id, is read as quickly on its own
                if len(reads) > 1 or len(resends) > 1:
                    wanted.read_ahead(
                        self.connection,
                        reads if len(reads) > 1 else frozenset(),
                        resends if len(resends) > 1 else frozenset(),
                    )
        return 0 if self.opened is None else self.opened.left(self.connection)

    def failed_after_leaving(self, mark: int) -> bool:
        """Whether the job that just failed had left work since ``mark``."""
        return self.opened is not None and self.opened.left(self.connection) != mark

    def finish(self) -> None:
        opened, self.opened = self.opened, None
        if opened is not None:
            try:
                opened.finish(self.connection)
            except Exception as exc:
                opened.discard(self.connection)
                raise RunAgainAlone(str(exc)) from exc

    def discard(self) -> None:
        opened, self.opened = self.opened, None
        if opened is not None:
            opened.discard(self.connection)


def _reads_of(
    deferred: Deferred, jobs: Sequence[Job[Any]]
) -> tuple[frozenset[str], frozenset[uuid.UUID]]:
    """What the run of jobs at the start of ``jobs`` that defer to ``deferred`` will read: the
    streams, and the event ids of their resend checks."""
    reads: set[str] = set()
    resends: set[uuid.UUID] = set()
    for job in jobs:
        if not isinstance(job, Deferring) or job.deferred is not deferred:
            break
        reads |= job.reads
        resends |= job.resends
    return frozenset(reads), frozenset(resends)


def run_sharing(connection: Connection, jobs: list[Job[Any]]) -> list[Any]:
    """Run jobs one after the other, their deferred work finished as ``Sharing`` says; any
    failure propagates (the caller runs the jobs again alone)."""
    sharing = Sharing(connection)
    try:
        results = []
        for index, job in enumerate(jobs):
            sharing.before(job, jobs[index + 1 :])
            results.append(job(connection))
        sharing.finish()
        return results
    finally:
        sharing.discard()


class ReadSession:
    """Read jobs on one held connection (see ``Database.session``)."""

    async def run(self, job: Job[T]) -> T:
        raise NotImplementedError


STOPPED_WRITES_SHOWN_SECONDS = 60.0
"""How long ``/health`` shows that writes stopped after the last write refused so, if none
has succeeded since: a quiet service whose disk was freed meanwhile is healthy again."""


class StoppedWrites:
    """Why this process's last write failed, when no write can succeed until someone sees to
    the database (``errors.writes_stopped``: its disk full, read-only), until a write succeeds:
    what ``/health`` tells monitors, which a read alone never shows."""

    def __init__(self) -> None:
        self._why: str | None = None
        self._at = 0.0

    async def track(self, write: Awaitable[T]) -> T:
        try:
            result = await write
        except Exception as error:
            why = writes_stopped(error)
            if why is not None:
                self._why, self._at = why, time.monotonic()
            raise
        self._why = None
        return result

    def now(self) -> str | None:
        """Why writes are stopped, if the last one failed so not long ago."""
        if self._why is None or time.monotonic() - self._at > STOPPED_WRITES_SHOWN_SECONDS:
            return None
        return self._why


class Database:
    """Runs jobs against one database; see the module docstring."""

    dialect: str
    url: sa.URL
    _stopped: StoppedWrites | None = None

    @property
    def stopped_writes(self) -> StoppedWrites:
        """Whether this process's writes are stopped just now, and why (``/health``)."""
        if self._stopped is None:
            self._stopped = StoppedWrites()
        return self._stopped

    glances_in_one_step = False
    """Whether ``glance`` runs its job on the event loop's thread without waiting: a query
    whose reads all glance then runs in one step of the loop, start to finish."""

    def recorder(self, clock: Clock = utcnow) -> Recorder:
        """The log's SQL for this backend, with ``clock`` stamping what it records."""
        raise NotImplementedError

    async def write(self, job: Job[T]) -> T:
        raise NotImplementedError

    async def read(self, job: Job[T], *, one_snapshot: bool = False) -> T:
        """Run a read job on a connection of its own.

        SQLite runs every read job in a transaction, which sees the database as it was at
        the job's first statement. PostgreSQL runs each statement as a transaction of its
        own, which sees what had committed when that statement began (``PostgresDatabase``):
        a job whose statements must agree, such as a page of ideas and the experiments they
        nest, asks for ``one_snapshot`` and is run in a ``REPEATABLE READ`` transaction."""
        raise NotImplementedError

    async def glance(self, job: Job[T], *, one_snapshot: bool = False) -> T:
        """Run a bounded read job, as ``read`` does, unless the backend answers it faster
        without handing it to another thread: the log's end, or what a request reads by key
        or by the page (an idea, a page of them with what they nest, the pipeline's counts, a
        token, a page of the log's positions). A read that may scan however far, such as a
        whole replay in one job, goes through ``read``."""
        return await self.read(job, one_snapshot=one_snapshot)

    async def close(self) -> None:
        raise NotImplementedError

    def session(self) -> AbstractAsyncContextManager[ReadSession]:
        """One connection held for several read jobs (each run as ``read`` runs one).

        For long reads such as replaying the log: no pool checkout per page.
        """
        raise NotImplementedError
