"""Duplicate hints on PostgreSQL write nothing that other ideas' commands write too."""

from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from innovation.projections import search, telling
from innovation.projections.ideas import ideas_view
from innovation.store import Database
from tests.integration.test_similar_ideas import COMMON, crowd
from tests.integration.world import World, another_process


def word_counts(connection: Connection) -> int:
    return connection.execute(
        sa.select(sa.func.count()).select_from(telling.search_terms_view)
    ).scalar_one()


def deadlocks(connection: Connection) -> int:
    """Deadlocks the server has detected in this database (0 on SQLite, which has none)."""
    if connection.dialect.name != "postgresql":
        return 0
    return connection.exec_driver_sql(
        "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()"
    ).scalar_one()


async def test_submitting_ideas_writes_word_counts_on_sqlite_only(world: World, database: Database):
    await world.submit(
        title="Satellite backhaul for rural towers", summary="Villages get coverage."
    )
    await world.submit(title="Solar panels on rural towers", summary="No diesel.")

    counted = await database.read(word_counts)

    assert counted == (0 if database.dialect == "postgresql" else 12)


@pytest.mark.parametrize("analyzed", [True, False], ids=["with-statistics", "without-statistics"])
async def test_rare_words_are_chosen_and_words_no_other_idea_holds_are_skipped(
    world: World, database: Database, analyzed: bool
):
    satellite = await world.submit(
        title="Rural towers fed by satellite backhaul", summary=f"{COMMON} for villages."
    )
    await world.submit(title="Rural towers powered by solar panels", summary="No diesel.")
    await world.submit(title="Rural shops selling solar lamps", summary="Prepaid by phone.")
    await crowd(world, 30)
    if analyzed and database.dialect == "postgresql":
        await database.write(lambda connection: connection.exec_driver_sql("ANALYZE ideas_view"))
        known = await database.read(telling.statistics)
        assert known.ideas == 33
        assert known.common["custom"] >= 25
    text = "customer network rural towers satellite zebra"
    words = {search.stem(word): word for word in search.terms(text)}
    own = await database.read(
        lambda connection: connection.execute(
            sa.select(search.search_ideas_view.c.stems).where(
                search.search_ideas_view.c.idea_id == satellite
            )
        ).scalar_one()
    )

    def rarest(connection: Connection) -> telling.Telling:
        return telling.telling_words(connection, words, own, satellite)

    found = await database.read(rarest)

    assert list(found.words.items())[:2] == [("towers", 1), ("rural", 2)]
    assert set(found.words) == {"towers", "rural", "customer", "network"}
    assert min(found.words["customer"], found.words["network"]) >= 25
    assert found.ideas >= 30


async def test_two_processes_submitting_ideas_with_common_words_in_batches_all_succeed(
    database_url: str, database: Database
):
    deadlocks_before = await database.read(deadlocks)
    first, second = another_process(database_url), another_process(database_url)
    # Each idea has a word of its own that the other process's ideas also hold: the two
    # processes reach those words in opposite orders, and all ideas share the common ones.
    numbers = list(range(10, 50))
    try:
        await asyncio.gather(
            *(
                world.submit(
                    title=f"{COMMON} item {number} for customers",
                    summary=f"Customers reach the network platform through mobile care {number}.",
                )
                for world, order in ((first, numbers), (second, numbers[::-1]))
                for number in order
            )
        )
    finally:
        await first.services.close()
        await second.services.close()

    ideas = await database.read(
        lambda connection: connection.execute(
            sa.select(sa.func.count()).select_from(ideas_view)
        ).scalar_one()
    )
    assert ideas == 80
    # A batch that deadlocks is run again command by command: only the server counts it.
    assert await database.read(deadlocks) == deadlocks_before


async def test_a_word_the_statistics_gave_one_idea_still_finds_the_ideas_since(
    world: World, database: Database
):
    """ANALYZE of a table of one idea holding a word estimates that one holds it; the next
    ANALYZE is not due for a while. The next idea with the word still finds the first."""
    first = await world.submit(
        title="Satellite backhaul for rural towers", summary="Villages get coverage."
    )
    if database.dialect == "postgresql":
        await database.write(lambda connection: connection.exec_driver_sql("ANALYZE ideas_view"))
        known = await database.read(telling.statistics)
        assert known.common["tower"] == 1
    second = await world.submit(title="Solar panels on rural towers", summary="No diesel.")

    found = await database.read(lambda connection: search.similar_to_idea(connection, second))

    assert [hint.idea_id for hint in found] == [first]
