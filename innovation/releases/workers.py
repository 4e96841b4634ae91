"""The release wing's background work in a service process: shipping, sending, scheduling.

The same three run in ``innovation serve`` (unless ``INNOVATION_SCHEDULER=off`` leaves out the
scheduler) and in ``innovation scheduler``; any number of processes may run them, since the
shipping reader and the outbox each have one holder at a time and a period is released once.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime

from innovation.bootstrap import Services
from innovation.releases.scheduler import ReleaseScheduler


class ReleaseWorkers:
    def __init__(self, services: Services, *, scheduler: bool) -> None:
        self.services = services
        self.scheduler = (
            ReleaseScheduler(services.releases.cadence, self.catch_up) if scheduler else None
        )
        self._tasks: list[asyncio.Task[None]] = []

    async def catch_up(self) -> list[str]:
        return await self.services.releases.catch_up(now=self.services.clock())

    def start(self) -> None:
        services = self.services
        self._tasks = [
            asyncio.create_task(services.readers.run(services.shipping), name="releases.ship"),
            asyncio.create_task(services.outbox.run(), name="outbox.digest"),
        ]
        if self.scheduler is not None:
            self.scheduler.start(datetime.now(UTC))  # the scheduler's own time is real time

    async def stop(self) -> None:
        if self.scheduler is not None:
            self.scheduler.shutdown()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
