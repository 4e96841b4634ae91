"""Several service processes and one log: a period is released once, even through kills."""

from __future__ import annotations

import asyncio
import random
import signal
import sys
from datetime import UTC, datetime
from functools import partial

import pytest
import sqlalchemy as sa

from innovation.domain.ideas import OverrideValidation
from innovation.projections import releases as release_views
from innovation.store import Database
from innovation.store.tables import events
from tests.helpers import ROOT
from tests.integration.world import FakeClock, World

pytestmark = pytest.mark.slow

NOW = "2026-07-03T08:00:00+00:00"  # 2026-H1 has ended; 2026-H2 has not


async def spawn(url: str, *args: str) -> asyncio.subprocess.Process:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.integration.release_process",
        url,
        NOW,
        *args,
        cwd=ROOT,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    ready = await asyncio.wait_for(process.stdout.readline(), timeout=60)
    assert ready == b"ready\n", (await process.stderr.read()).decode()  # type: ignore[union-attr]
    return process


async def validated_ideas(world: World, clock: FakeClock, when: datetime, count: int) -> None:
    clock.now = when
    for number in range(count):
        idea_id = await world.submit(title=f"Idea number {number} found at {when:%B %Y}")
        await world.screen(idea_id)
        await world.run(OverrideValidation(idea_id=idea_id, reason="Proven by an affiliate."))


async def rows(database: Database, query: sa.Select) -> list[sa.Row]:
    return await database.read(lambda connection: list(connection.execute(query)))


async def until(check, seconds: float = 60) -> None:
    """Poll another process's work in the database until ``check()`` holds (bounded)."""
    async with asyncio.timeout(seconds):
        while not await check():  # noqa: ASYNC110 - the work happens in another process
            await asyncio.sleep(0.1)


async def shipped_through_the_last_release(database: Database, releases: int = 2) -> bool:
    """Every expected release is published and the shipping reader's checkpoint has passed it.

    Waiting for the count matters: the first period's release shipped, with the second not yet
    published, would otherwise look like the end of the work.
    """
    published = events.c.type == "release.published"
    last = sa.select(sa.func.count(), sa.func.max(events.c.position)).where(published)
    checkpoint = sa.text("SELECT position FROM reader_leases WHERE reader = 'releases.ship'")
    [(count, release)] = await rows(database, last)
    found = await rows(database, checkpoint)
    return count >= releases and bool(found) and found[0][0] >= release


async def released_events_per_idea(database: Database) -> dict[str, int]:
    query = (
        sa.select(events.c.stream_id, sa.func.count())
        .where(events.c.type == "idea.released")
        .group_by(events.c.stream_id)
    )
    return {stream: count for stream, count in await rows(database, query)}


async def test_four_processes_assembling_one_period_at_once_leave_one_release(
    world: World, clock: FakeClock, database: Database, database_url: str
) -> None:
    await validated_ideas(world, clock, datetime(2026, 3, 2, tzinfo=UTC), 3)
    processes = [await spawn(database_url, "assemble", "2026-H1") for _ in range(4)]

    for process in processes:
        process.stdin.write(b"go\n")  # type: ignore[union-attr]
    answers = await asyncio.gather(*(process.communicate() for process in processes))

    positions = {out.strip() for out, _ in answers}
    assert len(positions) == 1, answers  # every process answers with the same release
    published = sa.select(sa.func.count()).where(events.c.type == "release.published")
    assert (await rows(database, published))[0][0] == 1


async def test_a_service_down_across_two_period_ends_releases_both_in_order_on_start(
    world: World, clock: FakeClock, database: Database, database_url: str
) -> None:
    await validated_ideas(world, clock, datetime(2025, 9, 1, tzinfo=UTC), 2)
    await validated_ideas(world, clock, datetime(2026, 2, 1, tzinfo=UTC), 2)

    process = await spawn(database_url, "start")
    try:
        await until(partial(shipped_through_the_last_release, database))
    finally:
        process.kill()
        await process.wait()

    found = set(await database.read(release_views.released_spans))
    listed = await database.read(partial(release_views.releases, first=10))
    assert found == {"2025-H2", "2026-H1"}
    assert [view.period for view in listed] == ["2026-H1", "2025-H2"]
    assert listed[1].position < listed[0].position  # the older period first
    assert [len(view.bundle.items) for view in listed] == [2, 2]
    assert set((await released_events_per_idea(database)).values()) == {1}


async def test_a_process_killed_while_releasing_leaves_one_release_and_each_idea_shipped_once(
    world: World, clock: FakeClock, database: Database, database_url: str
) -> None:
    await validated_ideas(world, clock, datetime(2025, 10, 1, tzinfo=UTC), 12)
    await validated_ideas(world, clock, datetime(2026, 4, 1, tzinfo=UTC), 12)
    chance = random.Random(20261201)

    for _ in range(4):  # killed at a different moment of its work each time
        process = await spawn(database_url, "start")
        await asyncio.sleep(chance.uniform(0.05, 0.8))
        process.send_signal(signal.SIGKILL)
        await process.wait()
    survivor = await spawn(database_url, "start")
    try:
        await until(partial(shipped_through_the_last_release, database))
    finally:
        survivor.kill()
        await survivor.wait()

    published = sa.select(events.c.stream_id).where(events.c.type == "release.published")
    assert sorted(row[0] for row in await rows(database, published)) == [
        "release-2025-H2",
        "release-2026-H1",
    ]
    per_idea = await released_events_per_idea(database)
    assert len(per_idea) == 24
    assert set(per_idea.values()) == {1}
