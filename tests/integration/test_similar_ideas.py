"""Duplicate hints: ideas that say the same thing in other words are found, ranked first."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable
from functools import partial

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from innovation.domain.ideas import MergeIdea, ReviseIdea, SubmitIdea
from innovation.domain.values import Provenance, SourceKind
from innovation.projections import queues, search, telling
from innovation.projections.paging import Window
from innovation.projections.search import similar_ideas, similar_to_idea
from innovation.projections.views import IdeaView
from tests.integration.world import SCOUT, World


async def test_a_submitted_idea_is_hinted_at_ideas_worded_differently(world: World):
    speaker = await world.submit(
        title="Connected speaker with a voice assistant",
        summary="A home speaker that answers customers' questions by voice.",
    )
    alarms = await world.submit(
        title="Predicting network failures from alarms",
        summary="Machine learning on the alarms of the network operations centre.",
    )
    await world.submit(
        title="Training managers in responsible AI",
        summary="Three modules certify managers across countries.",
    )

    new_id = str(uuid.uuid4())
    done = await world.run(
        SubmitIdea(
            idea_id=new_id,
            title="Voice assistants in connected home speakers",
            summary="Customers ask their speaker questions and get spoken answers.",
            provenance=Provenance(
                source_kind=SourceKind.COMPETITOR,
                organisation="Amazon",
                country="US",
                external=True,
            ),
            themes=("customer-experience",),
            uses_ai=True,
            uses_personal_data=True,
            scout=SCOUT.name,
        ),
        SCOUT,
    )

    assert done.versions == {f"idea-{new_id}": 1}
    hints = await world.services.database.read(lambda c: similar_to_idea(c, new_id))
    assert hints
    assert len(hints) <= 5
    assert hints[0].idea_id == speaker
    assert alarms not in [hint.idea_id for hint in hints[:1]]
    assert all(0 < hint.score <= 1 for hint in hints)
    assert [hint.score for hint in hints] == sorted((hint.score for hint in hints), reverse=True)


async def test_a_failure_predictor_finds_the_alarm_idea_by_stem(world: World):
    alarms = await world.submit(
        title="Predicting network failures from alarms",
        summary="Machine learning on the alarms of the network operations centre.",
    )
    await world.submit(title="Voice assistant", summary="A speaker for the living room.")

    hints = await world.services.database.read(
        lambda c: similar_ideas(c, "A predictor of failing networks, trained on alarm data")
    )

    assert [hint.idea_id for hint in hints][:1] == [alarms]


async def test_nothing_meaningful_to_match_gives_no_hints(world: World):
    await world.submit()

    hints = await world.services.database.read(lambda c: similar_ideas(c, "the of and"))

    assert hints == []


async def test_the_text_filter_finds_ideas_holding_every_word(world: World):
    wanted = await world.submit(
        title="Predicting network failures from alarms",
        summary="Machine learning on network alarms.",
    )
    await world.submit(title="Network slicing for factories", summary="Private 5G.")

    page = await world.services.database.read(
        lambda c: queues.idea_page(c, queues.IdeaFilter(text="network alarm"), Window(first=10))
    )

    assert [row.idea_id for _, row in page.rows] == [wanted]


async def test_a_text_filter_counts_the_ideas_its_pages_list(world: World):
    """SQLite counts a filter on words alone in its full-text index, one row an idea: a
    revised text is counted as it now reads, and a merged duplicate as any idea."""
    kept = await world.submit(
        title="Predicting network failures from alarms",
        summary="Machine learning on network alarms.",
    )
    merged = await world.submit(title="Network alarms, predicted", summary="Failures foreseen.")
    revised = await world.submit(title="Satellite backhaul", summary="A network for villages.")
    await world.run(ReviseIdea(idea_id=revised, title="Fibre to rural towers", summary="Fibre."))
    await world.screen(kept)
    await world.screen(merged)
    await world.run(MergeIdea(idea_id=merged, into_idea_id=kept))

    def counted_and_listed(connection: Connection, where: queues.IdeaFilter) -> tuple[int, int]:
        listed = queues.idea_page(connection, where, Window(first=50)).rows
        return queues.count_ideas(connection, where), len(listed)

    for text, expected in [("network", 2), ("network alarm", 2), ("satellite", 0), ("fibre", 1)]:
        for include_merged, found in ((True, expected), (False, expected - (expected == 2))):
            where = queues.IdeaFilter(text=text, include_merged=include_merged)
            read = partial(counted_and_listed, where=where)
            assert await world.services.database.read(read) == (found, found), where


COMMON = "Customer network platform"
"""Words that every idea of the crowd below holds, and the near-duplicate's original too."""


async def crowd(world: World, size: int) -> None:
    """Ideas unrelated to drones, each holding the common words several times."""
    for number in range(size):
        await world.submit(
            title=f"{COMMON} {number} for customers",
            summary=f"A mobile network platform serving customers, customer care item {number}.",
        )


@pytest.mark.parametrize("pool", [search.POOL, 10], ids=["default-pool", "small-pool"])
async def test_a_near_duplicate_is_found_first_among_many_ideas_sharing_its_common_words(
    world: World, monkeypatch: pytest.MonkeyPatch, pool: int
):
    monkeypatch.setattr(search, "POOL", pool)  # how many matches are ranked
    monkeypatch.setattr(telling, "POOL", pool)  # how many matches the chosen words may reach
    original = await world.submit(
        title="Drones inspecting rooftop antennas",
        summary=f"{COMMON} teams fly drones to inspect rooftop antennas and masts.",
    )
    await crowd(world, 40)
    near = await world.submit(
        title="Rooftop antenna inspection by drone",
        summary="Drones check the antennas on rooftops for our customer network platform.",
    )

    hints = await world.services.database.read(lambda c: similar_to_idea(c, near))

    assert [hint.idea_id for hint in hints][:1] == [original]


async def test_the_telling_words_are_the_rarest_held_by_another_idea(world: World):
    satellite = await world.submit(
        title="Rural towers fed by satellite backhaul", summary="Villages get coverage."
    )
    await world.submit(title="Rural towers powered by solar panels", summary="No diesel.")
    await world.submit(title="Rural shops selling solar lamps", summary="Prepaid by phone.")
    words = {search.stem(word): word for word in search.terms("rural towers satellite zebra")}
    own = await world.services.database.read(
        lambda connection: connection.execute(
            sa.select(search.search_ideas_view.c.stems).where(
                search.search_ideas_view.c.idea_id == satellite
            )
        ).scalar_one()
    )

    def telling(own: str | None) -> Callable[[Connection], search.Telling]:
        left_out = satellite if own is not None else None
        return lambda connection: search.telling_words(connection, words, own, left_out)

    database = world.services.database
    everyone = await database.read(telling(None))
    assert list(everyone.words.items()) == [("satellite", 1), ("towers", 2), ("rural", 3)]
    assert everyone.ideas == 3
    others = await database.read(telling(own))
    assert list(others.words.items()) == [("towers", 1), ("rural", 2)]
    assert others.ideas == 2


async def test_a_revised_text_is_counted_and_found_as_it_now_reads(world: World):
    idea_id = await world.submit(
        title="Satellite backhaul for rural towers", summary="Villages get coverage."
    )
    other = await world.submit(title="Solar panels on rural towers", summary="No diesel.")
    await world.run(
        ReviseIdea(idea_id=idea_id, title="Fibre to rural towers", summary="Villages get fibre.")
    )
    database = world.services.database

    def index(connection: Connection) -> tuple[dict[str, int], dict[str, str], list[str]]:
        counts = dict(connection.execute(sa.select(search.search_terms_view)).all())
        held = dict(
            connection.execute(
                sa.select(search.search_ideas_view.c.idea_id, search.search_ideas_view.c.stems)
            ).all()
        )
        rows: list[str] = []
        if connection.dialect.name == "sqlite":
            rows = [
                row[0]
                for row in connection.exec_driver_sql("SELECT title FROM ideas_fts ORDER BY rowid")
            ]
        return counts, held, rows

    counts, held, rows = await database.read(index)

    assert held[idea_id] == "fibr get rural tower villag"
    if rows:
        all_ideas = Counter({search.ALL: 2})
        assert counts == Counter(s for stems in held.values() for s in stems.split()) + all_ideas
        assert counts["tower"] == 2
        assert "satellit" not in counts
    else:
        assert counts == {}
    assert rows in ([], ["Solar panels on rural towers", "Fibre to rural towers"])
    assert await database.read(lambda c: similar_ideas(c, "satellite backhaul")) == []
    found = await database.read(lambda c: similar_ideas(c, "fibre for villages"))
    assert [hint.idea_id for hint in found] == [idea_id]

    await database.write(
        partial(world.services.projector.rebuild, recorder=world.services.store.recorder)
    )

    assert await database.read(index) == (counts, held, rows)
    assert [hint.idea_id for hint in await database.read(lambda c: similar_to_idea(c, other))] == [
        idea_id
    ]


def fts_segments(connection: Connection) -> int:
    """The segments of SQLite's full-text index, read from FTS5's structure record: a 4-byte
    cookie (then a 4-byte marker in its second version), the levels and the segments, each a
    varint."""
    block = connection.exec_driver_sql("SELECT block FROM ideas_fts_data WHERE id = 10").scalar()
    assert isinstance(block, bytes)
    at = 8 if block[4:8] == b"\xff\x00\x00\x01" else 4
    numbers: list[int] = []
    while len(numbers) < 2:
        value = 0
        while True:
            byte = block[at]
            at += 1
            value = (value << 7) | (byte & 0x7F)
            if not byte & 0x80:
                break
        numbers.append(value)
    return numbers[1]


async def test_a_rebuilt_full_text_index_is_left_in_one_segment(world: World, monkeypatch):
    """Written in bulk, FTS5's index is left in many segments, flushed each time its buffer of
    pending terms fills, and the single-idea writes that follow soon merge a level of them at
    once inside one of them (``search.merge_index``). A rebuild leaves it in one."""
    if world.services.database.dialect != "sqlite":
        pytest.skip("PostgreSQL searches a GIN index of the view, which it keeps itself")
    for number in range(60):
        await world.submit(title=f"Rural towers, plan {number}", summary=f"Villages {number}.")
    database = world.services.database
    # A small buffer, so that 60 ideas are written in several segments, as 100,000 would be.
    await database.write(
        lambda c: c.exec_driver_sql(
            "INSERT INTO ideas_fts (ideas_fts, rank) VALUES ('hashsize', 256)"
        )
    )
    rebuild = partial(world.services.projector.rebuild, recorder=world.services.store.recorder)

    with monkeypatch.context() as patched:
        patched.setattr(search, "merge_index", lambda connection: None)
        await database.write(rebuild)
        assert await database.read(fts_segments) > 1, "written in bulk, left as written"
    await database.write(rebuild)

    assert await database.read(fts_segments) == 1
    found = await database.read(lambda c: similar_ideas(c, "rural towers plan 7 villages"))
    assert found, "the merged index still finds"


def walk_pages(
    connection: Connection, where: queues.IdeaFilter, order: str, backwards: bool
) -> list[str]:
    """Every page of ``where`` three at a time, forwards or backwards, as ids in page order."""
    seen: list[str] = []
    cursor: str | None = None
    while True:
        window = Window(last=3, before=cursor) if backwards else Window(first=3, after=cursor)
        page = queues.idea_page(connection, where, window, order)
        rows = page.rows[::-1] if backwards else page.rows
        seen += [row.idea_id for _, row in rows]
        if not (page.has_previous if backwards else page.has_next):
            return seen[::-1] if backwards else seen
        cursor = rows[-1][0]


@pytest.mark.parametrize("order", sorted(queues.ORDERINGS))
async def test_the_pages_of_a_text_search_list_each_match_once_in_order_both_ways(
    world: World, order: str
):
    """On PostgreSQL a text search's page finds its matches first, then sorts them
    (``keyset_page``'s ``found_first``): walked forwards, then backwards, three at a time, the
    pages list every match once, in the order a page of all ideas shows them."""
    for number in range(11):
        routed = number % 3 != 0
        idea = await world.submit(
            title=f"{'Router' if routed else 'Antenna'} idea {number}",
            summary="A router that learns when cells sleep." if routed else "Masts on roofs.",
        )
        if number % 2:
            await world.score(idea, reach=100 * number)
    where = queues.IdeaFilter(text="router")
    database = world.services.database

    forwards = await database.read(lambda c: walk_pages(c, where, order, backwards=False))
    backwards = await database.read(lambda c: walk_pages(c, where, order, backwards=True))
    everyone = await database.read(
        lambda c: queues.idea_page(c, queues.IdeaFilter(), Window(first=50), order)
    )
    expected = [row.idea_id for _, row in everyone.rows if row.title.startswith("Router")]

    assert len(expected) == 7
    assert forwards == expected
    assert backwards == expected


FILTERS = [
    queues.IdeaFilter(stages=("SCOUTED", "SCREENING")),
    queues.IdeaFilter(stages=("SCREENING", "SCOUTED", "SCREENING", "MERGED", "VALIDATED")),
    queues.IdeaFilter(stages=("MERGED", "SCOUTED", "REJECTED"), include_merged=False),
    queues.IdeaFilter(stages=("SCOUTED", "SCREENING"), scored=False),
    queues.IdeaFilter(stages=("SCOUTED", "SCREENING"), scored=True),
    queues.IdeaFilter(scored=False),
    queues.IdeaFilter(scored=True),
]


def named(where: queues.IdeaFilter) -> str:
    scored = "" if where.scored is None else f" scored={where.scored}"
    return ",".join(where.stages) + scored + ("" if where.include_merged else " unmerged")


@pytest.mark.parametrize("order", sorted(queues.ORDERINGS))
@pytest.mark.parametrize("where", FILTERS, ids=named)
async def test_the_pages_of_stages_or_of_scored_ideas_list_each_idea_once_in_order_both_ways(
    world: World, where: queues.IdeaFilter, order: str
):
    """Several stages are read a stage at a time and merged on SQLite (``keyset_page``'s
    ``split``), and in the score and fit orders the scored ideas, or the unscored ones, are
    read from their own part of the order (``queues._scored_part``; the unscored ones by id
    alone, ``fixed_key``): walked forwards, then backwards, three at a time, the pages list
    every idea the filter keeps once, in the order a page of all ideas shows them."""
    await world.everything()
    for number in range(7):
        idea = await world.submit(title=f"Queued idea {number}")
        if number % 2:
            await world.screen(idea)
        if number % 3 == 0:
            await world.score(idea, reach=100 * (number % 2 + 1))
    database = world.services.database

    forwards = await database.read(lambda c: walk_pages(c, where, order, backwards=False))
    backwards = await database.read(lambda c: walk_pages(c, where, order, backwards=True))
    everyone = await database.read(
        lambda c: queues.idea_page(c, queues.IdeaFilter(), Window(first=100), order)
    )
    merged_out = not where.include_merged
    expected = [
        row.idea_id
        for _, row in everyone.rows
        if (not where.stages or row.stage in where.stages)
        and not (merged_out and row.stage == "MERGED")
        and (where.scored is None or (row.score is not None) == where.scored)
    ]

    assert len(expected) >= 3
    assert forwards == expected
    assert backwards == expected


@pytest.mark.parametrize("order", sorted(queues.SCORED_ORDERS))
async def test_a_cursor_of_a_scored_idea_pages_on_into_the_unscored_ones(world: World, order: str):
    """The unscored ideas' page, in the score or fit order, decides a cursor's key itself
    (every unscored idea's is the same, below every score's): after a scored idea's cursor,
    highest first, come every unscored idea; before it, none."""
    scored = await world.submit(title="Scored")
    await world.score(scored)
    unscored = [await world.submit(title=f"Unscored {number}") for number in range(3)]
    database = world.services.database

    def page(connection: Connection, where: queues.IdeaFilter, window: Window) -> list[str]:
        found = queues.idea_page(connection, where, window, order, descending=True)
        return [row.idea_id for _, row in found.rows]

    def cursor_of_scored(connection: Connection) -> str:
        top = queues.idea_page(connection, queues.IdeaFilter(), Window(first=1), order)
        assert top.rows[0][1].idea_id == scored
        return top.rows[0][0]

    cursor = await database.read(cursor_of_scored)
    waiting = queues.IdeaFilter(scored=False)
    after = await database.read(lambda c: page(c, waiting, Window(first=10, after=cursor)))
    before = await database.read(lambda c: page(c, waiting, Window(last=10, before=cursor)))

    assert sorted(after) == sorted(unscored)
    assert after == sorted(unscored, reverse=True)  # ties by id, highest first
    assert before == []


FACET_FILTERS: dict[str, tuple[queues.IdeaFilter, Callable[[IdeaView], bool]]] = {
    "common theme": (
        queues.IdeaFilter(theme="networks-cloud"),
        lambda idea: "networks-cloud" in idea.themes,
    ),
    "rare theme": (
        queues.IdeaFilter(theme="cybersecurity"),
        lambda idea: "cybersecurity" in idea.themes,
    ),
    "common source kind": (
        queues.IdeaFilter(source_kind="PARTNER"),
        lambda idea: idea.provenance.source_kind is SourceKind.PARTNER,
    ),
    "rare source kind": (
        queues.IdeaFilter(source_kind="STARTUP"),
        lambda idea: idea.provenance.source_kind is SourceKind.STARTUP,
    ),
    "common country": (
        queues.IdeaFilter(country="lu"),
        lambda idea: idea.provenance.country == "LU",
    ),
    "rare country": (queues.IdeaFilter(country="EG"), lambda idea: idea.provenance.country == "EG"),
}
"""Filters on one facet the kept counts hold, and which ideas each keeps."""


@pytest.mark.parametrize("order", ["SCOUTED_AT", "UPDATED_AT"])
@pytest.mark.parametrize("facet", sorted(FACET_FILTERS))
async def test_the_pages_of_a_facet_list_each_of_its_ideas_once_in_order_both_ways(
    world: World, order: str, facet: str
):
    """On SQLite a theme, source kind or country most ideas hold is walked in the time order,
    each idea checked; one few ideas hold is read whole and sorted (``queues._walks_order``).
    Walked forwards, then backwards, three at a time, the pages list every idea of the facet
    once, in the order a page of all ideas shows them, whichever way they were read."""
    await world.everything()
    for number in range(12):
        rare = number % 5 == 0
        idea = await world.submit(
            title=f"Idea {number}",
            themes=("networks-cloud", "cybersecurity") if rare else ("networks-cloud",),
            source=SourceKind.STARTUP if rare else SourceKind.PARTNER,
            country="EG" if rare else "LU",
        )
        if number % 4 == 0:
            await world.screen(idea)
    where, keeps = FACET_FILTERS[facet]
    database = world.services.database

    forwards = await database.read(lambda c: walk_pages(c, where, order, backwards=False))
    backwards = await database.read(lambda c: walk_pages(c, where, order, backwards=True))
    everyone = await database.read(
        lambda c: queues.idea_page(c, queues.IdeaFilter(), Window(first=100), order)
    )
    expected = [row.idea_id for _, row in everyone.rows if keeps(row)]

    assert len(expected) >= 3
    assert forwards == expected
    assert backwards == expected


async def test_a_text_search_walking_the_order_finds_the_same_ideas_after_a_rebuild(
    world: World,
):
    """A page of words most ideas hold walks the order and checks each idea's row of the
    full-text index among the matches (SQLite, ``_walks_order``): revised texts and a rebuild,
    which writes every row again, leave each idea's row where the search finds it."""
    ideas = [
        await world.submit(title=f"Router idea {number}", summary="Routers that sleep at night.")
        for number in range(6)
    ]
    await world.run(ReviseIdea(idea_id=ideas[2], summary="Masts on roofs, no more."))
    await world.run(ReviseIdea(idea_id=ideas[4], title="Router idea 4, sleeping at night"))
    where = queues.IdeaFilter(text="router sleep")
    database = world.services.database
    before = await database.read(lambda c: walk_pages(c, where, "SCOUTED_AT", backwards=False))

    await database.write(
        partial(world.services.projector.rebuild, recorder=world.services.store.recorder)
    )
    after = await database.read(lambda c: walk_pages(c, where, "SCOUTED_AT", backwards=False))

    assert before == after == [idea for idea in reversed(ideas) if idea != ideas[2]]
