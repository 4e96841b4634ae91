"""The log's tail for subscriptions, through a database outage: told once, paced, recovered."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

from innovation.store.follow import LogFollower


class FlakyLog:
    """A log whose reads fail ``failing`` times (a database restarting), then hold one event."""

    def __init__(self, failing: int) -> None:
        self.failing = failing
        self.reads = 0

    async def settled_position(self) -> int:
        return 0

    async def replay(self, after: int = 0, up_to: int | None = None) -> AsyncIterator[Any]:
        self.reads += 1
        if self.reads <= self.failing:
            raise ConnectionRefusedError("the database is restarting")
        if after < 1:
            yield SimpleNamespace(position=1, stream_id="idea-1")


async def test_an_outage_is_logged_a_line_a_try_then_its_end(caplog):
    caplog.set_level(logging.INFO, logger="innovation.store.follow")
    follower = LogFollower(FlakyLog(failing=4), poll_seconds=0.001)  # type: ignore[arg-type]
    events = follower.subscribe(after=None)
    try:
        first = await asyncio.wait_for(anext(events), timeout=10)
    finally:
        await events.aclose()
        await follower.close()

    assert first.position == 1
    records = [(r.levelname, r.exc_info is not None) for r in caplog.records]
    assert records == [("WARNING", False)] * 4 + [("INFO", False)]
    assert "following the log failed: the database is unavailable" in caplog.records[0].getMessage()
    assert "following the log failed again (4 in a row)" in caplog.records[3].getMessage()
    assert "works again, after 4 failures" in caplog.records[4].getMessage()
