"""Per-request DataLoaders: nested reads in one query per kind, never one per parent."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import cached_property
from typing import Any, TypeVar

from sqlalchemy.engine import Connection
from strawberry.dataloader import DataLoader

from innovation.projections import views
from innovation.store import Database

K = TypeVar("K")
V = TypeVar("V")

LATEST_MEASUREMENTS = 5


def _loader(
    database: Database,
    fetch: Callable[[Connection, list[K]], Mapping[Any, V]],
    missing: Callable[[], V],
    key_of: Callable[[K], Any] = lambda key: key,
) -> DataLoader[K, V]:
    async def load(keys: list[K]) -> Sequence[V]:
        found = await database.read(lambda connection: fetch(connection, keys))
        return [found.get(key_of(key), missing()) for key in keys]

    return DataLoader(load_fn=load)


class Loaders:
    """Built for each request, so nothing cached outlives it; each loader made when first used
    (most requests use one or two of them, and every request builds the set)."""

    def __init__(self, database: Database) -> None:
        self.database = database

    @cached_property
    def idea(self) -> DataLoader[str, views.IdeaView | None]:
        return _loader(self.database, views.ideas_by_id, lambda: None)

    @cached_property
    def experiment(self) -> DataLoader[str, views.ExperimentView | None]:
        return _loader(self.database, views.experiments_by_id, lambda: None)

    @cached_property
    def experiments(self) -> DataLoader[str, list[views.ExperimentView]]:
        return _loader(self.database, views.experiments_of_ideas, list)

    @cached_property
    def metrics(self) -> DataLoader[str, list[views.MetricView]]:
        return _loader(self.database, views.metrics_of_experiments, list)

    @cached_property
    def measurements(self) -> DataLoader[tuple[str, str], list[views.MeasurementView]]:
        return _loader(
            self.database,
            lambda connection, keys: views.measurements_of(connection, keys, LATEST_MEASUREMENTS),
            list,
        )

    @cached_property
    def scores(self) -> DataLoader[str, list[views.ScoreEntry]]:
        return _loader(self.database, views.score_history, list)

    @cached_property
    def stages(self) -> DataLoader[str, list[views.StageChange]]:
        return _loader(self.database, views.stage_history, list)

    @cached_property
    def ethics(self) -> DataLoader[str, list[views.EthicsReview]]:
        return _loader(self.database, views.ethics_reviews, list)
