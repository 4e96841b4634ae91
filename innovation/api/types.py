"""The GraphQL object types, built from the projections' typed views; nested ones via loaders."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from typing import Any

import strawberry
from strawberry import relay
from strawberry.types import Info

from innovation.api.building import built
from innovation.api.context import Context
from innovation.api.enums import (
    DecisionType,
    ErrorCodeType,
    EthicsStatusType,
    ExperimentStatus,
    OutcomeType,
    Role,
    SourceKindType,
    StageType,
    ValidationRouteType,
    VerdictType,
)
from innovation.api.execution import answered_at_once
from innovation.api.metrics import Metric
from innovation.api.reads import idea_reads
from innovation.api.selections import names_at
from innovation.projections import queues as queue_views
from innovation.projections import views
from innovation.projections.as_of import (
    ExperimentThen,
    experiments_at,
    histories_at,
    idea_at_position,
)
from innovation.projections.search import Similar


@strawberry.type(description="A refusal: the code, a sentence for people, the input field.")
class UserError:
    code: ErrorCodeType  # type: ignore[valid-type]
    message: str
    field: str | None = strawberry.field(
        default=None, description="Path of the input field at fault, e.g. provenance.country."
    )


@strawberry.type(description="The caller, as the token presented says.")
class Me:
    name: str
    role: Role
    email: str | None


@strawberry.type(description="Where an idea comes from.")
class Provenance:
    source_kind: SourceKindType  # type: ignore[valid-type]
    organisation: str
    country: str = strawberry.field(description="ISO 3166-1 alpha-2 code.")
    url: str | None
    external: bool


@strawberry.type(description="RICE (reach * impact * confidence / effort) plus strategic fit.")
class Score:
    reach: int
    impact: float
    confidence: float
    effort: float = strawberry.field(description="Person-months.")
    strategic_fit: int = strawberry.field(description="0 to 5.")
    rice: float

    @classmethod
    def of(cls, view: views.ScoreView) -> Score:
        return built(cls, view)


@strawberry.type(description="One scoring of an idea, as it was recorded.")
class ScoreEntry:
    score: Score
    scored_by: str
    scored_at: datetime


@strawberry.type(description="A stage change and why it happened.")
class StageChange:
    from_stage: StageType | None  # type: ignore[valid-type]
    to_stage: StageType  # type: ignore[valid-type]
    reason: str | None
    experiment_id: str | None
    actor: str
    at: datetime


@strawberry.enum(description="Whether an ethics review entry asks for a review or records one.")
class EthicsReviewKind(Enum):
    REQUESTED = "REQUESTED"
    RECORDED = "RECORDED"


@strawberry.type(description="A request for an ethics review, or a verdict on one.")
class EthicsReviewEntry:
    kind: EthicsReviewKind
    verdict: VerdictType | None  # type: ignore[valid-type]
    reviewers: list[str]
    note: str | None
    actor: str
    at: datetime

    @classmethod
    def of(cls, view: views.EthicsReview) -> EthicsReviewEntry:
        return cls(
            kind=EthicsReviewKind(view.kind),
            verdict=view.verdict,
            reviewers=list(view.reviewers),
            note=view.note,
            actor=view.actor,
            at=view.at,
        )


@strawberry.type(description="The ethics gate for ideas that use AI or personal data.")
class Ethics:
    status: EthicsStatusType  # type: ignore[valid-type]
    verdict: VerdictType | None  # type: ignore[valid-type]
    passes_gate: bool = strawberry.field(description="May enter a release as far as ethics goes.")
    idea_id: strawberry.Private[str]
    as_of_position: strawberry.Private[int | None] = None

    @strawberry.field(description="Every request and verdict, oldest first.")
    async def reviews(self, info: Info[Context, None]) -> list[EthicsReviewEntry]:
        if self.as_of_position is not None:
            then = await histories_at(
                info.context.services.store, self.idea_id, self.as_of_position
            )
            return [EthicsReviewEntry.of(view) for view in then.ethics]
        found = await info.context.loaders.ethics.load(self.idea_id)
        return [EthicsReviewEntry.of(view) for view in found]


@strawberry.type(
    description="An idea in the pipeline. Asked for with asOf, every field and every nested "
    "one (experiments, their metrics and measurements, the histories, ethics reviews, the idea "
    "merged into) is as it stood at asOfPosition."
)
class Idea(relay.Node):
    id: relay.NodeID[str]
    title: str
    summary: str
    stage: StageType  # type: ignore[valid-type]
    provenance: Provenance
    themes: list[str]
    uses_ai: bool
    uses_personal_data: bool
    scout: str
    submitted_by: str
    submitted_at: datetime
    updated_at: datetime
    version: int = strawberry.field(description="Pass as expectedVersion to change it safely.")
    score: Score | None = strawberry.field(description="The latest scoring.")
    rejection_reason: str | None
    validated_via: ValidationRouteType | None  # type: ignore[valid-type]
    validation_reason: str | None
    ethics: Ethics
    as_of_position: int | None = strawberry.field(
        description="The log position this view and everything nested in it was replayed to, "
        "when asked for asOf."
    )
    view: strawberry.Private[views.IdeaView]

    @classmethod
    def of(cls, view: views.IdeaView) -> Idea:
        return built(
            cls,
            view,
            id=view.idea_id,
            provenance=built(Provenance, view.provenance),
            themes=list(view.themes),
            score=None if view.score is None else Score.of(view.score),
            ethics=Ethics(
                status=view.ethics_status,
                verdict=view.ethics_verdict,
                passes_gate=view.passes_ethics_gate,
                idea_id=view.idea_id,
                as_of_position=view.as_of_position,
            ),
            view=view,
        )

    @classmethod
    def maybe(cls, view: views.IdeaView | None) -> Idea | None:
        return None if view is None else cls.of(view)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info[Context, None], node_ids: list[str], required: bool = False
    ) -> list[Idea | None]:
        return [cls.maybe(view) for view in await info.context.loaders.idea.load_many(node_ids)]

    @strawberry.field(description="The idea this duplicate was merged into.")
    async def merged_into(self, info: Info[Context, None]) -> Idea | None:
        if self.view.merged_into is None:
            return None
        if self.view.as_of_position is not None:
            store = info.context.services.store
            return Idea.maybe(
                await idea_at_position(store, self.view.merged_into, self.view.as_of_position)
            )
        return Idea.maybe(await info.context.loaders.idea.load(self.view.merged_into))

    def _known(self, context: Context) -> list[views.ExperimentView] | None:
        """The experiments read with this idea (``Loaders.known_experiments``), if they were."""
        if self.view.as_of_position is not None:
            return None
        return context.loaders.known_experiments.get(self.id)

    def _experiments_at_once(self, context: Context) -> list[Experiment] | None:
        known = self._known(context)
        return None if known is None else [Experiment.of(view) for view in known]

    @strawberry.field(
        description="Experiments on this idea, oldest first.",
        graphql_type=list["Experiment"],
        metadata=answered_at_once(_experiments_at_once),
    )
    def experiments(self, info: Info[Context, None]) -> Any:
        # At once when read with the idea; otherwise a coroutine, which the executor awaits.
        found = self._experiments_at_once(info.context)
        return self._experiments(info) if found is None else found

    async def _experiments(self, info: Info[Context, None]) -> list[Experiment]:
        position = self.view.as_of_position
        if position is not None:
            store = info.context.services.store
            then = await experiments_at(store, self.view.experiment_ids or (), position)
            return [Experiment.at(experiment, position) for experiment in then]
        found = await info.context.loaders.experiments.load(self.id)
        return [Experiment.of(view) for view in found]

    @strawberry.field(description="The experiment running now, if any.")
    async def running_experiment(self, info: Info[Context, None]) -> Experiment | None:
        running = self.view.running_experiment_id
        if running is None:
            return None
        if self.view.as_of_position is not None:
            store = info.context.services.store
            then = await experiments_at(store, [running], self.view.as_of_position)
            return next((Experiment.at(each, self.view.as_of_position) for each in then), None)
        found = self._known(info.context)
        if found is None:
            found = await info.context.loaders.experiments.load(self.id)
        return next((Experiment.of(view) for view in found if view.experiment_id == running), None)

    @strawberry.field(description="Every scoring, oldest first.")
    async def score_history(self, info: Info[Context, None]) -> list[ScoreEntry]:
        if self.view.as_of_position is None:
            found = await info.context.loaders.scores.load(self.id)
        else:
            store = info.context.services.store
            found = (await histories_at(store, self.id, self.view.as_of_position)).scores
        return [built(ScoreEntry, entry, score=Score.of(entry.score)) for entry in found]

    @strawberry.field(description="Every stage change, oldest first.")
    async def stage_history(self, info: Info[Context, None]) -> list[StageChange]:
        if self.view.as_of_position is None:
            found = await info.context.loaders.stages.load(self.id)
        else:
            store = info.context.services.store
            found = (await histories_at(store, self.id, self.view.as_of_position)).stages
        return [built(StageChange, change) for change in found]


@strawberry.type(description="A small, measured trial of an idea (a pilot).")
class Experiment(relay.Node):
    id: relay.NodeID[str]
    hypothesis: str
    pilot_site: str
    starts_on: date
    ends_on: date
    status: ExperimentStatus
    outcome: OutcomeType | None  # type: ignore[valid-type]
    decision: DecisionType | None  # type: ignore[valid-type]
    note: str | None
    started_by: str
    started_at: datetime
    concluded_at: datetime | None
    version: int = strawberry.field(description="Pass as expectedVersion to change it safely.")
    idea_id: strawberry.Private[str]
    then: strawberry.Private[ExperimentThen | None] = None
    as_of_position: strawberry.Private[int | None] = None

    @classmethod
    def of(cls, view: views.ExperimentView) -> Experiment:
        return built(
            cls,
            view,
            id=view.experiment_id,
            status=ExperimentStatus(view.status),
            then=None,
            as_of_position=None,
        )

    @classmethod
    def at(cls, experiment: ExperimentThen, position: int) -> Experiment:
        """The experiment as it stood at ``position``: its metrics and idea as of then too."""
        view = experiment.view
        return built(
            cls,
            view,
            id=view.experiment_id,
            status=ExperimentStatus(view.status),
            then=experiment,
            as_of_position=position,
        )

    @classmethod
    def maybe(cls, view: views.ExperimentView | None) -> Experiment | None:
        return None if view is None else cls.of(view)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info[Context, None], node_ids: list[str], required: bool = False
    ) -> list[Experiment | None]:
        found = await info.context.loaders.experiment.load_many(node_ids)
        return [cls.maybe(view) for view in found]

    @strawberry.field(description="The idea this experiment tries out.")
    async def idea(self, info: Info[Context, None]) -> Idea:
        if self.as_of_position is not None:
            store = info.context.services.store
            view = await idea_at_position(store, self.idea_id, self.as_of_position)
        else:
            loaders = info.context.loaders
            view = loaders.known_idea(self.idea_id, idea_reads(names_at(info, ())))
            if view is None:
                view = await loaders.idea.load(self.idea_id)
        assert view is not None  # an experiment is started only on an existing idea
        return Idea.of(view)

    def _metrics_at_once(self, context: Context) -> list[Metric] | None:
        """As of a past position, or read with the experiment's idea: at once."""
        if self.then is not None:
            measured = self.then.measurements
            return [Metric.of(view, measured.get(view.name, ())) for view in self.then.metrics]
        known = context.loaders.known_metrics.get(self.id)
        return None if known is None else [Metric.of(view) for view in known]

    @strawberry.field(
        description="The metrics, in the order they were defined.",
        graphql_type=list[Metric],
        metadata=answered_at_once(_metrics_at_once),
    )
    def metrics(self, info: Info[Context, None]) -> Any:
        found = self._metrics_at_once(info.context)
        return self._metrics(info) if found is None else found

    async def _metrics(self, info: Info[Context, None]) -> list[Metric]:
        return [Metric.of(view) for view in await info.context.loaders.metrics.load(self.id)]


@strawberry.type(description="An idea that reads like the given text, with how closely (0 to 1).")
class SimilarIdea:
    idea: Idea
    score: float

    @classmethod
    async def of(cls, info: Info[Context, None], hints: list[Similar]) -> list[SimilarIdea]:
        """The hinted ideas, in the hints' order (one that vanished meanwhile is left out)."""
        found = await info.context.loaders.idea.load_many([hint.idea_id for hint in hints])
        return [
            cls(idea=Idea.of(view), score=hint.score)
            for hint, view in zip(hints, found, strict=True)
            if view is not None
        ]


@strawberry.type
class IdeaConnection(relay.Connection[Idea]):
    count_filter: strawberry.Private[Any] = None

    @strawberry.field(
        description="Ideas matching the filter, in all pages (one more query); merged "
        "duplicates count unless the filter has includeMerged: false, so with no filter it is "
        "the sum of pipeline.byStage."
    )
    async def total_count(self, info: Info[Context, None]) -> int:
        where = self.count_filter or queue_views.IdeaFilter()
        return await info.context.services.database.read(
            lambda connection: queue_views.count_ideas(connection, where)
        )


@strawberry.type
class ExperimentConnection(relay.Connection[Experiment]):
    count_filter: strawberry.Private[Any] = None

    @strawberry.field(description="Experiments matching the filter, in all pages (one more query).")
    async def total_count(self, info: Info[Context, None]) -> int:
        where = self.count_filter or queue_views.ExperimentFilter()
        return await info.context.services.database.read(
            lambda connection: queue_views.count_experiments(connection, where)
        )
