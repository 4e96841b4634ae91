"""Upgrading to 0008 counts the words of the ideas already indexed, as the projection would."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from innovation.bootstrap import bootstrap
from innovation.config import Settings
from innovation.domain.ideas import ReviseIdea
from innovation.projections import search
from innovation.store import open_database
from innovation.store.migrate import downgrade, upgrade
from tests.integration.test_migrations import empty_url, in_thread, table_names
from tests.integration.world import FakeClock, World

__all__ = ["empty_url"]

Index = tuple[list[tuple[object, ...]], list[tuple[object, ...]], list[search.Similar]]


def index(connection: Connection) -> Index:
    """Each idea's stems with the text of its row in ideas_fts (SQLite), the counts, a hint."""
    ideas = search.search_ideas_view
    if connection.dialect.name == "sqlite":
        held = connection.execute(
            sa.select(ideas.c.idea_id, ideas.c.stems, sa.column("title"))
            .select_from(ideas.join(sa.table("ideas_fts"), sa.text("ideas_fts.rowid = fts_row")))
            .order_by(ideas.c.idea_id)
        )
    else:
        held = connection.execute(sa.select(ideas).order_by(ideas.c.idea_id))
    counts = connection.execute(sa.select(search.search_terms_view).order_by("stem"))
    hints = search.similar_ideas(connection, "voice bots answering network alarms")
    return [tuple(row) for row in held], [tuple(row) for row in counts], hints


async def test_upgrading_from_0007_counts_the_words_of_the_ideas_already_there(empty_url: str):
    await in_thread(upgrade, empty_url)
    database = open_database(empty_url)
    try:
        world = World(
            bootstrap(Settings.from_env({}), clock=FakeClock(), database=database), FakeClock()
        )
        bots = await world.submit(title="Chat bots for shop staff", summary="Staff ask a bot.")
        await world.submit(title="Alarm triage by learning", summary="Noisy alarms are muted.")
        await world.submit(title="Solar panels on rural towers", summary="No diesel.")
        await world.run(ReviseIdea(idea_id=bots, title="Voice bots answering network alarms"))
        before = await database.read(index)
    finally:
        await database.close()

    await in_thread(downgrade, empty_url, "0007_read_indexes")
    assert not {"search_ideas_view", "search_terms_view"} & await table_names(empty_url)
    await in_thread(upgrade, empty_url)

    database = open_database(empty_url)
    try:
        after = await database.read(index)
    finally:
        await database.close()
    assert len(before[0]) == 3
    assert before[2][0].idea_id == bots
    assert after == before
