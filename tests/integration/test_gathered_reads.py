"""Ideas with what they nest, read for several at once as for each alone, and requests asking
for them at once sharing the statement on PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid

import pytest

import innovation.projections.as_of as as_of
from innovation.domain.values import Decision, Outcome
from innovation.projections import nested
from innovation.store import Database
from innovation.store.gathered import Gathered, gathered
from tests.integration.world import World


async def _ideas(world: World) -> list[str]:
    """Ideas with no experiment, one running, and two (one concluded), with metrics measured:
    the second experiments started after every first one, so that in the experiments' order
    one idea's rows and another's interleave."""
    ideas, firsts = [], {}
    for n in range(7):
        idea_id = await world.submit(title=f"Idea {n} for reading together")
        ideas.append(idea_id)
        if n % 3:
            await world.screen(idea_id)
            firsts[n] = await world.start(idea_id)
            await world.measure(firsts[n], "first-call resolution", 50 + n)
    world.clock.jump(days=1)
    for n in (2, 5):
        await world.conclude(firsts[n], Outcome.INCONCLUSIVE, Decision.ITERATE)
        await world.measure(await world.start(ideas[n]), "daily network alarms", 700 - n)
    return ideas


@pytest.mark.parametrize("depth", [1, 2])
async def test_several_ideas_read_at_once_are_read_as_each_alone(
    database: Database, world: World, depth: int
):
    ideas = await _ideas(world)
    missing = str(uuid.uuid4())

    def alone(connection: object) -> dict[str, nested.IdeaAndBelow]:
        found = {}
        for idea_id in ideas:
            one = nested.idea_and_below(connection, idea_id, depth)  # type: ignore[arg-type]
            assert one is not None
            found[idea_id] = one
        assert nested.idea_and_below(connection, missing, depth) is None  # type: ignore[arg-type]
        return found

    each = await database.read(alone)
    assert sum(len(found.experiments) for found in each.values()) == 6
    if depth == 2:
        assert all(found.metrics for found in each.values() if found.experiments)
    # lengths below, at and above each statement's size, and more than one statement holds
    for size in (2, 3, 4, 5, 16, 17, 64, 65, 70):
        keys = [ideas[n % len(ideas)] if n % 5 else missing for n in range(size)]
        keys = list(dict.fromkeys(keys)) + [f"{missing}-{n}" for n in range(size)]
        keys = keys[:size]
        together = await database.read(
            lambda connection, keys=keys: nested.ideas_and_below(connection, keys, depth)
        )
        assert together == {key: each[key] for key in keys if key in each}, size


async def test_requests_asking_at_once_share_one_statement_where_reads_wait(
    database: Database, world: World
):
    ideas = await _ideas(world)
    gathered: Gathered[str, nested.IdeaAndBelow] = Gathered(
        database, lambda connection, keys: nested.ideas_and_below(connection, keys, 2)
    )

    answers = await asyncio.gather(*(gathered.get(idea_id) for idea_id in ideas * 3))

    titles = [answer.idea.title if answer else None for answer in answers]
    assert titles == [f"Idea {n % 7} for reading together" for n in range(21)]
    # SQLite reads in one step of the event loop: nothing waits, so nothing is shared
    assert gathered.reads == (len(ideas) * 3 if database.glances_in_one_step else 1)


async def test_the_pipeline_asked_at_once_shares_its_count_and_sees_each_write(
    database: Database, world: World
):
    await _ideas(world)
    log = world.services.store
    counts = gathered(database, "summary_now", as_of._now)
    before = counts.reads

    first = await asyncio.gather(*(as_of.pipeline_at(log, None) for _ in range(8)))
    shared = counts.reads - before
    await world.submit(title="One idea more")
    after = await as_of.pipeline_at(log, None)

    assert {summary.ideas for summary in first} == {7}
    assert after.ideas == 8
    assert shared == (8 if database.glances_in_one_step else 1)
