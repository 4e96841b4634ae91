"""The event store as the rest of the service sees it: async, typed, backend-neutral."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable, Sequence
from functools import partial
from typing import Any, TypeVar

import msgspec
from sqlalchemy.engine import Connection

from innovation.store.database import Database, MergeableJob
from innovation.store.errors import ConcurrencyError
from innovation.store.mapper import Mapper
from innovation.store.recorder import (
    AppendRaceError,
    Clock,
    Page,
    Recorder,
    recorder_for,
    utcnow,
)
from innovation.store.records import AppendResult, NewEvent, RecordedEvent, StoredEvent
from innovation.store.streams import Loaded, SnapshotSpec, load_stream, save_snapshot

S = TypeVar("S")


def _next_size(page_size: int, remaining: int | None) -> int:
    return page_size if remaining is None else min(page_size, remaining)


class AppendJob(MergeableJob):
    """An append as a database job; concurrent appends are merged by the writer."""

    __slots__ = ("expected", "recorder", "records", "stream_id")

    def __init__(
        self, recorder: Recorder, stream_id: str, records: list[StoredEvent], expected: int
    ) -> None:
        self.recorder = recorder
        self.stream_id = stream_id
        self.records = records
        self.expected = expected

    def __call__(self, connection: Connection) -> AppendResult:
        return self.recorder.append(connection, self.stream_id, self.records, self.expected)

    @classmethod
    def run_many(cls, connection: Connection, jobs: list[Any]) -> list[tuple[bool, Any]]:
        recorder: Recorder = jobs[0].recorder
        return recorder.append_many(
            connection, [(job.stream_id, job.records, job.expected) for job in jobs]
        )

    @classmethod
    async def run_alone(cls, driver: Any, jobs: list[Any]) -> list[tuple[bool, Any] | None] | None:
        recorder: Recorder = jobs[0].recorder
        return await recorder.append_alone(
            driver, [(job.stream_id, job.records, job.expected) for job in jobs]
        )


class EventStore:
    """Append to streams, read them back, read the whole log in order; see ``store/``."""

    def __init__(
        self,
        database: Database,
        mapper: Mapper,
        *,
        clock: Clock = utcnow,
        guard_gaps: bool = True,
        gap_wait_seconds: float = 5.0,
    ) -> None:
        self.database = database
        self.mapper = mapper
        options = {"guard_gaps": guard_gaps} if database.dialect == "postgresql" else {}
        self.recorder: Recorder = recorder_for(database.dialect, clock, **options)
        self.gap_wait_seconds = gap_wait_seconds

    async def append(
        self, stream_id: str, events: Sequence[NewEvent], expected_version: int
    ) -> AppendResult:
        """Append atomically; raise ``ConcurrencyError`` when the stream is not at the version.

        Appending the same events again (same ids) is acknowledged and writes nothing.
        """
        records = [self.mapper.to_stored(event) for event in events]
        job = AppendJob(self.recorder, stream_id, records, expected_version)
        for _attempt in range(3):
            try:
                return await self.database.write(job)
            except AppendRaceError:
                continue  # lost a race with another process: look again, now it has committed
        raise ConcurrencyError(stream_id, expected_version, await self.stream_version(stream_id))

    async def stream_version(self, stream_id: str) -> int:
        return await self.database.read(
            lambda connection: self.recorder.stream_version(connection, stream_id)
        )

    async def read_stream(
        self, stream_id: str, from_version: int = 1, to_version: int | None = None
    ) -> list[RecordedEvent]:
        return await self.database.read(
            lambda connection: self.recorder.read_stream(
                connection, stream_id, from_version, to_version
            )
        )

    async def read_all(
        self, after_position: int = 0, *, limit: int | None = None, page_size: int = 1000
    ) -> AsyncIterator[RecordedEvent]:
        """Every event after ``after_position`` in position order, up to the log's end as of now.

        Pages are read one at a time, so memory stays flat however long the log is. On
        PostgreSQL, reading never passes an event that may still commit: it waits (up to
        ``gap_wait_seconds``) for the transactions that could fill a gap and otherwise stops
        before the gap, so a caller that keeps the last position it saw can simply call again.
        """
        after = after_position
        remaining = limit
        settled = 0
        async with self.database.session() as session:

            def fetch(after: int, size: int, settled: int) -> asyncio.Future[Page]:
                # Asked for at once, so the database works on it while the caller consumes
                # the page before (a reader thread for SQLite, the server for PostgreSQL).
                job = partial(self._read_page, after=after, limit=size, settled=settled)
                return asyncio.ensure_future(session.run(job))

            size = _next_size(page_size, remaining)
            upcoming: asyncio.Future[Page] | None = fetch(after, size, settled)
            try:
                while upcoming is not None:
                    page = await upcoming
                    upcoming = None
                    if page.events:
                        after = page.events[-1].position
                        if remaining is not None:
                            remaining -= len(page.events)
                    more = len(page.events) == size and page.wait_for_xid is None
                    if more and (remaining is None or remaining > 0):
                        size = _next_size(page_size, remaining)
                        upcoming = fetch(after, size, settled)
                        await asyncio.sleep(0)  # let the request go out before consuming
                    for event in page.events:
                        yield event
                    if page.wait_for_xid is not None:
                        if not await self._wait_for_transactions(page.wait_for_xid):
                            return
                        settled = page.settles
                        size = _next_size(page_size, remaining)
                        if remaining is None or remaining > 0:
                            upcoming = fetch(after, size, settled)
            finally:
                if upcoming is not None:
                    upcoming.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await upcoming

    def _read_page(self, connection: Connection, *, after: int, limit: int, settled: int) -> Page:
        return self.recorder.read_page(connection, after, limit, settled)

    async def _wait_for_transactions(self, xid: int) -> bool:
        """Wait until every transaction with an id below ``xid`` has ended (PostgreSQL)."""
        oldest = getattr(self.recorder, "oldest_running_xid", None)
        if oldest is None:
            return True
        deadline = time.monotonic() + self.gap_wait_seconds
        pause = 0.0005
        while True:
            if await self.database.read(oldest) >= xid:
                return True
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(pause)
            pause = min(pause * 2, 0.02)

    async def last_position(self) -> int:
        return await self.database.read(self.recorder.last_position)

    async def load(
        self,
        stream_id: str,
        initial: S,
        evolve: Callable[[S, msgspec.Struct], S],
        snapshot: SnapshotSpec[S] | None = None,
    ) -> Loaded[S]:
        """Fold a stream into a state, starting from its latest usable snapshot."""
        return await self.database.read(
            lambda connection: load_stream(
                connection, self.recorder, self.mapper, stream_id, initial, evolve, snapshot
            )
        )

    async def save_snapshot(self, spec: SnapshotSpec[S], loaded: Loaded[S], stream_id: str) -> None:
        await self.database.write(
            lambda connection: save_snapshot(connection, self.recorder, spec, stream_id, loaded)
        )
