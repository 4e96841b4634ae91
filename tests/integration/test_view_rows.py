"""Views read rows as plain dicts (names read once per query) and as SQLAlchemy mappings alike."""

from __future__ import annotations

import itertools

import msgspec
import sqlalchemy as sa

from innovation.projections import partial, views
from innovation.projections.experiments import experiments_view
from innovation.projections.ideas import ideas_view
from innovation.store import Database
from tests.integration.world import World


async def test_a_view_is_the_same_from_a_plain_row_and_from_a_mapping(
    world: World, database: Database
):
    idea_id = await world.submit()
    await world.screen(idea_id)
    await world.score(idea_id)
    experiment_id = await world.start(idea_id)

    def both(connection: sa.Connection) -> list[tuple[object, object]]:
        pairs: list[tuple[object, object]] = []
        for table, view in (
            (ideas_view, views.idea_view),
            (experiments_view, views.experiment_view),
        ):
            [plain] = views._rows(connection, sa.select(table))
            [mapping] = connection.execute(sa.select(table)).mappings()
            pairs.append((view(plain), view(mapping)))
        return pairs

    pairs = await database.read(both)

    for plain, mapping in pairs:
        assert plain == mapping
    idea, experiment = (plain for plain, _ in pairs)
    assert isinstance(idea, views.IdeaView)
    assert idea.score is not None
    assert idea.provenance.country == "LU"
    assert isinstance(experiment, views.ExperimentView)
    assert experiment.experiment_id == experiment_id


async def test_an_idea_read_by_its_columns_alone_is_the_idea_read_whole(
    world: World, database: Database
):
    """Reads of ideas select ``IDEA_COLUMNS``, not the whole row: every field of the view
    must come from them, scored or not."""
    scored = await world.submit()
    await world.screen(scored)
    await world.score(scored)
    plain = await world.submit()

    def read(connection: sa.Connection) -> tuple[dict[str, object], dict[str, object]]:
        whole = {
            row["idea_id"]: views.idea_view(row)
            for row in views._rows(connection, sa.select(ideas_view))
        }
        narrow = {
            row["idea_id"]: views.idea_view(row)
            for row in views._rows(connection, sa.select(*views.IDEA_COLUMNS))
        }
        return whole, narrow

    whole, narrow = await database.read(read)

    assert narrow == whole
    assert set(whole) == {scored, plain}
    assert whole[scored].score is not None  # type: ignore[attr-defined]
    names = {column.name for column in views.IDEA_COLUMNS}
    assert names < {column.name for column in ideas_view.columns}
    assert "last_position" not in names


def _one_at_a_time(row: dict[str, object]) -> views.IdeaView:
    """An idea's view built as the rows were read before ``idea_converter``: the provenance
    and the score nested from their columns, then one conversion of the row."""
    provenance = {name: row[name] for name in views.field_names(views.Provenance)}
    score = (
        None
        if row["reach"] is None
        else {name: row[name] for name in views.field_names(views.ScoreView)}
    )
    return msgspec.convert({**row, "provenance": provenance, "score": score}, views.IdeaView)


async def test_ideas_converted_at_once_are_the_ideas_converted_one_by_one(
    world: World, database: Database
):
    await world.everything()
    plain = await world.submit()  # unscored, no experiment, no ethics

    def read(connection: sa.Connection) -> tuple[list[views.IdeaView], list[views.IdeaView]]:
        result = connection.execute(sa.select(*views.IDEA_COLUMNS).order_by(ideas_view.c.idea_id))
        names = tuple(str(name) for name in result.keys())  # noqa: SIM118
        rows = result.all()
        return views.idea_views(names, rows), [
            _one_at_a_time(dict(zip(names, r, strict=True))) for r in rows
        ]

    at_once, one_by_one = await database.read(read)

    assert at_once == one_by_one
    assert len(at_once) == 7
    assert {idea.score is None for idea in at_once} == {True, False}
    assert any(idea.merged_into for idea in at_once)
    assert any(idea.ethics_verdict for idea in at_once)
    assert plain in {idea.idea_id for idea in at_once}


async def test_an_idea_read_in_part_holds_what_it_read_as_the_whole_idea_does(
    world: World, database: Database
):
    """A page reads only the columns its answer asks for (``partial_idea_views``): each field
    it asked for must be the whole view's, whichever other fields it left out."""
    await world.everything()
    fields = [name for name in views.field_names(views.IdeaView) if name in views.IDEA_PARTS]
    fields += [
        column.name
        for column in views.IDEA_COLUMNS
        if column.name in views.field_names(views.IdeaView) and column.name != "idea_id"
    ]
    asked = [frozenset({name}) for name in fields] + [frozenset(fields)]
    asked += [frozenset(fields[start::3]) for start in range(3)]

    def read(connection: sa.Connection) -> list[tuple[frozenset[str], list[views.IdeaView]]]:
        read_in_part = []
        for some in (None, *asked):
            columns = views.IDEA_COLUMNS if some is None else partial.idea_columns(some)
            query = sa.select(*columns).order_by(ideas_view.c.idea_id)
            result = connection.execute(query)
            names = tuple(str(name) for name in result.keys())  # noqa: SIM118
            convert = views.idea_views if some is None else partial.partial_idea_views
            read_in_part.append((some or frozenset(), convert(names, result.all())))
        return read_in_part

    (_, whole), *parts = await database.read(read)

    assert len(whole) == 6
    for some, ideas in parts:
        assert [idea.idea_id for idea in ideas] == [idea.idea_id for idea in whole]
        for idea, entire in zip(ideas, whole, strict=True):
            for name in some:
                assert getattr(idea, name) == getattr(entire, name), (name, idea.idea_id)


def test_a_process_keeps_a_bounded_number_of_partial_reads():
    """Callers choose which fields a page reads, and so how many sets of columns and their
    conversions there are: a process keeps the latest ``KEPT_SHAPES`` of them."""
    fields = sorted(views.IDEA_PARTS)
    fields += sorted(
        column.name
        for column in views.IDEA_COLUMNS
        if column.name in views.field_names(views.IdeaView) and column.name != "idea_id"
    )
    sets = list(
        itertools.islice(
            (frozenset(some) for size in (2, 3) for some in itertools.combinations(fields, size)),
            partial.KEPT_SHAPES + 50,
        )
    )
    assert len(sets) == partial.KEPT_SHAPES + 50
    for some in sets:
        names = tuple(column.name for column in partial.idea_columns(some))
        assert partial.partial_idea_views(names, []) == []
    assert partial.idea_columns.cache_info().currsize <= partial.KEPT_SHAPES
    assert partial._converter.cache_info().currsize <= partial.KEPT_SHAPES
