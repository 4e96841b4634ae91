"""The GraphQL object types, read from the read models; nested fields go through DataLoaders."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from typing import Any

import strawberry
from strawberry import relay
from strawberry.scalars import JSON
from strawberry.types import Info

from innovation.domain import ideas as rules
from innovation.domain.values import (
    Decision,
    Direction,
    EthicsStatus,
    Outcome,
    SourceKind,
    Stage,
    ValidationRoute,
    Verdict,
)
from innovation.projections.timetravel import IdeaAsOf, PipelineSummary

StageType = strawberry.enum(Stage, description="Where an idea stands in the pipeline.")
SourceKindType = strawberry.enum(SourceKind, description="Where an idea was found.")
OutcomeType = strawberry.enum(Outcome, description="What an experiment showed.")
DecisionType = strawberry.enum(Decision, description="What was decided after an experiment.")
DirectionType = strawberry.enum(Direction, description="Which way a metric improves.")
VerdictType = strawberry.enum(Verdict, description="The ethics council's verdict.")
EthicsStatusType = strawberry.enum(
    EthicsStatus,
    description="NOT_REQUIRED without AI or personal data; STALE when approved before the "
    "last material revision.",
)
ValidationRouteType = strawberry.enum(ValidationRoute, description="How an idea was validated.")


@strawberry.enum(description="Why a mutation was refused.")
class ErrorCode(Enum):
    VALIDATION = "VALIDATION"
    NOT_FOUND = "NOT_FOUND"
    FORBIDDEN = "FORBIDDEN"
    INVALID_TRANSITION = "INVALID_TRANSITION"
    CONFLICT = "CONFLICT"


@strawberry.enum(description="Whether an experiment is still running.")
class ExperimentStatus(Enum):
    RUNNING = "RUNNING"
    CONCLUDED = "CONCLUDED"


@strawberry.enum(description="What a token allows.")
class Role(Enum):
    SCOUT = "scout"
    LEAD = "lead"
    ETHICS = "ethics"
    EXECUTIVE = "executive"
    ADMIN = "admin"


@strawberry.type(description="A refusal: the code, a sentence for people, the input field.")
class UserError:
    code: ErrorCode
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


@strawberry.type(description="A request for an ethics review, or a verdict on one.")
class EthicsReviewEntry:
    kind: str = strawberry.field(description="REQUESTED or RECORDED.")
    verdict: VerdictType | None  # type: ignore[valid-type]
    reviewers: list[str]
    note: str | None
    actor: str
    at: datetime


@strawberry.type(description="The ethics gate for ideas that use AI or personal data.")
class Ethics:
    status: EthicsStatusType  # type: ignore[valid-type]
    verdict: VerdictType | None  # type: ignore[valid-type]
    passes_gate: bool = strawberry.field(description="May enter a release as far as ethics goes.")
    idea_id: strawberry.Private[str]

    @strawberry.field(description="Every request and verdict, oldest first.")
    async def reviews(self, info: Info) -> list[EthicsReviewEntry]:
        rows = await info.context.loaders.ethics.load(self.idea_id)
        return [
            EthicsReviewEntry(
                kind=row["kind"],
                verdict=Verdict(row["verdict"]) if row["verdict"] else None,
                reviewers=list(row["reviewers"] or []),
                note=row["note"],
                actor=row["actor"],
                at=row["at"],
            )
            for row in rows
        ]


def _score(row: Any) -> Score | None:
    if row["reach"] is None:
        return None
    return Score(
        reach=row["reach"],
        impact=row["impact"],
        confidence=row["confidence"],
        effort=row["effort"],
        strategic_fit=row["strategic_fit"],
        rice=row["rice"],
    )


@strawberry.type(description="An idea in the pipeline.")
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
        description="The log position this view was replayed to, when asked for asOf."
    )
    merged_into_id: strawberry.Private[str | None]
    running_experiment_id: strawberry.Private[str | None]
    experiment_ids: strawberry.Private[tuple[str, ...] | None] = None

    @classmethod
    def from_row(cls, row: Any) -> Idea:
        return cls(
            id=row["idea_id"],
            title=row["title"],
            summary=row["summary"],
            stage=Stage(row["stage"]),
            provenance=Provenance(
                source_kind=SourceKind(row["source_kind"]),
                organisation=row["organisation"],
                country=row["country"],
                url=row["url"],
                external=bool(row["external"]),
            ),
            themes=list(row["themes"]),
            uses_ai=bool(row["uses_ai"]),
            uses_personal_data=bool(row["uses_personal_data"]),
            scout=row["scout"],
            submitted_by=row["submitted_by"],
            submitted_at=row["submitted_at"],
            updated_at=row["updated_at"],
            version=row["version"],
            score=_score(row),
            rejection_reason=row["rejection_reason"],
            validated_via=ValidationRoute(row["validated_via"]) if row["validated_via"] else None,
            validation_reason=row["validation_reason"],
            ethics=Ethics(
                status=EthicsStatus(row["ethics_status"]),
                verdict=Verdict(row["ethics_verdict"]) if row["ethics_verdict"] else None,
                passes_gate=_passes_gate(row),
                idea_id=row["idea_id"],
            ),
            as_of_position=None,
            merged_into_id=row["merged_into"],
            running_experiment_id=row["running_experiment_id"],
        )

    @classmethod
    def from_replay(cls, replay: IdeaAsOf) -> Idea:
        state = replay.state
        assert state.provenance is not None
        score = state.score
        return cls(
            id=state.id,
            title=state.title,
            summary=state.summary,
            stage=state.stage,
            provenance=Provenance(
                source_kind=state.provenance.source_kind,
                organisation=state.provenance.organisation,
                country=state.provenance.country,
                url=state.provenance.url,
                external=state.provenance.external,
            ),
            themes=list(state.themes),
            uses_ai=state.uses_ai,
            uses_personal_data=state.uses_personal_data,
            scout=state.scout,
            submitted_by=replay.submitted_by,
            submitted_at=replay.submitted_at,
            updated_at=replay.updated_at,
            version=state.version,
            score=None
            if score is None
            else Score(
                reach=score.reach,
                impact=score.impact,
                confidence=score.confidence,
                effort=score.effort,
                strategic_fit=score.strategic_fit,
                rice=score.rice,
            ),
            rejection_reason=state.rejection_reason,
            validated_via=state.validated_via,
            validation_reason=None,
            ethics=Ethics(
                status=rules.ethics_status(state),
                verdict=state.ethics_verdict,
                passes_gate=rules.passes_ethics_gate(state),
                idea_id=state.id,
            ),
            as_of_position=replay.position,
            merged_into_id=state.merged_into,
            running_experiment_id=state.running_experiment,
            experiment_ids=state.experiments,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: list[str], required: bool = False
    ) -> list[Idea | None]:
        rows = await info.context.loaders.idea.load_many(node_ids)
        return [None if row is None else cls.from_row(row) for row in rows]

    @strawberry.field(description="The idea this duplicate was merged into.")
    async def merged_into(self, info: Info) -> Idea | None:
        if self.merged_into_id is None:
            return None
        row = await info.context.loaders.idea.load(self.merged_into_id)
        return None if row is None else Idea.from_row(row)

    @strawberry.field(description="Experiments on this idea, oldest first.")
    async def experiments(self, info: Info) -> list[Experiment]:
        rows = await info.context.loaders.experiments.load(self.id)
        if self.experiment_ids is not None:  # as of a past position: those attached by then
            rows = [row for row in rows if row["experiment_id"] in self.experiment_ids]
        return [Experiment.from_row(row) for row in rows]

    @strawberry.field(description="The experiment running now, if any.")
    async def running_experiment(self, info: Info) -> Experiment | None:
        if self.running_experiment_id is None:
            return None
        rows = await info.context.loaders.experiments.load(self.id)
        found = [row for row in rows if row["experiment_id"] == self.running_experiment_id]
        return Experiment.from_row(found[0]) if found else None

    @strawberry.field(description="Every scoring, oldest first.")
    async def score_history(self, info: Info) -> list[ScoreEntry]:
        rows = await info.context.loaders.scores.load(self.id)
        return [
            ScoreEntry(score=_score(row), scored_by=row["scored_by"], scored_at=row["scored_at"])  # type: ignore[arg-type]
            for row in rows
        ]

    @strawberry.field(description="Every stage change, oldest first.")
    async def stage_history(self, info: Info) -> list[StageChange]:
        rows = await info.context.loaders.stages.load(self.id)
        return [
            StageChange(
                from_stage=Stage(row["from_stage"]) if row["from_stage"] else None,
                to_stage=Stage(row["to_stage"]),
                reason=row["reason"],
                experiment_id=row["experiment_id"],
                actor=row["actor"],
                at=row["at"],
            )
            for row in rows
        ]


def _passes_gate(row: Any) -> bool:
    return rules.passes_ethics_gate(
        rules.Idea(
            exists=True,
            uses_ai=bool(row["uses_ai"]),
            uses_personal_data=bool(row["uses_personal_data"]),
            ethics_verdict=Verdict(row["ethics_verdict"]) if row["ethics_verdict"] else None,
            ethics_verdict_version=row["ethics_verdict_version"],
            last_material_version=row["last_material_version"],
        )
    )


@strawberry.type(description="One measurement of a metric.")
class Measurement:
    value: float
    measured_at: datetime
    recorded_by: str


@strawberry.type(description="A metric of an experiment: baseline, target and where it stands.")
class Metric:
    name: str
    unit: str
    baseline: float
    target: float
    direction: DirectionType  # type: ignore[valid-type]
    latest_value: float | None
    latest_measured_at: datetime | None
    change_pct: float | None = strawberry.field(description="Latest value against baseline, in %.")
    target_met: bool
    measurement_count: int
    experiment_id: strawberry.Private[str]

    @strawberry.field(description="The latest measurements, newest first (at most 5).")
    async def latest_measurements(self, info: Info) -> list[Measurement]:
        rows = await info.context.loaders.measurements.load((self.experiment_id, self.name))
        return [
            Measurement(
                value=row["value"], measured_at=row["measured_at"], recorded_by=row["recorded_by"]
            )
            for row in rows
        ]


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

    @classmethod
    def from_row(cls, row: Any) -> Experiment:
        return cls(
            id=row["experiment_id"],
            hypothesis=row["hypothesis"],
            pilot_site=row["pilot_site"],
            starts_on=row["starts_on"],
            ends_on=row["ends_on"],
            status=ExperimentStatus(row["status"]),
            outcome=Outcome(row["outcome"]) if row["outcome"] else None,
            decision=Decision(row["decision"]) if row["decision"] else None,
            note=row["note"],
            started_by=row["started_by"],
            started_at=row["started_at"],
            concluded_at=row["concluded_at"],
            version=row["version"],
            idea_id=row["idea_id"],
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: list[str], required: bool = False
    ) -> list[Experiment | None]:
        rows = await info.context.loaders.experiment.load_many(node_ids)
        return [None if row is None else cls.from_row(row) for row in rows]

    @strawberry.field(description="The idea this experiment tries out.")
    async def idea(self, info: Info) -> Idea:
        return Idea.from_row(await info.context.loaders.idea.load(self.idea_id))

    @strawberry.field(description="The metrics, in the order they were defined.")
    async def metrics(self, info: Info) -> list[Metric]:
        rows = await info.context.loaders.metrics.load(self.id)
        return [metric_from_row(row) for row in rows]


def metric_from_row(row: Any) -> Metric:
    return Metric(
        name=row["name"],
        unit=row["unit"],
        baseline=row["baseline"],
        target=row["target"],
        direction=Direction(row["direction"]),
        latest_value=row["latest_value"],
        latest_measured_at=row["latest_measured_at"],
        change_pct=row["change_pct"],
        target_met=bool(row["target_met"]),
        measurement_count=row["measurement_count"],
        experiment_id=row["experiment_id"],
    )


@strawberry.type(description="A count of ideas under one key.")
class Count:
    key: str
    count: int


def _counts(values: dict[str, int]) -> list[Count]:
    return [Count(key=key, count=count) for key, count in values.items()]


@strawberry.type(description="The pipeline's figures; merged duplicates count only by stage.")
class Pipeline:
    as_of: datetime | None
    position: int = strawberry.field(description="The log position the figures stand at.")
    ideas: int
    external: int
    external_share: float = strawberry.field(description="External ideas / ideas, 0 to 1.")
    by_stage: list[Count]
    by_theme: list[Count]
    by_source_kind: list[Count]
    by_country: list[Count]

    @classmethod
    def of(cls, summary: PipelineSummary, as_of: datetime | None) -> Pipeline:
        return cls(
            as_of=as_of,
            position=summary.position,
            ideas=summary.ideas,
            external=summary.external,
            external_share=round(summary.external_share, 4),
            by_stage=_counts(summary.by_stage),
            by_theme=_counts(summary.by_theme),
            by_source_kind=_counts(summary.by_source_kind),
            by_country=_counts(summary.by_country),
        )


@strawberry.type(description="An idea that reads like the given text, with how closely (0 to 1).")
class SimilarIdea:
    idea: Idea
    score: float


@strawberry.type(description="One event of an idea's history (or of one of its experiments).")
class HistoryEntry:
    position: int
    stream_id: str
    version: int
    type: str = strawberry.field(description="The event's stable name, e.g. idea.advanced.")
    description: str = strawberry.field(description="The event in one plain sentence.")
    actor: str
    occurred_at: datetime
    correlation_id: str
    data: JSON = strawberry.field(description="The event's own fields.")


@strawberry.type(description="An event of the log, as subscribers receive it.")
class LogEvent:
    position: int
    stream_id: str
    version: int
    type: str
    actor: str
    occurred_at: datetime
    data: JSON


@strawberry.type
class IdeaConnection(relay.Connection[Idea]):
    count_filter: strawberry.Private[Any] = None

    @strawberry.field(description="Ideas matching the filter, in all pages (one more query).")
    async def total_count(self, info: Info) -> int:
        from innovation.projections import views

        where = self.count_filter or views.IdeaFilter()
        return await info.context.services.database.read(
            lambda connection: views.count_ideas(connection, where)
        )


@strawberry.type
class ExperimentConnection(relay.Connection[Experiment]):
    pass


@strawberry.type(description="An edge in the history (the cursor is the log position).")
class HistoryEdge:
    cursor: str
    node: HistoryEntry


@strawberry.type(description="A page of an idea's history, in the Relay connection shape.")
class HistoryConnection:
    page_info: relay.PageInfo
    edges: list[HistoryEdge]


def page_info(cursors: list[str], has_next: bool) -> relay.PageInfo:
    return relay.PageInfo(
        has_next_page=has_next,
        has_previous_page=False,
        start_cursor=cursors[0] if cursors else None,
        end_cursor=cursors[-1] if cursors else None,
    )
