"""The pipeline's kept counts equal a count of the ideas, however many wrote them at once."""

from __future__ import annotations

import asyncio
from collections import Counter
from functools import partial
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from innovation.domain.ideas import MergeIdea, ReviseIdea
from innovation.domain.values import SourceKind, Stage
from innovation.projections import counts, queues
from innovation.projections.ideas import ideas_view
from innovation.projections.paging import Window
from innovation.projections.timetravel import summary_now
from innovation.store import Database
from innovation.store.migrate import downgrade, upgrade
from innovation.store.postgres import PostgresDatabase
from tests.integration.test_hints_without_shared_rows import deadlocks
from tests.integration.test_migrations import in_thread
from tests.integration.world import LEAD, World, another_process


def stage_slots(connection: Connection, by: sa.ColumnElement[Any]) -> list[tuple[int, int]]:
    """(slot, ideas) of every row of the stages' counts, ordered ``by``."""
    table = counts.pipeline_counts_view
    query = sa.select(table.c.slot, table.c.ideas).where(table.c.facet == "stage").order_by(by)
    return [(slot, ideas) for slot, ideas in connection.execute(query)]


def recounted(connection: Connection) -> list[tuple[object, ...]]:
    """The counts straight from every idea's row, as the kept ones must sum to."""
    tally: Counter[tuple[str, str]] = Counter()
    columns = [ideas_view.c[name] for name in counts.COUNTED]
    for row in connection.execute(sa.select(*columns)):
        tally.update(counts.contribution(row._mapping))
    return sorted((facet, key, n) for (facet, key), n in tally.items() if n)


async def test_counts_follow_revised_themes_merges_and_every_other_command(world: World):
    await world.everything()
    first = await world.submit(
        title="Smart meters read over LoRa", themes=("cybersecurity", "generative-ai")
    )
    second = await world.submit(
        title="Meters read by LoRa radio", themes=("generative-ai",), source=SourceKind.STARTUP
    )
    await world.run(ReviseIdea(idea_id=first, themes=("cybersecurity", "networks-cloud")))
    await world.run(MergeIdea(idea_id=second, into_idea_id=first))
    database = world.services.database

    kept = await database.read(counts.snapshot)
    summary = await database.read(summary_now)

    assert kept == await database.read(recounted)
    assert ("theme", "generative-ai", 1) not in kept  # the merged duplicate's theme went with it
    assert ("theme", "networks-cloud", 2) in kept
    assert summary.by_stage[str(Stage.MERGED)] == 2
    assert summary.by_theme["cybersecurity"] == 1


async def test_transactions_open_at_once_add_to_slots_of_their_own(
    database_url: str, database: Database, backend: str
):
    if backend != "postgresql":
        pytest.skip("SQLite has one writer at a time, which always counts in slot 0")
    assert isinstance(database, PostgresDatabase)
    submitted = {("stage", "SUBMITTED"): 1, ("ideas", ""): 1}

    async with database.engine.connect() as one, database.engine.connect() as other:
        await one.begin()
        await other.begin()
        # Were both to take one slot, the second would wait for the first: fail instead.
        await other.exec_driver_sql("SET LOCAL lock_timeout = '5s'")
        await one.run_sync(lambda c: counts.add(c, submitted))
        await one.run_sync(lambda c: counts.add(c, submitted))  # the same transaction's slot
        await other.run_sync(lambda c: counts.add(c, {("stage", "SUBMITTED"): 5}))
        await other.commit()
        await one.commit()

    slots = await database.read(partial(stage_slots, by=counts.pipeline_counts_view.c.ideas))
    assert [ideas for _, ideas in slots] == [2, 5]
    assert slots[0][0] != slots[1][0]
    assert await database.read(counts.snapshot) == [("ideas", "", 2), ("stage", "SUBMITTED", 7)]


async def test_two_processes_writing_at_once_keep_counts_that_sum_right(
    database_url: str, database: Database
):
    deadlocks_before = await database.read(deadlocks)
    first, second = another_process(database_url), another_process(database_url)

    async def work(world: World, number: int) -> None:
        idea = await world.submit(
            title=f"Idea {number} from the field",
            country=("FR", "SN", "LU")[number % 3],
            themes=(("cybersecurity",), ("generative-ai", "cybersecurity"))[number % 2],
            external=number % 4 != 0,
        )
        if number % 3 == 0:
            await world.screen(idea)
        if number % 5 == 0:
            await world.run(ReviseIdea(idea_id=idea, themes=("networks-cloud",)), LEAD)

    try:
        await asyncio.gather(
            *(
                work(world, n)
                for world, start in ((first, 0), (second, 1))
                for n in range(start, 60, 2)
            )
        )
    finally:
        await first.services.close()
        await second.services.close()

    kept = await database.read(counts.snapshot)
    assert kept == await database.read(recounted)
    assert ("ideas", "", 60) in kept
    assert await database.read(deadlocks) == deadlocks_before


async def test_the_summary_stands_at_the_log_s_end_even_before_any_count(world: World):
    database = world.services.database
    log = world.services.store

    empty = await database.read(summary_now)
    assert (empty.position, empty.ideas, empty.by_stage) == (0, 0, {})

    await world.submit()
    await world.submit(title="Meters read by LoRa radio")
    summary = await database.read(summary_now)

    assert summary.position == await log.last_position() > 0
    assert summary.ideas == 2


async def test_a_transaction_takes_the_lowest_free_slot(database: Database, backend: str):
    if backend != "postgresql":
        pytest.skip("SQLite has one writer at a time, which always counts in slot 0")
    assert isinstance(database, PostgresDatabase)
    submitted = {("stage", "SUBMITTED"): 1}

    async with database.engine.connect() as one, database.engine.connect() as other:
        await one.begin()
        await one.run_sync(lambda c: counts.add(c, submitted))  # holds slot 0 until it ends
        await other.begin()
        await other.run_sync(lambda c: counts.add(c, submitted))
        await other.commit()
        await one.commit()
    async with database.engine.connect() as later:
        await later.begin()
        await later.run_sync(lambda c: counts.add(c, submitted))  # slot 0 is free again
        await later.commit()

    slots = await database.read(partial(stage_slots, by=counts.pipeline_counts_view.c.slot))
    assert slots == [(0, 2), (1, 1)]


async def test_folding_the_slots_keeps_every_sum_in_slot_0(world: World, database: Database):
    await world.submit()
    await world.submit(title="Meters read by LoRa radio", themes=("generative-ai",))
    table = counts.pipeline_counts_view

    def scatter(connection: Connection) -> None:
        """What processes that picked their slots by their ids left behind."""
        extra = [
            {"slot": 9, "facet": "stage", "key": "SUBMITTED", "ideas": 3},
            {"slot": 41, "facet": "stage", "key": "SUBMITTED", "ideas": -1},
            {"slot": 41, "facet": "theme", "key": "cybersecurity", "ideas": 2},
            {"slot": 41, "facet": "theme", "key": "generative-ai", "ideas": 0},
        ]
        connection.execute(table.insert(), extra)

    await database.write(scatter)
    before = await database.read(counts.snapshot)

    await database.write(counts.fold_slots)

    assert await database.read(counts.snapshot) == before
    slots = await database.read(lambda c: c.execute(sa.select(table.c.slot).distinct()).all())
    assert [tuple(row) for row in slots] == [(0,)]
    assert ("stage", "SUBMITTED", 2) in before  # 3 in one slot, -1 in another


async def test_the_pipeline_s_figures_sum_every_slot_and_leave_out_counts_of_none(
    world: World, database: Database
):
    """``counts_at_end`` sums the slots' rows itself, as ``counts`` has the database sum them:
    a count whose slots cancel out is left out, and so is a facet left with none."""
    await world.submit(themes=("cybersecurity",), country="LU")

    def scatter(connection: Connection) -> None:
        extra = [
            {"slot": 9, "facet": "stage", "key": "SUBMITTED", "ideas": 3},
            {"slot": 41, "facet": "stage", "key": "SUBMITTED", "ideas": -1},
            {"slot": 9, "facet": "theme", "key": "cybersecurity", "ideas": -1},
            {"slot": 41, "facet": "country", "key": "EG", "ideas": 0},
            {"slot": 41, "facet": "stage_theme", "key": "SUBMITTED/networks-cloud", "ideas": 5},
        ]
        connection.execute(counts.pipeline_counts_view.insert(), extra)

    await database.write(scatter)

    figures, end = await database.read(counts.counts_at_end)
    summed = await database.read(counts.counts)

    shown = {facet: summed[facet] for facet in counts.PIPELINE_FACETS if facet in summed}
    assert figures == shown
    assert figures["stage"] == {"SCOUTED": 1, "SUBMITTED": 2}  # 3 and -1 scattered
    assert "theme" not in figures  # its one count cancelled out
    assert figures["country"] == {"LU": 1}
    assert end == await world.services.store.last_position() > 0


async def test_folding_waits_for_a_transaction_counting_in_a_slot_and_loses_nothing(
    database: Database, backend: str
):
    if backend != "postgresql":
        pytest.skip("SQLite has one writer at a time: nothing counts while the fold runs")
    assert isinstance(database, PostgresDatabase)
    table = counts.pipeline_counts_view
    await database.write(
        lambda c: c.execute(
            table.insert(),
            [
                {"slot": 7, "facet": "stage", "key": "SUBMITTED", "ideas": 3},
                {"slot": 30, "facet": "ideas", "key": "", "ideas": 4},
            ],
        )
    )
    waiting_for_a_slot = (
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
        f" AND classid = {counts.LOCK_CLASS}"
    )

    async with database.engine.connect() as writer, database.engine.connect() as folder:
        await writer.begin()
        await writer.run_sync(lambda c: counts.add(c, {("stage", "SUBMITTED"): 1}))
        await folder.begin()
        folding = asyncio.create_task(folder.run_sync(counts.fold_slots))
        for _ in range(500):  # until the fold waits for the writer's slot
            if await database.read(lambda c: c.exec_driver_sql(waiting_for_a_slot).scalar()):
                break
            await asyncio.sleep(0.01)
        else:
            raise AssertionError("the fold never waited for the slot the writer holds")
        assert not folding.done()
        await writer.commit()
        await asyncio.wait_for(folding, timeout=30)
        await folder.commit()

    assert await database.read(counts.snapshot) == [("ideas", "", 4), ("stage", "SUBMITTED", 4)]
    assert await database.read(partial(stage_slots, by=table.c.slot)) == [(0, 4)]


STAGE_FILTERS = [
    queues.IdeaFilter(),
    queues.IdeaFilter(include_merged=False),
    queues.IdeaFilter(stages=("SCOUTED", "SCREENING")),
    queues.IdeaFilter(stages=("MERGED",)),
    queues.IdeaFilter(stages=("MERGED", "VALIDATED"), include_merged=False),
    queues.IdeaFilter(stages=("RELEASED",)),
]


FACET_FILTERS = [
    queues.IdeaFilter(theme="customer-experience"),  # a merged duplicate among them
    queues.IdeaFilter(theme="customer-experience", include_merged=False),
    queues.IdeaFilter(theme="networks-cloud"),
    queues.IdeaFilter(theme="cybersecurity", include_merged=False),  # no idea's
    queues.IdeaFilter(theme="customer-experience", stages=("SCOUTED", "MERGED")),
    queues.IdeaFilter(theme="customer-experience", stages=("MERGED",), include_merged=False),
    queues.IdeaFilter(theme="customer-experience", stages=("VALIDATED", "REJECTED")),
    queues.IdeaFilter(theme="networks-cloud", stages=("VALIDATED",)),
    queues.IdeaFilter(source_kind="EMPLOYEE"),
    queues.IdeaFilter(source_kind="PARTNER", stages=("SCREENING", "VALIDATED", "MERGED")),
    queues.IdeaFilter(source_kind="PARTNER", stages=("SCOUTED",), include_merged=False),
    queues.IdeaFilter(country="fr", stages=("SCREENING", "EXPERIMENTING")),  # any case
    queues.IdeaFilter(country="LU", include_merged=False),
    queues.IdeaFilter(country="LU", stages=("RELEASED",)),  # none released
]


async def counted_and_listed(
    world: World, where: queues.IdeaFilter
) -> tuple[int, list[object], list[str]]:
    """``count_ideas(where)``, the ideas a page of them all lists, and the statements the count
    ran, over ``world.everything()`` and one more idea."""
    await world.everything()
    await world.submit(title="A second idea, still scouted")
    read: list[str] = []

    def count(connection: Connection) -> int:
        def seen(*args: Any) -> None:
            read.append(args[2])

        sa.event.listen(connection, "before_cursor_execute", seen)
        try:
            return queues.count_ideas(connection, where)
        finally:
            sa.event.remove(connection, "before_cursor_execute", seen)

    counted = await world.services.database.read(count)
    listed = await world.services.database.read(
        lambda c: queues.idea_page(c, where, Window(first=100)).rows
    )
    return counted, listed, read


@pytest.mark.parametrize("where", STAGE_FILTERS, ids=repr)
async def test_a_count_by_stages_alone_comes_from_the_kept_counts_and_equals_the_ideas_listed(
    world: World, where: queues.IdeaFilter
):
    """``totalCount`` of a filter on stages alone (or none) reads the counts, a few rows,
    rather than counting ideas; it is the number of ideas a page of them all lists."""
    counted, listed, read = await counted_and_listed(world, where)

    assert counted == len(listed)
    assert read
    assert not any("ideas_view" in statement for statement in read), read


@pytest.mark.parametrize("where", FACET_FILTERS, ids=repr)
async def test_a_count_by_a_theme_source_kind_or_country_within_stages_reads_the_kept_counts(
    world: World, where: queues.IdeaFilter
):
    """``totalCount`` of a filter on one theme, source kind or country, within some stages or
    all, merged duplicates in or out, reads the counts kept by stage, rather than looking up
    each of its ideas (28 ms for a theme in the screening stage at 100,000 ideas on SQLite).
    It is the number of ideas a page of them all lists."""
    counted, listed, read = await counted_and_listed(world, where)

    assert counted == len(listed)
    [statement] = read
    assert "pipeline_counts_view" in statement
    assert "ideas_view" not in statement, statement
    assert "idea_themes_view" not in statement, statement


EXTERNAL_FILTERS = [
    queues.IdeaFilter(external=True),  # a merged duplicate among them
    queues.IdeaFilter(external=True, include_merged=False),
    queues.IdeaFilter(external=False),
    queues.IdeaFilter(external=False, include_merged=False),
]


@pytest.mark.parametrize("where", EXTERNAL_FILTERS, ids=repr)
async def test_a_count_of_ideas_from_outside_alone_reads_the_kept_counts_and_the_merged_ones(
    world: World, where: queues.IdeaFilter
):
    """``totalCount`` of the ideas from outside (or inside) alone: the kept counts, and the
    merged duplicates among them from their stage, in one statement, never a pass over every
    idea. It is the number of ideas a page of them all lists."""
    counted, listed, read = await counted_and_listed(world, where)

    assert counted == len(listed)
    assert counted > 0
    [statement] = read
    assert "pipeline_counts_view" in statement
    if where.include_merged:
        assert "ideas_view.stage = " in statement, statement
    else:
        assert "ideas_view" not in statement, statement


SCORED_FILTERS = [
    queues.IdeaFilter(scored=True),
    queues.IdeaFilter(scored=True, include_merged=False),
    queues.IdeaFilter(scored=True, stages=("SCREENING", "EXPERIMENTING", "VALIDATED")),
    queues.IdeaFilter(scored=True, stages=("SCOUTED",)),  # none scored
]


@pytest.mark.parametrize("where", SCORED_FILTERS, ids=repr)
async def test_a_count_of_scored_ideas_is_their_stages_count_less_the_unscored_ones(
    world: World, where: queues.IdeaFilter
):
    """``totalCount`` of the scored ideas of some stages (or all) is the stages' kept count
    less their unscored ideas, read in one statement from the unscored ideas' index: never a
    pass over every scored idea. It is the number of ideas a page of them all lists."""
    counted, listed, read = await counted_and_listed(world, where)

    assert counted == len(listed)
    [statement] = read
    assert "pipeline_counts_view" in statement
    assert "reach IS NULL" in statement
    assert "reach IS NOT NULL" not in statement


async def test_the_migration_to_counts_by_stage_counts_every_idea_once(
    world: World, database_url: str
):
    """``0016`` counts the ideas already projected by stage, so that a database upgraded in
    place answers at once; rows of those facets it finds (a database made from nothing has them
    from ``0009``) are counted again, not added to."""
    await world.everything()
    database = world.services.database
    table = counts.pipeline_counts_view
    by_stage = table.c.facet.in_(list(counts.BY_STAGE.values()))

    def kept(connection: Connection) -> int:
        return int(connection.execute(sa.select(sa.func.count()).where(by_stage)).scalar_one())

    await in_thread(downgrade, database_url, "0015_running_orders")
    try:
        assert await database.read(kept) == 0
        stale = {(counts.BY_STAGE[counts.THEME], "SCOUTED/customer-experience"): 5}
        await database.write(lambda c: counts.add(c, stale))
    finally:
        await in_thread(upgrade, database_url)

    assert await database.read(kept) > 0
    assert await database.read(counts.snapshot) == await database.read(recounted)
