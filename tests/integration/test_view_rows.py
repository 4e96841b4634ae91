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
