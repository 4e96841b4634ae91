"""The scheduler fires at each period's end in the configured zone, and catches up on start."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from innovation.domain.periods import Cadence
from innovation.releases.scheduler import AFTER_THE_END, ReleaseScheduler, period_end_trigger


def test_semester_ends_fire_just_after_local_midnight_on_the_first_of_january_and_july():
    trigger = period_end_trigger(Cadence(6, "Europe/Paris"))
    paris = ZoneInfo("Europe/Paris")

    first = trigger.get_next_fire_time(None, datetime(2026, 3, 14, tzinfo=UTC))
    second = trigger.get_next_fire_time(first, first + timedelta(seconds=1))

    assert first == datetime(2026, 7, 1, 0, 0, AFTER_THE_END, tzinfo=paris)
    assert second == datetime(2027, 1, 1, 0, 0, AFTER_THE_END, tzinfo=paris)
    assert first.astimezone(UTC) == Cadence().parse("2026-H2").start + timedelta(
        seconds=AFTER_THE_END
    )


def test_every_period_end_of_a_quarterly_cadence_is_a_firing():
    cadence = Cadence(3, "America/New_York")
    trigger = period_end_trigger(cadence)
    fired, moment = [], datetime(2026, 1, 15, tzinfo=UTC)
    for _ in range(4):
        moment = trigger.get_next_fire_time(None, moment + timedelta(seconds=1))
        fired.append(cadence.period_of(moment).label)

    assert fired == ["2026-Q2", "2026-Q3", "2026-Q4", "2027-Q1"]


async def test_starting_the_scheduler_catches_up_at_once():
    ran = asyncio.Event()

    async def catch_up() -> None:
        ran.set()

    scheduler = ReleaseScheduler(Cadence(), catch_up)
    scheduler.start(datetime.now(UTC))
    try:
        await asyncio.wait_for(ran.wait(), timeout=10)
    finally:
        scheduler.shutdown()


async def test_a_failing_catch_up_is_logged_and_does_not_stop_the_scheduler(caplog):
    calls = 0

    async def catch_up() -> None:
        nonlocal calls
        calls += 1
        raise RuntimeError("database away")

    scheduler = ReleaseScheduler(Cadence(), catch_up)
    await scheduler._run("test")

    assert calls == 1
    assert "will be tried again" in caplog.text


async def test_a_catch_up_that_meets_an_outage_says_so_in_one_line(caplog):
    async def catch_up() -> None:
        raise ConnectionRefusedError(111, "Connection refused")

    await ReleaseScheduler(Cadence(), catch_up)._run("start")

    [record] = caplog.records
    assert record.levelno == logging.WARNING
    assert record.exc_info is None
    assert record.getMessage() == (
        "release assembly (start) failed: the database is unavailable (ConnectionRefusedError:"
        " [Errno 111] Connection refused); it will be tried again"
    )


async def test_a_catch_up_that_fails_otherwise_keeps_its_traceback(caplog):
    async def catch_up() -> None:
        raise RuntimeError("a bug")

    await ReleaseScheduler(Cadence(), catch_up)._run("start")

    [record] = caplog.records
    assert record.levelno == logging.ERROR
    assert record.exc_info is not None


async def test_a_catch_up_cut_short_by_the_process_stopping_is_no_error(caplog):
    caplog.set_level(logging.INFO, logger="innovation.releases.scheduler")
    started = asyncio.Event()

    async def catch_up() -> None:
        started.set()
        await asyncio.Event().wait()  # a database that answers slowly, say

    scheduler = ReleaseScheduler(Cadence(), catch_up)
    job = asyncio.create_task(scheduler._run("start"))
    await started.wait()
    job.cancel()  # as asyncio.run cancels what is left when the server stops
    await asyncio.gather(job, return_exceptions=True)

    assert not job.cancelled()  # the job ends quietly: APScheduler logs a cancelled one as failed
    assert "stopped with the process" in caplog.text
