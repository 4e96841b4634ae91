"""PostgreSQL's group-committing writers: a few connections of one process taking write jobs
from one queue, a batch at a time.

A writer takes every job waiting (up to ``max_batch``) and runs them in one transaction, which
commits once for them all (``store/database.py``). While its batch waits for the commit's
flush to disk, the jobs that arrived meanwhile would wait too with a single writer; a second
writer, on a connection of its own, runs them as the next batch at once. Two writers in one
process are what two processes' writers already are to the database, so nothing here relies on
the order in which batches commit: expected versions and unique event ids hold in the database.
More writers make smaller batches, and the bench did worse with three or four.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from functools import partial
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from innovation.store.database import STOP, Job, Pending, T, run_sharing, settle

log = logging.getLogger(__name__)


class Writers:
    """``count`` writer tasks, each on a connection of its own from ``engine``."""

    def __init__(self, engine: AsyncEngine, count: int, max_batch: int) -> None:
        self.engine = engine
        self.count = count
        self.max_batch = max_batch
        self._queue: asyncio.Queue[Any] | None = None
        self._tasks: list[asyncio.Task[None]] = []

    async def write(self, job: Job[T]) -> T:
        if not self._tasks or any(task.done() for task in self._tasks):
            self._start()
        assert self._queue is not None
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._queue.put_nowait(Pending(job, loop, future))
        return await future

    async def close(self) -> None:
        """Let the writers finish every job queued, then stop them."""
        if self._queue is not None and self._tasks:
            self._queue.put_nowait(STOP)
            for task in self._tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    def _start(self) -> None:
        """Start the writers on a fresh queue; writers still running on the old one (when one
        of them ended) finish what it holds, then stop."""
        if self._queue is not None:
            self._queue.put_nowait(STOP)
        queue = self._queue = asyncio.Queue()
        self._tasks = [
            asyncio.create_task(self._loop(queue), name=f"pg-writer-{index}")
            for index in range(self.count)
        ]

    async def _loop(self, pending: asyncio.Queue[Any]) -> None:
        connection: AsyncConnection | None = None
        try:
            while True:
                first = await pending.get()
                if first is STOP:
                    pending.put_nowait(STOP)  # for the other writers
                    return
                batch = [first]
                while len(batch) < self.max_batch and not pending.empty():
                    item = pending.get_nowait()
                    if item is STOP:
                        pending.put_nowait(STOP)
                        break
                    batch.append(item)
                for attempt in (1, 2):
                    try:
                        if connection is None:
                            connection = await self.engine.connect()
                        await _run_batch(connection, batch)
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
                                settle(item.future, False, exc)
                        else:
                            log.warning("writer connection lost, retrying the batch: %s", exc)
        finally:
            if connection is not None:
                with contextlib.suppress(Exception):
                    await connection.close()


async def _run_batch(connection: AsyncConnection, batch: list[Pending[Any]]) -> None:
    """Run a batch in one transaction (what its jobs leave to it, ``Deferring``, done last);
    raise only when the connection itself is lost."""
    jobs = [item.job for item in batch]
    run = (lambda sync: [jobs[0](sync)]) if len(jobs) == 1 else partial(run_sharing, jobs=jobs)
    try:
        async with connection.begin():
            results = await connection.run_sync(run)
    except Exception as exc:
        if _disconnected(exc):
            raise
        if len(batch) == 1:
            settle(batch[0].future, False, exc)
            return
        # A failed statement poisons the whole transaction; run each job on its own.
        for item in batch:
            try:
                async with connection.begin():
                    result = await connection.run_sync(item.job)
            except Exception as single:
                if _disconnected(single):
                    raise
                settle(item.future, False, single)
            else:
                settle(item.future, True, result)
        return
    for item, result in zip(batch, results, strict=True):
        settle(item.future, True, result)


def _disconnected(exc: BaseException) -> bool:
    return isinstance(exc, sa.exc.DBAPIError) and bool(exc.connection_invalidated)
