"""Following the log as it grows: one tail per process, fanned out to any number of readers.

GraphQL subscriptions follow the log through ``Log.replay`` (``store/readers.py``), so they
never pass the settled position and never skip an event. A process keeps one tail. It wakes
at once when this process appends (``wake``), and otherwise polls every ``poll_seconds``,
which is how events appended by other processes reach it, whichever database. While the
database cannot be read it tries further apart each time (``Failures``), as the readers do.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from innovation.store.readers import Failures, Log
from innovation.store.records import RecordedEvent

logger = logging.getLogger(__name__)


class SubscriberTooSlowError(Exception):
    """A reader fell so far behind that its buffer overflowed; it must start again."""


class LogFollower:
    def __init__(self, log: Log, *, poll_seconds: float = 0.2, buffer: int = 10_000) -> None:
        self.log = log
        self.poll_seconds = poll_seconds
        self.buffer = buffer
        self._subscribers: set[asyncio.Queue[RecordedEvent | BaseException]] = set()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._position: int | None = None

    def wake(self) -> None:
        """Something was appended here: look now instead of at the next poll."""
        self._wake.set()

    async def subscribe(self, after: int | None = None) -> AsyncIterator[RecordedEvent]:
        """Events in log order: those after ``after`` (default: from now on), then new ones.

        The live queue is registered at the tail's position before any replay, so nothing
        falls between the replayed events and the live ones, and nothing comes twice.
        """
        queue: asyncio.Queue[RecordedEvent | BaseException] = asyncio.Queue(self.buffer)
        if self._position is None:
            position = await self.log.settled_position()
            if self._position is None:
                self._position = position
        start = self._position
        self._subscribers.add(queue)
        self._ensure_running()
        last = start if after is None else max(start, after)
        try:
            if after is not None and after < start:
                async for event in self.log.replay(after, start):
                    if event.position > start:
                        break
                    yield event
                last = start
            while True:
                item = await queue.get()
                if isinstance(item, BaseException):
                    raise item
                if item.position > last:
                    last = item.position
                    yield item
        finally:
            self._subscribers.discard(queue)

    def _ensure_running(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._tail(), name="log-follower")

    async def _tail(self) -> None:
        failures = Failures("following the log", self.poll_seconds, log=logger)
        while self._subscribers:
            pause = self.poll_seconds
            try:
                assert self._position is not None
                async for event in self.log.replay(self._position):
                    self._position = event.position
                    self._deliver(event)
                failures.succeeded()
            except Exception as error:  # the database hiccuped: keep the position, try again
                pause = failures.failed(error)
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=pause)

    def _deliver(self, event: RecordedEvent) -> None:
        for queue in list(self._subscribers):
            try:
                queue.put_nowait(event)
            except asyncio.QueueFull:
                self._subscribers.discard(queue)
                with contextlib.suppress(asyncio.QueueFull):
                    queue.get_nowait()
                queue.put_nowait(SubscriberTooSlowError("fell too far behind the log"))

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
