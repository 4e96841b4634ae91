"""Sixteen writers race for one stream: one winner per version, the rest told so, nothing lost."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from innovation.store import AppendRaceError, ConcurrencyError, Log, Mapper, open_database
from tests.integration.command_path import CommandPath
from tests.integration.store_events import Noted, new

WRITERS = 16
DATABASES = 4  # independent writer connections, so the race really reaches the database
TARGET_VERSION = 160

pytestmark = pytest.mark.slow


async def test_sixteen_racing_writers_get_one_winner_per_version(database_url: str, mapper: Mapper):
    stores = [CommandPath(Log(open_database(database_url), mapper)) for _ in range(DATABASES)]
    wins: list[tuple[int, uuid.UUID]] = []  # (version won, event id)
    losses: list[tuple[int, int]] = []  # (expected, actual) carried by the error
    races: list[
        int
    ] = []  # versions lost on PostgreSQL's unique index: the pipeline runs such a command again
    failures: list[BaseException] = []

    async def writer(number: int) -> None:
        store = stores[number % DATABASES]
        while len(wins) < TARGET_VERSION:
            expected = await store.stream_version("contested")
            event = new(Noted(text=f"writer {number} at {expected}"))
            try:
                result = await store.append("contested", [event], expected)
            except ConcurrencyError as lost:
                losses.append((lost.expected, lost.actual))
            except AppendRaceError:
                races.append(expected)
            except BaseException as crash:  # anything else is a failure of the store
                failures.append(crash)
                return
            else:
                wins.append((result.version, event.event_id))

    try:
        await asyncio.gather(*(writer(n) for n in range(WRITERS)))
        stored = await stores[0].read_stream("contested")
    finally:
        for store in stores:
            await store.database.close()

    assert failures == []
    versions = sorted(version for version, _ in wins)
    assert versions == list(range(1, len(wins) + 1)), "one winner per version, no gaps"
    assert [e.version for e in stored] == versions
    assert {e.event_id for e in stored} == {event_id for _, event_id in wins}
    assert losses or races, "sixteen writers on one stream must have collided"
    assert all(actual > expected for expected, actual in losses)
