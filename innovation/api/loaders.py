"""Per-request DataLoaders: nested reads in one query per kind, never one per parent."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
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
    """Built for each request, so nothing cached outlives it."""

    def __init__(self, database: Database) -> None:
        self.idea: DataLoader[str, views.IdeaView | None] = _loader(
            database, views.ideas_by_id, lambda: None
        )
        self.experiment: DataLoader[str, views.ExperimentView | None] = _loader(
            database, views.experiments_by_id, lambda: None
        )
        self.experiments: DataLoader[str, list[views.ExperimentView]] = _loader(
            database, views.experiments_of_ideas, list
        )
        self.metrics: DataLoader[str, list[views.MetricView]] = _loader(
            database, views.metrics_of_experiments, list
        )
        self.measurements: DataLoader[tuple[str, str], list[views.MeasurementView]] = _loader(
            database,
            lambda connection, keys: views.measurements_of(connection, keys, LATEST_MEASUREMENTS),
            list,
        )
        self.scores: DataLoader[str, list[views.ScoreEntry]] = _loader(
            database, views.score_history, list
        )
        self.stages: DataLoader[str, list[views.StageChange]] = _loader(
            database, views.stage_history, list
        )
        self.ethics: DataLoader[str, list[views.EthicsReview]] = _loader(
            database, views.ethics_reviews, list
        )
