"""Readers of the log: the settled position, replay, and checkpointed readers.

Everything that reads the log in order (projection rebuild, time travel, the subscriptions'
tail; the release process, the outbox and webhooks next) reads it here, so the rule "never
pass an event that may still commit" is written, and tested, once:

* ``Log.settled_position()``: below it nothing can still commit. SQLite commits positions in
  order, so it is the log's end; PostgreSQL settles its sequence's high-water mark by waiting
  out older transactions (``store/postgres.py`` explains the mechanism).
* ``replay(connection, recorder, after=, up_to=)``: every event in ``(after, up_to]``, a page
  at a time, so memory stays flat however long the log. ``up_to`` must be settled;
  ``Log.replay`` settles it for callers outside a transaction.
* ``CheckpointedReader``: a named reader whose ``handle(connection, batch)`` runs in the
  transaction that moves its checkpoint, run by ``Readers`` in any number of processes with
  exactly one holder at a time (a lease row with a fencing token: ``store/leases.py``).
  A batch is read in one transaction and handled in another; a holder that lost its lease
  in between has its batch refused and rolled back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
from collections.abc import AsyncIterator, Callable, Collection, Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import partial

import msgspec
from sqlalchemy.engine import Connection

import innovation.store.leases as leases
from innovation.domain.recorded import Recorded
from innovation.store.database import Database
from innovation.store.errors import said, unavailable
from innovation.store.leases import Lease, LeaseLostError
from innovation.store.log import Clock, Recorder, utcnow
from innovation.store.mapper import Mapper
from innovation.store.moments import Moments
from innovation.store.records import RecordedEvent

logger = logging.getLogger(__name__)

PAGE = 1000


def replay(
    connection: Connection,
    recorder: Recorder,
    *,
    up_to: int,
    after: int = 0,
    page_size: int = PAGE,
    types: Collection[str] | None = None,
) -> Iterator[RecordedEvent]:
    """Every event in ``(after, up_to]`` in position order, read a page at a time; only
    those of ``types`` (stored names) when given.

    ``up_to`` must be settled: from ``Log.settled_position``, or the log's end inside a
    transaction whose locks keep every writer out (the projection rebuild).
    """
    pages = replay_pages(
        connection, recorder, up_to=up_to, after=after, page_size=page_size, types=types
    )
    for page in pages:
        yield from page


def replay_pages(
    connection: Connection,
    recorder: Recorder,
    *,
    up_to: int,
    after: int = 0,
    page_size: int = PAGE,
    types: Collection[str] | None = None,
) -> Iterator[list[RecordedEvent]]:
    """``replay`` a page at a time, for readers that handle a page in one go."""
    while after < up_to:
        page = recorder.read_range(connection, after, page_size, upto=up_to, types=types)
        if not page:
            return
        yield page
        after = page[-1].position


class Log:
    """The log on one database, as its readers see it: settled, replayed, in order."""

    def __init__(
        self,
        database: Database,
        mapper: Mapper,
        *,
        clock: Clock = utcnow,
        guard_gaps: bool = True,
        settle_seconds: float = 5.0,
    ) -> None:
        self.database = database
        self.mapper = mapper
        self.recorder = database.recorder(clock)
        self.guard_gaps = guard_gaps
        """Off only to show, in a test, what the guard prevents."""
        self.settle_seconds = settle_seconds
        self._settled = 0
        self.moments = Moments()
        """Where ``position_at`` keeps the blocks of positions (tests give it smaller ones)."""

    async def last_position(self) -> int:
        return await self.database.read(self.recorder.last_position)

    async def settled_position(self) -> int:
        """A position below which nothing can still commit; raises ``TimeoutError`` when
        transactions older than the question stay open longer than ``settle_seconds``."""
        if not self.guard_gaps:
            return await self.last_position()
        high_water, xid = await self.database.read(
            partial(self.recorder.settle, after=self._settled)
        )
        if xid is not None:
            await self._wait_for_transactions(xid)
        self._settled = max(self._settled, high_water)
        return high_water

    async def position_at(self, moment: datetime) -> int:
        """The last position recorded at or before ``moment`` (``Recorder.position_at``'s
        answer), found from the blocks of positions settled so far (``store/moments.py``)."""
        settled = self._settled if self.guard_gaps else 0  # unguarded, nothing is settled
        return await self.database.read(
            partial(self.moments.position_at, moment=moment, settled=settled)
        )

    async def _wait_for_transactions(self, xid: int) -> None:
        """Wait until every transaction with an id below ``xid`` has ended (PostgreSQL)."""
        deadline = time.monotonic() + self.settle_seconds
        pause = 0.0005
        while await self.database.read(self.recorder.oldest_running_xid) < xid:
            if time.monotonic() >= deadline:
                raise TimeoutError("transactions older than the read are still open")
            await asyncio.sleep(pause)
            pause = min(pause * 2, 0.02)

    async def replay(
        self,
        after: int = 0,
        up_to: int | None = None,
        *,
        page_size: int = PAGE,
        types: Collection[str] | None = None,
    ) -> AsyncIterator[RecordedEvent]:
        """Every event after ``after``, up to ``up_to`` or the settled position if lower;
        only those of ``types`` (stored names) when given, filtered by the database.

        Rows as stored, for tails that pass them on; ``recorded`` makes one a ``Recorded``.
        """
        settled = await self.settled_position()
        end = settled if up_to is None else min(up_to, settled)
        if after >= end or (types is not None and not types):
            return
        if self.database.glances_in_one_step:
            # A page read on the loop's thread (SQLite): 1,000 events in about 1.5 ms, where
            # handing each page to a reader thread and back cost a third as much again. Each
            # page looks at no more than ``page_size`` positions (of some types only, a page
            # of positions may hold fewer events, or none); other tasks run between pages.
            while after < end:
                stop = end if types is None else min(end, after + page_size)
                job = partial(self.read_page, after=after, up_to=stop, size=page_size, types=types)
                page = await self.database.glance(job)
                for event in page:
                    yield event
                after = page[-1].position if len(page) == page_size else stop
                await asyncio.sleep(0)
            return
        async with self.database.session() as session:

            def fetch(after: int) -> asyncio.Future[list[RecordedEvent]]:
                # Asked for at once, so the database works on it while the caller consumes
                # the page before (a reader thread for SQLite, the server for PostgreSQL).
                job = partial(self.read_page, after=after, up_to=end, size=page_size, types=types)
                return asyncio.ensure_future(session.run(job))

            upcoming: asyncio.Future[list[RecordedEvent]] | None = fetch(after)
            try:
                while upcoming is not None:
                    page = await upcoming
                    upcoming = None
                    if len(page) == page_size and page[-1].position < end:
                        upcoming = fetch(page[-1].position)
                        await asyncio.sleep(0)  # let the request go out before consuming
                    for event in page:
                        yield event
            finally:
                if upcoming is not None:
                    upcoming.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await upcoming

    def read_page(
        self,
        connection: Connection,
        *,
        after: int,
        up_to: int,
        size: int,
        types: Collection[str] | None = None,
    ) -> list[RecordedEvent]:
        """A job: up to ``size`` events in ``(after, up_to]``, ``up_to`` being settled.

        One query, its rows handed on as they come: no generator step per event."""
        if after >= up_to:
            return []
        return self.recorder.read_range(connection, after, size, upto=up_to, types=types)

    def recorded(self, record: RecordedEvent) -> Recorded[msgspec.Struct]:
        return self.mapper.recorded(record)


Handle = Callable[[Connection, list[Recorded[msgspec.Struct]]], None]
"""``handle(connection, batch)``: a reader's work, in the transaction that moves its checkpoint.

Writes to the database belong on ``connection``. Anything sent out of the process must be
idempotent by the event's position, since a batch whose transaction fails is handled again.
"""


@dataclass(frozen=True)
class CheckpointedReader:
    """A named reader of the log; the name keys its checkpoint and lease."""

    name: str
    handle: Handle
    batch_size: int = 500
    types: frozenset[str] | None = None
    """Only events of these stored types reach ``handle`` (the database filters them); the
    checkpoint still moves past the others. ``None``: every event."""


@dataclass(frozen=True)
class Batch:
    """Events for a reader, and the position they were read through: past the last of them
    when the reader reads some types only and the rest of the log up to the settled
    position held none of those."""

    events: list[Recorded[msgspec.Struct]]
    through: int


class Readers:
    """Runs checkpointed readers: in any number of processes, one holder per reader at a time.

    ``run(reader)`` polls forever; ``run_until(reader, position)`` stops once the reader has
    read that far (tests, catch-ups). A holder renews its lease with every batch and while
    idle; when it dies, another process takes over once the lease has run out.
    """

    def __init__(
        self,
        log: Log,
        *,
        holder: str | None = None,
        lease_seconds: float = 10.0,
        poll_seconds: float = 0.5,
        clock: Clock = utcnow,
    ) -> None:
        self.log = log
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.lease_seconds = lease_seconds
        self.poll_seconds = poll_seconds
        self.clock = clock
        self._leases: dict[str, Lease] = {}

    @property
    def database(self) -> Database:
        return self.log.database

    async def claim(self, reader: CheckpointedReader) -> Lease | None:
        """This process's lease on ``reader``, renewed or newly taken; ``None`` if not."""
        held = self._leases.get(reader.name)
        now = self.clock()
        # Renew once half the lease is gone: a busy reader renews by advancing anyway.
        if held is not None and (held.expires_at - now).total_seconds() > self.lease_seconds / 2:
            return held
        job = partial(
            leases.claim,
            reader=reader.name,
            holder=self.holder,
            now=now,
            seconds=self.lease_seconds,
            held=held,
        )
        lease = await self.database.write(job)
        self._remember(reader, lease)
        return lease

    async def read_batch(self, reader: CheckpointedReader, lease: Lease) -> Batch:
        """The next events after the lease's checkpoint, never past the settled position."""
        settled = await self.log.settled_position()
        job = partial(
            self.log.read_page,
            after=lease.position,
            up_to=settled,
            size=reader.batch_size,
            types=reader.types,
        )
        rows = await self.database.read(job)
        events = [self.log.recorded(row) for row in rows]
        if len(rows) == reader.batch_size or reader.types is None:
            return Batch(events, rows[-1].position if rows else lease.position)
        return Batch(events, max(settled, lease.position))  # nothing else of its types there

    async def apply(self, reader: CheckpointedReader, lease: Lease, batch: Batch) -> Lease:
        """Handle ``batch`` and move the checkpoint in one transaction, or raise
        ``LeaseLostError`` (nothing of the batch is kept) when another holder took over."""
        if batch.through <= lease.position:
            return lease
        events, last = batch.events, batch.through

        def job(connection: Connection) -> Lease:
            if events:
                reader.handle(connection, events)
            return leases.advance(
                connection, lease, last, now=self.clock(), seconds=self.lease_seconds
            )

        try:
            advanced = await self.database.write(job)
        except LeaseLostError:
            self._remember(reader, None)
            raise
        self._remember(reader, advanced)
        return advanced

    async def step(self, reader: CheckpointedReader) -> int:
        """Handle one batch if this process holds the reader; return how many events."""
        return (await self._step(reader))[0]

    async def _step(self, reader: CheckpointedReader) -> tuple[int, bool]:
        """``step``, and whether the checkpoint moved (it can without any event handled)."""
        lease = await self.claim(reader)
        if lease is None:
            return 0, False
        batch = await self.read_batch(reader, lease)
        try:
            advanced = await self.apply(reader, lease, batch)
        except LeaseLostError:
            logger.warning("reader %s: lease lost to another process", reader.name)
            return 0, False
        return len(batch.events), advanced.position != lease.position

    async def run(self, reader: CheckpointedReader) -> None:
        """Step forever: at once while batches come back full, every ``poll_seconds`` if not;
        after failures, further apart each time (``Failures``)."""
        failures = Failures(f"reader {reader.name}", self.poll_seconds)
        try:
            while True:
                try:
                    handled = await self.step(reader)
                except Exception as error:  # the database hiccuped: keep the lease, try again
                    await asyncio.sleep(failures.failed(error))
                    continue
                failures.succeeded()
                if handled < reader.batch_size:
                    await asyncio.sleep(self.poll_seconds)
        finally:
            await asyncio.shield(self.release(reader))

    async def run_until(self, reader: CheckpointedReader, position: int) -> None:
        """Step until the reader's checkpoint has reached ``position``, whoever holds it.

        Bound it with ``asyncio.timeout``: a reader held elsewhere and stuck never gets there.
        """
        while await self.checkpoint(reader.name) < position:
            _, moved = await self._step(reader)
            if not moved:
                await asyncio.sleep(self.poll_seconds)

    async def checkpoint(self, name: str) -> int:
        return await self.database.read(partial(leases.checkpoint, reader=name))

    async def release(self, reader: CheckpointedReader) -> None:
        """Give the lease up, so that another process takes over without waiting it out."""
        lease = self._leases.pop(reader.name, None)
        if lease is not None:
            await self.database.write(partial(leases.release, lease=lease, now=self.clock()))

    def _remember(self, reader: CheckpointedReader, lease: Lease | None) -> None:
        if lease is None:
            self._leases.pop(reader.name, None)
        else:
            self._leases[reader.name] = lease


class Failures:
    """How a loop that retries for ever reports and paces its failures (a database down for
    an hour): each on a line of its own, and the recovery; the first with its traceback,
    unless it says the database cannot be reached just now (``unavailable``), which is no
    fault of the code: a restart of PostgreSQL is a line a loop, as it is a line a request.
    The pause before the next try doubles from ``shortest`` up to ``longest``, so a long outage
    neither floods the log (it was a traceback every half second a reader) nor keeps knocking
    at the server."""

    def __init__(
        self,
        what: str,
        shortest: float,
        longest: float = 30.0,
        log: logging.Logger = logger,
    ) -> None:
        self.what = what
        self.shortest = shortest
        self.longest = max(longest, shortest)
        self.log = log
        """Where the failures are told: the looping module's own logger."""
        self.count = 0

    def failed(self, error: BaseException) -> float:
        """Log this failure; return how long to wait before trying again."""
        self.count += 1
        pause = min(self.shortest * 2 ** min(self.count - 1, 30), self.longest)
        if self.count == 1 and not unavailable(error):
            self.log.error("%s failed; retrying", self.what, exc_info=error)
        elif self.count == 1:
            self.log.warning(
                "%s failed: the database is unavailable (%s); next try in %.1f s",
                self.what,
                said(error),
                pause,
            )
        else:
            self.log.warning(
                "%s failed again (%d in a row): %s; next try in %.1f s",
                self.what,
                self.count,
                said(error),
                pause,
            )
        return pause

    def succeeded(self) -> None:
        if self.count:
            self.log.info("%s works again, after %d failures", self.what, self.count)
            self.count = 0
