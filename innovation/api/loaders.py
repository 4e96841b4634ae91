"""Per-request DataLoaders: nested reads in one query per kind, never one per parent."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import cached_property
from typing import Any, NamedTuple, TypeVar

from sqlalchemy.engine import Connection
from strawberry.dataloader import DataLoader
from strawberry.types import Info

from innovation.api.selections import selected_at
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
        found = await database.glance(lambda connection: fetch(connection, keys))
        return [found.get(key_of(key), missing()) for key in keys]

    return DataLoader(load_fn=load)


class Loaders:
    """Built for each request, so nothing cached outlives it; each loader made when first used
    (most requests use one or two of them, and every request builds the set)."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.known_experiments: dict[str, list[views.ExperimentView]] = {}
        """Ideas' experiments read with them (``prime_nested``), for resolvers to take at once."""
        self.known_metrics: dict[str, list[views.MetricView]] = {}
        """Those experiments' metrics, when they were read too."""
        self.known_ideas: dict[str, tuple[views.IdeaView, frozenset[str]]] = {}
        """Ideas a page read in part (``partial.partial_idea_views``), with the fields they hold:
        never primed into ``idea``, whose readers may ask for any field."""

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

    def release(self) -> None:
        """Let go of what the request read, once it is answered. graphql-core leaves each
        execution in a reference cycle of its own (its resolve-info helpers hold its bound
        methods), and the request's context with it: whatever the loaders still held waited
        for the garbage collector (745 objects a page of 100 ideas: its views, their futures),
        and was promoted, then walked again, by the collections made before it came."""
        for loader in vars(self).values():
            if isinstance(loader, DataLoader):
                loader.clear_all()
        self.known_experiments.clear()
        self.known_metrics.clear()
        self.known_ideas.clear()

    def known_idea(self, idea_id: str, reads: frozenset[str] | None) -> views.IdeaView | None:
        """The idea as a page of this request read it, if that read holds every field in
        ``reads`` (None: any field at all, which a partial read never holds)."""
        known = self.known_ideas.get(idea_id)
        if known is None or reads is None or not reads <= known[1]:
            return None
        return known[0]

    def prime_nested(self, idea_ids: Sequence[str], nested: Nested) -> None:
        """Keep what ``read_nested`` read along with these ideas, for their resolvers.

        Kept as plain values rather than primed into the loaders: a resolver that finds its
        answer here returns it at once, where awaiting even a primed loader makes each idea of
        a page a coroutine that the executor gathers."""
        known = self.known_experiments
        for idea_id in idea_ids:
            known[idea_id] = nested.experiments.get(idea_id, [])
        if nested.metrics is not None:
            for found in nested.experiments.values():
                for experiment in found:
                    key = experiment.experiment_id
                    self.known_metrics[key] = nested.metrics.get(key, [])


class Nested(NamedTuple):
    """Ideas' experiments, and those experiments' metrics when asked for (else None)."""

    experiments: dict[str, list[views.ExperimentView]]
    metrics: dict[str, list[views.MetricView]] | None


def nesting(info: Info[Any, Any], path: Sequence[str]) -> int:
    """How deep the selection at ``path`` (from the field resolved) nests what ideas hold:
    0 without ``experiments``, 1 with them, 2 with their ``metrics`` too."""
    depth = 0
    for below in (("experiments",), ("experiments", "metrics")):
        if not selected_at(info, (*path, *below)):
            break
        depth += 1
    return depth


def read_nested(connection: Connection, idea_ids: Sequence[str], depth: int) -> Nested | None:
    """What a page of ideas nests, read with the page: experiments, then their metrics.

    Loaders would read the same a level at a time, each in a read of its own; the ideas'
    resolvers read it in the job that reads the ideas, on one connection and as of one moment
    (``Database.read``'s ``one_snapshot``): a write committed between the statements shows in
    none of them, where it would have shown in what the ideas nest and not in the ideas.
    ``idea_ids`` need only name the ideas that may have experiments: the others have none."""
    if depth == 0:
        return None
    experiments = views.experiments_of_ideas(connection, idea_ids) if idea_ids else {}
    metrics = None
    if depth > 1:
        ids = [experiment.experiment_id for found in experiments.values() for experiment in found]
        metrics = views.metrics_of_experiments(connection, ids) if ids else {}
    return Nested(experiments, metrics)
