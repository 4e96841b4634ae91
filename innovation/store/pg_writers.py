"""PostgreSQL's group-committing writers: a few connections of one process taking write jobs
from one queue, a batch at a time.

A writer takes every job waiting (up to ``max_batch``) and runs them in one transaction, which
commits once for them all (``store/database.py``). While its batch waits for the commit's
flush to disk, the jobs that arrived meanwhile would wait too with a single writer; a second
writer, on a connection of its own, runs them as the next batch at once. Two writers in one
process are what two processes' writers already are to the database, so nothing here relies on
the order in which batches commit: expected versions and unique event ids hold in the database.
Two commands on one idea in two batches at once would still race: the later batch would fail on
the stream's version and run again command by command. So a command's job names its ideas and
experiments (``Deferring.keys``), and a job waits in its place while a batch in flight holds
one of them: within a process, commands on one thing commit one batch after the other, as they
did with one writer. More writers make smaller batches; the bench did worse with three or four.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from functools import partial
from typing import Any

from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from innovation.store.database import Job, Pending, T, queue_for, run_sharing, settle
from innovation.store.errors import said
from innovation.store.pg_reads import discard, ended, raise_ended

log = logging.getLogger(__name__)


class Writers:
    """``count`` writer tasks, each on a connection of its own from ``engine``, taking jobs
    in order from one queue; a job is left for later while a batch in flight shares a key
    with it (``Deferring.keys``), so commands on one idea never race each other here."""

    def __init__(self, engine: AsyncEngine, count: int, max_batch: int) -> None:
        self.engine = engine
        self.count = count
        self.max_batch = max_batch
        self._pending: deque[Pending[Any]] = deque()
        self._changed = asyncio.Event()
        """Set when a job arrives, a batch ends or the writers are asked to stop."""
        self._busy: list[frozenset[str]] = []
        """The keys of each batch in flight."""
        self._stopping = False
        self._tasks: list[asyncio.Task[None]] = []

    async def write(self, job: Job[T]) -> T:
        if len(self._tasks) < self.count or any(task.done() for task in self._tasks):
            self._start()
        future = queue_for(self._pending, job)
        self._changed.set()
        return await future

    async def close(self) -> None:
        """Let the writers finish every job queued, then stop them."""
        self._stopping = True
        self._changed.set()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def _start(self) -> None:
        """Start the writers missing (all at first; one that ended, should one ever end)."""
        running = [task for task in self._tasks if not task.done()]
        self._tasks = running + [
            asyncio.create_task(self._loop(), name=f"pg-writer-{index}")
            for index in range(len(running), self.count)
        ]

    def _take(self) -> tuple[list[Pending[Any]], frozenset[str]]:
        """The jobs of the next batch, in order: every one waiting (up to ``max_batch``)
        whose keys no batch in flight holds; the others keep their places."""
        busy = frozenset().union(*self._busy)
        batch: list[Pending[Any]] = []
        keys: set[str] = set()
        kept: deque[Pending[Any]] = deque()
        while self._pending:
            item = self._pending.popleft()
            wants: frozenset[str] = getattr(item.job, "keys", frozenset())
            if len(batch) < self.max_batch and not wants & busy:
                batch.append(item)
                keys |= wants
            else:
                kept.append(item)
        self._pending = kept
        return batch, frozenset(keys)

    async def _loop(self) -> None:
        connection: AsyncConnection | None = None
        try:
            while True:
                # Let every task ready to run go first: requests about to queue their jobs
                # join this batch rather than the next. Under load (``submitIdea`` at 16
                # connections) batches grew from four or five jobs to seven or eight, and a
                # request took a tenth less CPU. Alone, this costs one turn of an idle loop.
                await asyncio.sleep(0)
                batch, keys = self._take()
                if not batch:
                    if self._stopping and not self._pending and not self._busy:
                        return
                    self._changed.clear()
                    await self._changed.wait()
                    continue
                self._busy.append(keys)
                try:
                    connection = await self._run(connection, batch)
                finally:
                    self._busy.remove(keys)
                    self._changed.set()
        finally:
            if connection is not None:
                with contextlib.suppress(Exception):
                    await connection.close()

    async def _run(
        self, connection: AsyncConnection | None, batch: list[Pending[Any]]
    ) -> AsyncConnection | None:
        """Run a batch; the connection to go on with (None once it broke)."""
        for attempt in (1, 2):
            try:
                if connection is None:
                    connection = await self.engine.connect()
                await _run_batch(connection, batch)
                return connection
            except Exception as exc:
                # The connection broke (server restart, network): reconnect and run the batch
                # once more. Re-running is safe because appends are idempotent by event id,
                # and a batch that did commit is acknowledged the second time.
                if connection is not None:
                    await discard(connection)
                    connection = None
                if attempt == 2:
                    for item in batch:
                        settle(item.future, False, exc)
                else:  # told to its callers if it fails again; a warning only then
                    log.info(
                        "a writer's connection ended (%s); the batch runs again on a new one",
                        said(exc),
                    )
        return connection


async def _run_batch(connection: AsyncConnection, batch: list[Pending[Any]]) -> None:
    """Run a batch in one transaction (what its jobs leave to it, ``Deferring``, done last);
    raise only when the connection itself is lost."""
    jobs = [item.job for item in batch]
    run = (lambda sync: [jobs[0](sync)]) if len(jobs) == 1 else partial(run_sharing, jobs=jobs)
    try:
        results = await connection.run_sync(_committed, run)
    except Exception as exc:
        if ended(connection, exc):
            raise_ended(exc)
        if len(batch) == 1:
            settle(batch[0].future, False, exc)
            return
        # A failed statement poisons the whole transaction; run each job on its own.
        for item in batch:
            try:
                result = await connection.run_sync(_committed, item.job)
            except Exception as single:
                if ended(connection, single):
                    raise_ended(single)
                settle(item.future, False, single)
            else:
                settle(item.future, True, result)
        return
    for item, result in zip(batch, results, strict=True):
        settle(item.future, True, result)


def _committed(connection: Connection, job: Job[T]) -> T:
    """Run ``job`` in a transaction of its own, committed unless it raises. Begun and ended
    inside the job's own greenlet, where ``async with connection.begin()`` would spawn one
    for the ``BEGIN`` and one for the ``COMMIT``: a fifth less CPU for a one-statement batch."""
    with connection.begin():
        return job(connection)
