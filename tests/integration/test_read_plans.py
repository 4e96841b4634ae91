"""The idea queues read their pages from an index in each order, never sorting every idea, and
each role's queue reads and counts its own ideas from an index, never passing over every idea;
an idea's history reads its own streams, and the position at a moment a short range of the log."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import msgspec
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from innovation.domain.ideas import ReviseIdea
from innovation.domain.values import SourceKind
from innovation.projections import counts, queues
from innovation.projections.history import history
from innovation.projections.paging import Window
from innovation.store import Database, Mapper, moments
from innovation.store.tables import events
from tests.integration.world import World

INDEX_OF_ORDER = {
    "SCOUTED_AT": "ix_ideas_view_submitted_order",
    "UPDATED_AT": "ix_ideas_view_updated_order",
    "SCORE": "ix_ideas_view_score_order",
    "STRATEGIC_FIT": "ix_ideas_view_fit_order",
}


def test_every_order_of_the_queues_has_an_index():
    assert set(INDEX_OF_ORDER) == set(queues.ORDERINGS)


def plan_of_page(connection: Connection, order: str, descending: bool) -> str:
    """The database's plan for the page query ``idea_page`` runs, as one text."""
    return plan_of(
        connection,
        lambda: queues.idea_page(
            connection, queues.IdeaFilter(), Window(first=100), order, descending
        ),
    )


def plan_of(
    connection: Connection,
    read: Callable[[], object],
    *,
    sorts: bool = False,
    whole: tuple[str, ...] = (),
) -> str:
    """The database's plan for the last statement ``read`` runs on ``connection``, as one text
    (``sorts``: PostgreSQL may sort what it reads, as the statement's own plan would; ``whole``:
    more of PostgreSQL's ways of reading a tiny table whole to steer it from, such as
    ``bitmapscan``)."""
    seen: list[tuple[str, Any]] = []

    def remember(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        seen.append((statement, parameters))

    sa.event.listen(connection, "before_cursor_execute", remember)
    try:
        read()
    finally:
        sa.event.remove(connection, "before_cursor_execute", remember)
    statement, parameters = seen[-1]
    if connection.dialect.name == "sqlite":
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        cursor.execute(f"EXPLAIN QUERY PLAN {statement}", parameters)
        return "\n".join(str(row[-1]) for row in cursor.fetchall())
    # Tables in tests are tiny: steer the planner away from scanning and sorting them whole, so
    # the plan shows whether an index can give the order at all. (Reads run outside a
    # transaction: set for the session, and reset before the connection goes back.)
    steered = ("seqscan", *whole) if sorts else ("seqscan", "sort", *whole)
    for way in steered:
        connection.exec_driver_sql(f"SET enable_{way} = off")
    try:
        result = connection.exec_driver_sql(f"EXPLAIN {statement}", parameters)
        return "\n".join(row[0] for row in result)
    finally:
        for way in steered:
            connection.exec_driver_sql(f"RESET enable_{way}")


async def test_a_page_binding_nothing_but_its_size_is_planned_once(
    database: Database, world: World
):
    for n in range(3):
        await world.submit(title=f"Idea {n} for a page planned once")
    stages = queues.IdeaFilter(stages=("SCOUTED",))

    def job(connection: Connection) -> tuple[list[str], list[tuple[str, int, int]]]:
        seen: list[str] = []

        def remember(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
            seen.append(statement)

        sa.event.listen(connection, "before_cursor_execute", remember)
        try:
            for where in (queues.IdeaFilter(), stages) * 7:
                queues.idea_page(connection, where, Window(first=100), "SCORE", True)
        finally:
            sa.event.remove(connection, "before_cursor_execute", remember)
        if connection.dialect.name == "sqlite":
            return seen, []
        plans = connection.exec_driver_sql(
            "SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements"
            " WHERE statement LIKE '%FROM ideas_view%LIMIT%'"
        )
        return seen, [(row[0], row[1], row[2]) for row in plans]

    seen, plans = await database.read(job)

    whole, staged = seen[0], seen[1]
    assert re.search(r"LIMIT 101\b", whole), whole  # the size written in
    assert not re.search(r"LIMIT 101\b", staged), staged  # a parameter, as the stage is
    if database.url.get_backend_name() == "sqlite":
        return
    kept = {statement: (generic, custom) for statement, generic, custom in plans}
    assert kept[whole] == (7, 0)  # planned once, the plan kept for every run
    generic, custom = kept[staged]
    assert custom >= 5  # planned for its values: the first five runs at least


@pytest.mark.parametrize("order", sorted(INDEX_OF_ORDER))
@pytest.mark.parametrize("descending", [True, False], ids=["descending", "ascending"])
async def test_a_page_in_each_order_walks_its_index(
    database: Database, order: str, descending: bool
):
    plan = await database.read(lambda c: plan_of_page(c, order, descending))

    assert INDEX_OF_ORDER[order] in plan
    assert "TEMP B-TREE" not in plan
    assert "Sort" not in plan


QUEUES = {
    "a scout's": (queues.IdeaFilter(scout="scout:ada"), "ix_ideas_view_scout_order"),
    "the ethics reviewer's": (
        queues.IdeaFilter(ethics_status="REQUESTED"),
        "ix_ideas_view_ethics_order",
    ),
    "the running pilots'": (
        queues.IdeaFilter(has_running_experiment=True),
        "ix_ideas_view_running_",
    ),
}
"""Each role's queue, and the index it is read from. Passing over every idea instead took 25 to
38 ms a count at 100,000 ideas (migrations/versions/…_0011_queue_indexes.py). The running
pilots are counted from any of the indexes that hold them alone, one for each order
(``RUNNING_INDEX_OF_ORDER``)."""


def reads_of_ideas(plan: str) -> list[str]:
    """The plan's steps that read ideas: SQLite's ``SCAN`` or ``SEARCH`` of ``ideas_view``,
    PostgreSQL's scans of it or of one of its indexes (a bitmap's heap scan reads the pages its
    index scan found, and says so on that step)."""
    steps = [line.strip().removeprefix("->").strip() for line in plan.splitlines()]
    return [
        step
        for step in steps
        if re.match(r"(SCAN|SEARCH) ideas_view\b", step)
        or (" on ideas_view" in step and not step.startswith("Bitmap Heap Scan"))
        or step.startswith("Bitmap Index Scan on ix_ideas_view")
    ]


async def plan_of_queue(
    database: Database, where: queues.IdeaFilter, read: str, *, descending: bool = True
) -> str:
    """The plan of the queue's ``count``, or of its first ``page`` in the scouted order."""

    def run(connection: Connection) -> object:
        if read == "count":
            return queues.count_ideas(connection, where)
        return queues.idea_page(connection, where, Window(first=20), "SCOUTED_AT", descending)

    return await database.read(lambda c: plan_of(c, lambda: run(c)))


@pytest.mark.parametrize("queue", sorted(QUEUES))
@pytest.mark.parametrize("read", ["page", "count"])
async def test_each_roles_queue_reads_its_own_index(database: Database, queue: str, read: str):
    where, index = QUEUES[queue]

    plan = await plan_of_queue(database, where, read)

    reads = reads_of_ideas(plan)
    assert reads, plan
    assert all(index in step for step in reads), plan
    assert "TEMP B-TREE" not in plan
    assert "Sort" not in plan


RUNNING_INDEX_OF_ORDER = {
    "SCOUTED_AT": "ix_ideas_view_running_order",
    "UPDATED_AT": "ix_ideas_view_running_updated_order",
    "SCORE": "ix_ideas_view_running_score_order",
    "STRATEGIC_FIT": "ix_ideas_view_running_fit_order",
}


@pytest.mark.parametrize("order", sorted(RUNNING_INDEX_OF_ORDER))
@pytest.mark.parametrize("descending", [True, False], ids=["descending", "ascending"])
async def test_the_running_pilots_are_read_in_each_order_from_an_index_of_their_own(
    world: World, order: str, descending: bool
):
    """The ideas whose pilot is running, in any order, are read from an index holding them
    alone, in that order. A walk of the whole order met them late when sorted oldest or lowest
    first, running pilots being the ideas changed last (23 to 39 ms at 100,000 ideas).
    PostgreSQL is given its statistics of a pipeline few of whose ideas are in a pilot."""
    database = world.services.database
    for number in range(24):
        idea = await world.submit(title=f"Idea {number}")
        if number % 8 == 0:
            await world.screen(idea)
            await world.start(idea)
    where = queues.IdeaFilter(has_running_experiment=True)

    plan = await database.read(
        lambda c: plan_of(c, lambda: queues.idea_page(c, where, Window(first=2), order, descending))
    )

    reads = reads_of_ideas(plan)
    assert len(reads) == 1, plan
    assert RUNNING_INDEX_OF_ORDER[order] in reads[0], plan
    assert "TEMP B-TREE" not in plan
    assert "Sort" not in plan


def test_every_order_of_the_queues_has_an_index_of_the_running_pilots():
    assert set(RUNNING_INDEX_OF_ORDER) == set(queues.ORDERINGS)


@pytest.mark.parametrize("order", sorted(INDEX_OF_ORDER))
async def test_a_text_search_finds_its_matches_through_the_search_index_then_sorts_them(
    database: Database, order: str
):
    """Never an order's index walked with the text checked row by row: PostgreSQL computes each
    idea's document to check it, and the planner, expecting matches early, walked every newer
    idea first when they lay far along the order (3 s for a word no idea holds, at 190,000
    ideas). The search index finds the matches, whatever their number, then they are sorted."""
    where = queues.IdeaFilter(text="router")

    plan = await database.read(
        lambda c: plan_of(c, lambda: queues.idea_page(c, where, Window(first=20), order, True))
    )

    search = "ideas_fts" if database.dialect == "sqlite" else "ix_ideas_view_search"
    assert search in plan
    assert INDEX_OF_ORDER[order] not in plan, plan


STAGE_INDEX_OF_ORDER = {
    "SCOUTED_AT": "ix_ideas_view_stage_order",
    "UPDATED_AT": "ix_ideas_view_stage_updated_order",
    "SCORE": "ix_ideas_view_stage_score_order",
    "STRATEGIC_FIT": "ix_ideas_view_stage_fit_order",
}


@pytest.mark.parametrize("order", sorted(STAGE_INDEX_OF_ORDER))
@pytest.mark.parametrize("stages", [("SCREENING",), ("SCOUTED", "SCREENING")], ids=len)
async def test_a_page_of_stages_reads_each_stages_ideas_in_order(
    database: Database, stages: tuple[str, ...], order: str
):
    """One stage is a range of its index in the order asked for, read in order; several, each
    one's first entries, merged. With the stage alone indexed, SQLite read every idea of the
    stages and sorted them all (88 ms for the lead's queue, scouted and screening, at 223,000
    ideas; 22 to 37 ms by score or fit at 100,000), and PostgreSQL walked the order's index past
    the other stages' ideas: 43 ms for the scouted stage by score (no scouted idea has a score),
    9 for the validated and released ideas last changed first behind 60,000 new submissions."""
    where = queues.IdeaFilter(stages=stages)

    plan = await database.read(
        lambda c: plan_of(c, lambda: queues.idea_page(c, where, Window(first=10), order))
    )

    reads = reads_of_ideas(plan)
    assert len(reads) == len(stages), plan  # a read of the index for each stage
    assert all(STAGE_INDEX_OF_ORDER[order] in step for step in reads), plan
    if len(stages) == 1:
        assert "TEMP B-TREE" not in plan
        assert "Sort" not in plan


def test_every_order_of_the_queues_has_an_index_by_stage():
    assert set(STAGE_INDEX_OF_ORDER) == set(queues.ORDERINGS)


@pytest.mark.parametrize("order", sorted(queues.SCORED_ORDERS))
@pytest.mark.parametrize("scored", [True, False], ids=["scored", "unscored"])
@pytest.mark.parametrize("descending", [True, False], ids=["descending", "ascending"])
async def test_a_page_of_scored_or_unscored_ideas_reads_its_own_part_of_the_order(
    database: Database, order: str, scored: bool, descending: bool
):
    """In the score or fit order the scored ideas and the unscored ones lie apart: unscored
    ideas sort below every score. The page reads the range of the order's index its ideas hold
    (the unscored ones, all of one key, by id alone), never the other part first: the unscored
    ideas by score, highest first, passed over every scored idea (84 ms on SQLite, 60 on
    PostgreSQL at 100,000 ideas, four in five scored)."""
    where = queues.IdeaFilter(scored=scored)

    plan = await database.read(
        lambda c: plan_of(
            c, lambda: queues.idea_page(c, where, Window(first=10), order, descending)
        )
    )

    reads = reads_of_ideas(plan)
    assert len(reads) == 1, plan
    assert INDEX_OF_ORDER[order] in reads[0], plan
    bounded = "<expr>" in reads[0] if database.dialect == "sqlite" else "Index Cond" in plan
    assert bounded, plan  # a range of the index, not a walk of it from one end
    assert "TEMP B-TREE" not in plan
    assert "Sort" not in plan


@pytest.mark.parametrize("stages", [("SCOUTED",), ("SCOUTED", "SCREENING")], ids=len)
@pytest.mark.parametrize("read", ["page", "count"])
async def test_the_lead_queue_to_score_reads_the_unscored_ideas_alone(
    world: World, stages: tuple[str, ...], read: str
):
    """The README's first query: the ideas of the early stages no lead has scored. Read through
    ``ix_ideas_view_unscored_order``, which holds those ideas alone, its count reads none of the
    scored ones, and its page none of those before its own. With every idea of the stages
    indexed, both passed over the scored ones (87 ms a count and page at 100,000 ideas on
    SQLite, two thirds of them scored). Beside the indexes of each stage's ideas in each order,
    SQLite, keeping no statistics, is told which index counts them (``INDEXED BY``); PostgreSQL
    is given its statistics of a pipeline most of whose ideas are scored."""
    database = world.services.database
    if read == "page" and len(stages) > 1 and database.dialect != "sqlite":
        pytest.skip("PostgreSQL plans a page of several stages and more from its statistics")
    for number in range(24):
        idea = await world.submit(title=f"Idea {number}")
        if number % 8:
            await world.score(idea)
    if database.dialect != "sqlite":
        await database.read(lambda c: c.exec_driver_sql("ANALYZE ideas_view"))
    where = queues.IdeaFilter(stages=stages, scored=False)

    plan = await plan_of_queue(database, where, read, descending=False)

    reads = reads_of_ideas(plan)
    assert reads, plan
    assert all("ix_ideas_view_unscored_order" in step for step in reads), plan
    if read == "page" and len(stages) == 1:
        assert "TEMP B-TREE" not in plan
        assert "Sort" not in plan


@pytest.mark.parametrize("backwards", [False, True], ids=["forwards", "backwards"])
async def test_an_ideas_history_reads_its_streams_alone(database: Database, backwards: bool):
    """The idea's stream and each of its experiments' are read by stream id, never the log in
    order with each event checked: PostgreSQL's planner, asked for events of one stream or of
    several, expected half the log to match and walked it (340 ms at a million events). The
    first page and the last: a cursor's narrow range of positions may be read in order. The
    log's table is tiny here, and once analysed holding a few hundred events of an earlier test
    PostgreSQL read all of it for the experiments' streams (a bitmap of every position, hashed
    against them): those ways of reading it whole are steered from too. Tiny, analysed at some
    moment of an earlier test or never, the table's statistics could still lead the planner to
    read it along its positions for the experiments: on PostgreSQL the log is given a few
    thousand events of many streams, and statistics of them."""
    mapper = Mapper()
    if database.dialect != "sqlite":
        await database.write(_a_log_of_many_streams)
        await database.read(lambda c: c.exec_driver_sql("ANALYZE events, experiments_view"))
    plan = await database.read(
        lambda c: plan_of(
            c,
            lambda: history(c, mapper, "some-idea", 50, backwards=backwards),
            sorts=True,
            whole=("bitmapscan", "hashjoin", "mergejoin"),
        )
    )

    if database.dialect == "sqlite":
        reads = [step for step in plan.splitlines() if re.match(r"(SCAN|SEARCH) events\b", step)]
        assert len(reads) == 2, plan
        assert all("(stream_id=?" in step for step in reads), plan
    else:
        assert "pk_events" not in plan, plan
        assert plan.count("Index Cond: ((stream_id)") == 2, plan


def _a_log_of_many_streams(connection: Connection) -> None:
    """3,000 events, ten in each of 300 streams of ideas and experiments."""
    at = datetime(2026, 3, 2, tzinfo=UTC)
    connection.execute(
        events.insert(),
        [
            {
                "stream_id": f"{'idea' if number % 2 else 'experiment'}-{number}",
                "version": version,
                "type": "test.noted",
                "schema_version": 1,
                "data": b"{}",
                "metadata": b"{}",
                "recorded_at": at,
                "event_id": uuid.uuid4(),
            }
            for version in range(1, 11)
            for number in range(300)
        ],
    )


FACETS = {
    "a theme most hold": (queues.IdeaFilter(theme="networks-cloud"), True),
    "a theme few hold": (queues.IdeaFilter(theme="cybersecurity"), False),
    "a source kind most come from": (queues.IdeaFilter(source_kind="PARTNER"), True),
    "a source kind few come from": (queues.IdeaFilter(source_kind="STARTUP"), False),
    "a country most come from": (queues.IdeaFilter(country="lu"), True),
    "a country few come from": (queues.IdeaFilter(country="EG"), False),
    "words most hold": (queues.IdeaFilter(text="routers"), True),
    "words few hold": (queues.IdeaFilter(text="satellite", include_merged=False), False),
}
"""A filter on one facet of the ideas' kept counts, or on words alone, and whether its page
walks the order."""


@pytest.mark.parametrize("order", sorted(INDEX_OF_ORDER))
@pytest.mark.parametrize("facet", sorted(FACETS))
async def test_sqlite_walks_the_order_for_a_facet_most_ideas_hold(
    world: World, facet: str, order: str
):
    """SQLite keeps no statistics: a page of a theme's, a source kind's or a country's ideas, or
    of the ideas holding some words, either walks the order's index checking each idea (what
    most ideas hold: its page is met early) or reads those ideas and sorts them (what few hold),
    as the pipeline's kept counts or the full-text index say (``_walks_order``). SQLite, taking
    every key for rare, always read and sorted: 47 ms for a source kind at 100,000 ideas, 0.26
    walked; 50 to 98 ms for a theme by score or fit, 3.6 to 5.5 walked; 32 ms for a word 10,000
    ideas hold, 2 walked."""
    database = world.services.database
    if database.dialect != "sqlite":
        pytest.skip("PostgreSQL plans a facet's page from its statistics")
    for number in range(8):
        rare = number == 0
        await world.submit(
            title=f"Idea {number}",
            summary="A satellite link to masts." if rare else "Routers that sleep at night.",
            themes=("networks-cloud", "cybersecurity") if rare else ("networks-cloud",),
            source=SourceKind.STARTUP if rare else SourceKind.PARTNER,
            country="EG" if rare else "LU",
        )
    where, walked = FACETS[facet]

    plan = await database.read(
        lambda c: plan_of(c, lambda: queues.idea_page(c, where, Window(first=2), order))
    )

    assert (INDEX_OF_ORDER[order] in plan) is walked, plan
    assert ("TEMP B-TREE" in plan) is not walked, plan


THEMES_INDEX, KINDS_INDEX = "ix_idea_themes_view_theme", "ix_ideas_view_source_kind"
STAGED_FACETS = {
    "a theme most hold": (queues.IdeaFilter(theme="networks-cloud"), THEMES_INDEX, True),
    "a theme few hold": (queues.IdeaFilter(theme="cybersecurity"), THEMES_INDEX, False),
    "a source kind most come from": (queues.IdeaFilter(source_kind="PARTNER"), KINDS_INDEX, True),
    "a theme none of the stage holds": (
        queues.IdeaFilter(theme="generative-ai"),
        THEMES_INDEX,
        False,
    ),
}
"""A filter on one facet within stages, the index that finds the ideas holding it, and whether
its page walks each stage's index in the order instead: the counts kept by stage say how many
ideas of the stages hold it. (Of a country or source kind few hold, SQLite may read either
index, as it takes both for as rare.)"""


@pytest.mark.parametrize("order", sorted(STAGE_INDEX_OF_ORDER))
@pytest.mark.parametrize("stages", [("SCOUTED",), ("SCOUTED", "SCREENING")], ids=len)
@pytest.mark.parametrize("facet", sorted(STAGED_FACETS))
async def test_sqlite_walks_each_stages_order_for_a_facet_most_of_its_ideas_hold(
    world: World, facet: str, stages: tuple[str, ...], order: str
):
    """Within some stages, a page of the ideas of a theme, source kind or country most of their
    ideas hold walks each stage's index in the order, checking each idea; one few of them hold
    is found through its own index first. SQLite, taking every key for rare, listed a theme's
    30,000 ideas to find those of the screening stage: 14 ms at 100,000 ideas, 2.6 walked."""
    database = world.services.database
    if database.dialect != "sqlite":
        pytest.skip("PostgreSQL plans a facet's page from its statistics")
    for number in range(8):
        rare = number == 0
        idea = await world.submit(
            title=f"Idea {number}",
            themes=("networks-cloud", "cybersecurity") if rare else ("networks-cloud",),
            source=SourceKind.STARTUP if rare else SourceKind.PARTNER,
            country="EG" if rare else "LU",
        )
        if number in (1, 2):  # the scouted stage holds none of the generative AI ideas
            await world.run(ReviseIdea(idea_id=idea, themes=("generative-ai",)))
            await world.screen(idea)
    where, index, walked = STAGED_FACETS[facet]
    where = msgspec.structs.replace(where, stages=stages)

    plan = await database.read(
        lambda c: plan_of(c, lambda: queues.idea_page(c, where, Window(first=2), order))
    )

    reads = reads_of_ideas(plan)
    assert len(reads) == len(stages), plan
    assert all(STAGE_INDEX_OF_ORDER[order] in step for step in reads) or not walked, plan
    assert (index in plan) is not walked, plan


COUNT_READS = {
    # ``counts_at_end`` reads it through the driver, which SQLAlchemy's events do not see
    "the pipeline's figures": lambda c: c.execute(counts.PIPELINE_ROWS_AND_END).all(),
    "a theme's within two stages": lambda c: queues.count_ideas(
        c, queues.IdeaFilter(theme="networks-cloud", stages=("SCOUTED", "SCREENING"))
    ),
}


@pytest.mark.parametrize("read", sorted(COUNT_READS))
async def test_the_kept_counts_of_some_facets_are_found_in_the_key_by_facet(
    world: World, read: str
):
    """The counts are keyed by facet first (``0017``): the pipeline's figures, or a theme's
    within some stages, are found in the key rather than read from every count, most of which
    are the counts by stage."""
    await world.submit(themes=("networks-cloud",), country="EG")
    database = world.services.database

    plan = await database.read(
        lambda c: plan_of(c, lambda: COUNT_READS[read](c), sorts=True, whole=("bitmapscan",))
    )

    steps = [  # the steps reading the counts: SQLite's SCAN or SEARCH, PostgreSQL's scans
        step
        for step in plan.splitlines()
        if re.search(r"(SCAN|SEARCH|Scan) .*pipeline_counts", step)
    ]
    assert steps, plan
    if database.dialect == "sqlite":
        assert all(re.search(r"SEARCH pipeline_counts_view .*\(facet=\?", s) for s in steps), plan
    else:
        assert all("pk_pipeline_counts_view" in step for step in steps), plan
        assert re.search(r"Index Cond: \(+facet\)", plan), plan


@pytest.mark.parametrize("through", [None, 8])
async def test_the_position_at_a_moment_reads_a_range_of_positions_newest_first(
    database: Database, through: int | None
):
    """The tail, or a kept block (``store/moments.py``), read along the log's own key: never
    through the index of recording times, which holds every event recorded before the moment."""
    moment = datetime(2026, 3, 2, tzinfo=UTC)
    plan = await database.read(
        lambda c: plan_of(c, lambda: moments.last_recorded(c, 4, through, moment))
    )

    assert "ix_events_recorded_at" not in plan, plan
    key = "USING INTEGER PRIMARY KEY" if database.dialect == "sqlite" else "using pk_events"
    assert key in plan, plan
