"""A writer killed with SIGKILL at random moments loses nothing it acknowledged, halves nothing."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sqlite3
import uuid
from collections import Counter, defaultdict

import pytest
import sqlalchemy as sa

from tests.helpers import collect, start_module
from tests.integration.command_path import CommandPath

KILLS = 20

pytestmark = pytest.mark.slow


async def run_and_kill(url: str, rng: random.Random) -> list[str]:
    """Start a writer, SIGKILL it after a random moment, return the lines it acknowledged."""
    process, first = await start_module("tests.integration.durability_writer", url)
    await asyncio.sleep(rng.uniform(0, 0.3))
    process.send_signal(signal.SIGKILL)
    rest, _ = await process.communicate()
    assert process.returncode == -signal.SIGKILL
    lines = [first.decode(), *rest.decode().splitlines(keepends=True)]
    return [
        line for line in lines if line.endswith("\n")
    ]  # a torn last line was never acknowledged


async def test_killed_writers_lose_no_acknowledged_event_and_half_write_no_batch(
    database_url: str, store: CommandPath, backend: str
):
    rng = random.Random(os.environ.get("PYTEST_SEED"))
    acknowledged: dict[uuid.UUID, str] = {}
    for _ in range(KILLS):
        for line in await run_and_kill(database_url, rng):
            batch, _size, *ids = line.split()
            acknowledged.update({uuid.UUID(event_id): batch for event_id in ids})

    logged = await collect(store.read_all())
    events = {e.event_id: store.mapper.to_event(e) for e in logged}

    assert acknowledged, "the writer acknowledged nothing before being killed"
    lost = set(acknowledged) - set(events)
    assert not lost, f"{len(lost)} acknowledged events are missing"
    sizes = {event.batch: event.size for event in events.values()}
    present = Counter(event.batch for event in events.values())
    halves = {batch for batch, count in present.items() if count != sizes[batch]}
    assert not halves, f"{len(halves)} batches are half written"
    versions: dict[str, list[int]] = defaultdict(list)
    for event in logged:
        versions[event.stream_id].append(event.version)
    assert all(v == list(range(1, len(v) + 1)) for v in versions.values())
    if backend == "sqlite":
        path = sa.make_url(database_url).database
        with sqlite3.connect(path) as connection:
            assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
