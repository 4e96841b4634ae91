"""When releases are assembled: at each period's end, on start, and every hour to catch up.

APScheduler (3.11) fires a thin job; the job asks the release service to assemble every period
that has ended and has no release yet. Correctness never rests on the scheduler: its job store
is in memory and per process, several processes may fire at once, and a process that was down
at a period's end catches up on start. The log keeps one release per period whoever fires.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from innovation.domain.periods import Cadence
from innovation.store.errors import said, unavailable

log = logging.getLogger(__name__)
logging.getLogger("apscheduler").setLevel(logging.WARNING)  # one line per firing is noise

CatchUp = Callable[[], Awaitable[object]]
"""Assembles every elapsed period without a release; safe to call at any time, from anywhere."""

CATCH_UP_EVERY = timedelta(hours=1)
AFTER_THE_END = 5
"""Seconds after a period's end at which the scheduled assembly fires."""


def period_end_trigger(cadence: Cadence) -> CronTrigger:
    """Fires just after local midnight on the first day of every period, in the cadence's zone."""
    first_months = ",".join(str(month) for month in range(1, 13, cadence.months))
    return CronTrigger(
        month=first_months, day=1, hour=0, minute=0, second=AFTER_THE_END, timezone=cadence.zone
    )


class ReleaseScheduler:
    def __init__(self, cadence: Cadence, catch_up: CatchUp) -> None:
        self.cadence = cadence
        self.catch_up = catch_up
        self.scheduler = AsyncIOScheduler(timezone=cadence.zone)

    async def _run(self, why: str) -> None:
        try:
            await self.catch_up()
        except Exception as error:  # the next firing (or the hourly pass) tries again
            if not unavailable(error):
                log.exception("release assembly (%s) failed; it will be tried again", why)
            else:  # an outage is not a bug: one line, as the log's readers say it
                log.warning(
                    "release assembly (%s) failed: the database is unavailable (%s);"
                    " it will be tried again",
                    why,
                    said(error),
                )
        except asyncio.CancelledError:  # the process stops: the next start catches up
            log.info("release assembly (%s) stopped with the process", why)

    def start(self, now: datetime) -> None:
        """Schedule the period ends and the hourly pass, and catch up at once."""
        common = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600}
        self.scheduler.add_job(
            self._run,
            period_end_trigger(self.cadence),
            args=["period end"],
            id="period-end",
            **common,
        )
        self.scheduler.add_job(
            self._run,
            IntervalTrigger(seconds=CATCH_UP_EVERY.total_seconds(), timezone=self.cadence.zone),
            args=["hourly catch-up"],
            id="catch-up",
            **common,
        )
        self.scheduler.add_job(
            self._run, args=["start"], id="on-start", next_run_time=now, **common
        )
        self.scheduler.start()

    def next_period_end(self, now: datetime) -> datetime | None:
        return period_end_trigger(self.cadence).get_next_fire_time(None, now)

    def shutdown(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
