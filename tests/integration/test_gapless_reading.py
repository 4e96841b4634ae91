"""A reader tailing the log by position sees every event exactly once, even when commits race.

On PostgreSQL positions are handed out at insert time but become visible at commit time, in
any order; see ``innovation/store/postgres.py`` for the guard, and ``store/readers.py`` for
the settled position that every reader stops at. The writers run the append a command runs
(``Recorder.append`` in a ``Database.write`` job). Setting
``INNOVATION_TEST_GAP_GUARD=off`` runs this test with the guard switched off, to show that
it then misses events.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from innovation.store import NO_STREAM, Log, Mapper, NewEvent, open_database
from tests.integration.store_events import Noted, new

WRITERS = 8
EVENTS_PER_WRITER = 1000
GUARD = os.environ.get("INNOVATION_TEST_GAP_GUARD", "on") != "off"

pytestmark = pytest.mark.slow


async def test_a_tailing_reader_sees_every_event_exactly_once(
    database_url: str, mapper: Mapper, backend: str
):
    # Each writer has its own Database (its own connection), as separate processes would.
    writers = [Log(open_database(database_url), mapper) for _ in range(WRITERS)]
    reader = Log(open_database(database_url), mapper, guard_gaps=GUARD)
    longest_pause = 0.003 if backend == "postgresql" else 0.0003
    written: set[uuid.UUID] = set()
    done = asyncio.Event()

    def append_then_pause(store: Log, stream: str, event: NewEvent, version: int):
        record = store.mapper.to_stored(event)
        pause = random.uniform(0, longest_pause)

        def job(connection: Connection) -> None:
            store.recorder.append(connection, stream, [record], version)
            # Hold the transaction open after the insert, so commits land out of order.
            if connection.dialect.name == "postgresql":
                connection.execute(sa.text("SELECT pg_sleep(:s)"), {"s": pause})
            else:
                time.sleep(pause)

        return store.database.write(job)

    async def write(number: int) -> None:
        store = writers[number]
        stream = f"writer-{number}"
        for version in range(EVENTS_PER_WRITER):
            event = new(Noted(text=f"{number}/{version}"))
            await append_then_pause(store, stream, event, version or NO_STREAM)
            written.add(event.event_id)

    seen: list[tuple[int, uuid.UUID]] = []

    async def tail() -> None:
        after = 0
        while True:
            finished = done.is_set()
            async for event in reader.replay(after):
                seen.append((event.position, event.event_id))
                after = event.position
            if finished:
                return
            await asyncio.sleep(0.001)

    tailer = asyncio.create_task(tail())
    try:
        await asyncio.gather(*(write(n) for n in range(WRITERS)))
        done.set()
        await asyncio.wait_for(tailer, timeout=60)
    finally:
        for store in [*writers, reader]:
            await store.database.close()

    positions = [position for position, _ in seen]
    ids = [event_id for _, event_id in seen]
    assert positions == sorted(set(positions)), "read in strictly increasing position order"
    assert len(ids) == len(set(ids)), "no event seen twice"
    missed = written - set(ids)
    assert not missed, f"the reader skipped {len(missed)} of {len(written)} events"
    assert len(ids) == WRITERS * EVENTS_PER_WRITER
