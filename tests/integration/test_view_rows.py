"""Views read rows as plain dicts (names read once per query) and as SQLAlchemy mappings alike."""

from __future__ import annotations

import sqlalchemy as sa

from innovation.projections import views
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
