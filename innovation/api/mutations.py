"""Mutations: one ``input`` each, a payload back with the object or ``errors``; nothing half done.

Each mutation checks the caller's role, turns its input into a domain command, and hands it
to the pipeline. Refusals (bad input, a forbidden move, a stale ``expectedVersion``) come
back as ``errors { code message field }``, and nothing is written. A ``clientMutationId``
makes a mutation safe to retry: the same id from the same token is answered once, not
applied twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime
from functools import partial
from typing import Any

import strawberry
from strawberry.types import Info

from innovation.api.ids import raw_id
from innovation.api.permissions import PERMISSIONS, allowed
from innovation.api.types import (
    DecisionType,
    DirectionType,
    ErrorCode,
    Experiment,
    Idea,
    Metric,
    OutcomeType,
    SimilarIdea,
    SourceKindType,
    StageType,
    UserError,
    VerdictType,
)
from innovation.domain import experiments as exp
from innovation.domain import ideas as idea
from innovation.domain.errors import DomainError
from innovation.domain.values import MetricDefinition, Provenance, Score
from innovation.projections import views
from innovation.projections.search import similar_to_idea
from innovation.services import Actor, Outcome, ServiceError

CLIENT_IDS = uuid.UUID("6f1c3c4e-55a4-4c1e-9c0b-2b8a8f6d5e10")
SIMILAR_ON_SUBMIT = 5
"""How many possible duplicates a scout is shown after submitting."""


# -- inputs --------------------------------------------------------------------------------


@strawberry.input(description="Where an idea comes from.")
class ProvenanceInput:
    source_kind: SourceKindType  # type: ignore[valid-type]
    organisation: str
    country: str = strawberry.field(description="ISO 3166-1 alpha-2, e.g. FR, LU, SN.")
    external: bool = True
    url: str | None = None

    def to_domain(self) -> Provenance:
        return Provenance(
            source_kind=self.source_kind,
            organisation=self.organisation,
            country=self.country,
            external=self.external,
            url=self.url,
        )


@strawberry.input
class SubmitIdeaInput:
    title: str
    summary: str
    provenance: ProvenanceInput
    themes: list[str]
    uses_ai: bool = False
    uses_personal_data: bool = False
    scout: str | None = strawberry.field(
        default=None,
        description="Leads may submit on a scout's behalf; scouts submit as themselves.",
    )
    client_mutation_id: str | None = None


@strawberry.input
class ReviseIdeaInput:
    idea_id: strawberry.ID
    expected_version: int | None = None
    title: str | None = None
    summary: str | None = None
    provenance: ProvenanceInput | None = None
    themes: list[str] | None = None
    uses_ai: bool | None = None
    uses_personal_data: bool | None = None
    client_mutation_id: str | None = None


@strawberry.input
class ScoreIdeaInput:
    idea_id: strawberry.ID
    reach: int = strawberry.field(description="People or customers touched per period.")
    impact: float = strawberry.field(description="0.25, 0.5, 1, 2 or 3.")
    confidence: float = strawberry.field(description="0 to 1.")
    effort: float = strawberry.field(description="Person-months, more than 0.")
    strategic_fit: int = strawberry.field(description="0 to 5.")
    expected_version: int | None = None
    client_mutation_id: str | None = None


@strawberry.input
class AdvanceIdeaInput:
    idea_id: strawberry.ID
    to_stage: StageType  # type: ignore[valid-type]
    reason: str | None = None
    expected_version: int | None = None
    client_mutation_id: str | None = None


@strawberry.input
class RejectIdeaInput:
    idea_id: strawberry.ID
    reason: str
    expected_version: int | None = None
    client_mutation_id: str | None = None


@strawberry.input
class MergeIdeaInput:
    idea_id: strawberry.ID = strawberry.field(description="The duplicate.")
    into_idea_id: strawberry.ID = strawberry.field(description="The idea that lives on.")
    expected_version: int | None = None
    client_mutation_id: str | None = None


@strawberry.input(description="A metric of an experiment, fixed when it starts.")
class MetricInput:
    name: str
    unit: str
    baseline: float
    target: float
    direction: DirectionType  # type: ignore[valid-type]


@strawberry.input
class StartExperimentInput:
    idea_id: strawberry.ID
    hypothesis: str
    pilot_site: str
    starts_on: date
    ends_on: date
    metrics: list[MetricInput]
    client_mutation_id: str | None = None


@strawberry.input
class RecordMeasurementInput:
    experiment_id: strawberry.ID
    metric: str
    value: float
    measured_at: datetime | None = strawberry.field(default=None, description="Default: now.")
    expected_version: int | None = None
    client_mutation_id: str | None = None


@strawberry.input
class ConcludeExperimentInput:
    experiment_id: strawberry.ID
    outcome: OutcomeType  # type: ignore[valid-type]
    decision: DecisionType  # type: ignore[valid-type]
    note: str | None = None
    expected_version: int | None = None
    client_mutation_id: str | None = None


@strawberry.input
class OverrideValidationInput:
    idea_id: strawberry.ID
    reason: str = strawberry.field(
        description="Why no experiment is needed (20 characters or more)."
    )
    expected_version: int | None = None
    client_mutation_id: str | None = None


@strawberry.input
class RequestEthicsReviewInput:
    idea_id: strawberry.ID
    expected_version: int | None = None
    client_mutation_id: str | None = None


@strawberry.input
class RecordEthicsReviewInput:
    idea_id: strawberry.ID
    verdict: VerdictType  # type: ignore[valid-type]
    reviewers: list[str]
    note: str | None = None
    expected_version: int | None = None
    client_mutation_id: str | None = None


# -- payloads ------------------------------------------------------------------------------


@strawberry.type
class SubmitIdeaPayload:
    idea: Idea | None
    similar_ideas: list[SimilarIdea] = strawberry.field(
        description="Up to five existing ideas that read alike: possible duplicates."
    )
    errors: list[UserError]
    client_mutation_id: str | None


@strawberry.type
class ReviseIdeaPayload:
    idea: Idea | None
    errors: list[UserError]
    client_mutation_id: str | None


@strawberry.type
class ScoreIdeaPayload:
    idea: Idea | None
    errors: list[UserError]
    client_mutation_id: str | None


@strawberry.type
class AdvanceIdeaPayload:
    idea: Idea | None
    errors: list[UserError]
    client_mutation_id: str | None


@strawberry.type
class RejectIdeaPayload:
    idea: Idea | None
    errors: list[UserError]
    client_mutation_id: str | None


@strawberry.type
class MergeIdeaPayload:
    idea: Idea | None = strawberry.field(description="The duplicate, now MERGED.")
    into: Idea | None = strawberry.field(description="The idea that lives on.")
    errors: list[UserError]
    client_mutation_id: str | None


@strawberry.type
class StartExperimentPayload:
    experiment: Experiment | None
    idea: Idea | None
    errors: list[UserError]
    client_mutation_id: str | None


@strawberry.type
class RecordMeasurementPayload:
    experiment: Experiment | None
    metric: Metric | None
    errors: list[UserError]
    client_mutation_id: str | None


@strawberry.type
class ConcludeExperimentPayload:
    experiment: Experiment | None
    idea: Idea | None
    errors: list[UserError]
    client_mutation_id: str | None


@strawberry.type
class OverrideValidationPayload:
    idea: Idea | None
    errors: list[UserError]
    client_mutation_id: str | None


@strawberry.type
class RequestEthicsReviewPayload:
    idea: Idea | None
    errors: list[UserError]
    client_mutation_id: str | None


@strawberry.type
class RecordEthicsReviewPayload:
    idea: Idea | None
    errors: list[UserError]
    client_mutation_id: str | None


# -- running a mutation --------------------------------------------------------------------


class Refused(Exception):
    def __init__(self, error: UserError) -> None:
        self.error = error


async def execute(
    info: Info,
    operation: str,
    build: Callable[[], Any],
    *,
    expected_version: int | None = None,
    client_mutation_id: str | None = None,
) -> Outcome:
    """Check the role, build the command, run it; a refusal raises ``Refused``."""
    principal = info.context.principal
    if not allowed(principal, operation):
        roles = ", ".join(sorted(PERMISSIONS[operation]))
        raise Refused(UserError(code=ErrorCode.FORBIDDEN, message=f"{operation} is for {roles}"))
    command_id = None
    if client_mutation_id:
        command_id = uuid.uuid5(CLIENT_IDS, f"{principal.token_id}/{client_mutation_id}")
    try:
        return await info.context.services.pipeline.execute(
            build(),
            Actor(principal.actor, principal.role),
            at=info.context.services.clock(),
            expected_version=expected_version,
            command_id=command_id,
        )
    except (DomainError, ServiceError) as refusal:
        raise Refused(
            UserError(
                code=ErrorCode(str(refusal.code)), message=refusal.message, field=refusal.field
            )
        ) from refusal


async def read_idea(info: Info, idea_id: str) -> Idea | None:
    return Idea.maybe(
        await info.context.services.database.read(partial(views.idea, idea_id=idea_id))
    )


async def read_experiment(info: Info, experiment_id: str) -> Experiment | None:
    row = await info.context.services.database.read(
        partial(views.experiment, experiment_id=experiment_id)
    )
    return Experiment.maybe(row)


def _idea_id(value: str, field: str = "ideaId") -> str:
    return raw_id(value, "Idea", field)


def _experiment_id(value: str) -> str:
    return raw_id(value, "Experiment", "experimentId")


def _not_blank(value: str | None) -> str | None:
    return value if value is None or value.strip() else None


def _new_id(info: Info, kind: str, client_mutation_id: str | None) -> str:
    """The id of what a mutation creates: the same again when the same request is resent.

    A resent command is recognised by its events' ids, which derive from the stream they go
    to; a fresh random id for the new idea or experiment would make the resend a new one.
    """
    if not client_mutation_id:
        return str(uuid.uuid4())
    principal = info.context.principal
    owner = principal.token_id if principal else ""
    return str(uuid.uuid5(CLIENT_IDS, f"{owner}/{kind}/{client_mutation_id}"))


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Scouts (and leads): a new idea, found anywhere.")
    async def submit_idea(self, info: Info, input: SubmitIdeaInput) -> SubmitIdeaPayload:
        new_id = _new_id(info, "idea", input.client_mutation_id)

        def build() -> idea.SubmitIdea:
            principal = info.context.principal
            scout = principal.actor
            if input.scout and principal.role != "scout":
                scout = input.scout.strip()
            return idea.SubmitIdea(
                idea_id=new_id,
                title=input.title,
                summary=input.summary,
                provenance=input.provenance.to_domain(),
                themes=tuple(input.themes),
                uses_ai=input.uses_ai,
                uses_personal_data=input.uses_personal_data,
                scout=scout,
            )

        try:
            await execute(info, "submitIdea", build, client_mutation_id=input.client_mutation_id)
        except Refused as refused:
            return SubmitIdeaPayload(
                idea=None,
                similar_ideas=[],
                errors=[refused.error],
                client_mutation_id=input.client_mutation_id,
            )
        similar = await info.context.services.database.read(
            partial(similar_to_idea, idea_id=new_id, limit=SIMILAR_ON_SUBMIT)
        )
        return SubmitIdeaPayload(
            idea=await read_idea(info, new_id),
            similar_ideas=await SimilarIdea.of(info, similar),
            errors=[],
            client_mutation_id=input.client_mutation_id,
        )

    @strawberry.mutation(description="Change an idea's text, provenance, themes or flags.")
    async def revise_idea(self, info: Info, input: ReviseIdeaInput) -> ReviseIdeaPayload:
        target = ""

        def build() -> idea.ReviseIdea:
            nonlocal target
            target = _idea_id(input.idea_id)
            return idea.ReviseIdea(
                idea_id=target,
                title=input.title,
                summary=input.summary,
                provenance=input.provenance.to_domain() if input.provenance else None,
                themes=tuple(input.themes) if input.themes is not None else None,
                uses_ai=input.uses_ai,
                uses_personal_data=input.uses_personal_data,
            )

        return await _idea_payload(
            info, ReviseIdeaPayload, "reviseIdea", build, input, lambda: target
        )

    @strawberry.mutation(description="Record a RICE score and strategic fit (the history is kept).")
    async def score_idea(self, info: Info, input: ScoreIdeaInput) -> ScoreIdeaPayload:
        def build() -> idea.ScoreIdea:
            return idea.ScoreIdea(
                idea_id=_idea_id(input.idea_id),
                score=Score(
                    reach=input.reach,
                    impact=input.impact,
                    confidence=input.confidence,
                    effort=input.effort,
                    strategic_fit=input.strategic_fit,
                ),
            )

        return await _idea_payload(info, ScoreIdeaPayload, "scoreIdea", build, input)

    @strawberry.mutation(description="Move an idea by hand: SCOUTED → SCREENING → EXPERIMENTING.")
    async def advance_idea(self, info: Info, input: AdvanceIdeaInput) -> AdvanceIdeaPayload:
        def build() -> idea.AdvanceIdea:
            return idea.AdvanceIdea(
                idea_id=_idea_id(input.idea_id),
                to_stage=input.to_stage,
                reason=_not_blank(input.reason),
            )

        return await _idea_payload(info, AdvanceIdeaPayload, "advanceIdea", build, input)

    @strawberry.mutation(description="Take an idea out of the pipeline, saying why.")
    async def reject_idea(self, info: Info, input: RejectIdeaInput) -> RejectIdeaPayload:
        def build() -> idea.RejectIdea:
            return idea.RejectIdea(idea_id=_idea_id(input.idea_id), reason=input.reason)

        return await _idea_payload(info, RejectIdeaPayload, "rejectIdea", build, input)

    @strawberry.mutation(description="Merge a duplicate into the idea that lives on.")
    async def merge_idea(self, info: Info, input: MergeIdeaInput) -> MergeIdeaPayload:
        ids: dict[str, str] = {}

        def build() -> idea.MergeIdea:
            ids["duplicate"] = _idea_id(input.idea_id)
            ids["into"] = _idea_id(input.into_idea_id, "intoIdeaId")
            return idea.MergeIdea(idea_id=ids["duplicate"], into_idea_id=ids["into"])

        try:
            await execute(
                info,
                "mergeIdea",
                build,
                expected_version=input.expected_version,
                client_mutation_id=input.client_mutation_id,
            )
        except Refused as refused:
            return MergeIdeaPayload(
                idea=None,
                into=None,
                errors=[refused.error],
                client_mutation_id=input.client_mutation_id,
            )
        return MergeIdeaPayload(
            idea=await read_idea(info, ids["duplicate"]),
            into=await read_idea(info, ids["into"]),
            errors=[],
            client_mutation_id=input.client_mutation_id,
        )

    @strawberry.mutation(description="Start a pilot on a screened idea, with its metrics.")
    async def start_experiment(
        self, info: Info, input: StartExperimentInput
    ) -> StartExperimentPayload:
        ids = {"experiment": _new_id(info, "experiment", input.client_mutation_id)}

        def build() -> exp.StartExperiment:
            ids["idea"] = _idea_id(input.idea_id)
            return exp.StartExperiment(
                experiment_id=ids["experiment"],
                idea_id=ids["idea"],
                hypothesis=input.hypothesis,
                pilot_site=input.pilot_site,
                starts_on=input.starts_on,
                ends_on=input.ends_on,
                metrics=tuple(
                    MetricDefinition(
                        name=metric.name,
                        unit=metric.unit,
                        baseline=metric.baseline,
                        target=metric.target,
                        direction=metric.direction,
                    )
                    for metric in input.metrics
                ),
            )

        try:
            await execute(
                info, "startExperiment", build, client_mutation_id=input.client_mutation_id
            )
        except Refused as refused:
            return StartExperimentPayload(
                experiment=None,
                idea=None,
                errors=[refused.error],
                client_mutation_id=input.client_mutation_id,
            )
        return StartExperimentPayload(
            experiment=await read_experiment(info, ids["experiment"]),
            idea=await read_idea(info, ids["idea"]),
            errors=[],
            client_mutation_id=input.client_mutation_id,
        )

    @strawberry.mutation(description="Record a measurement of one of an experiment's metrics.")
    async def record_measurement(
        self, info: Info, input: RecordMeasurementInput
    ) -> RecordMeasurementPayload:
        target = ""

        def build() -> exp.RecordMeasurement:
            nonlocal target
            target = _experiment_id(input.experiment_id)
            return exp.RecordMeasurement(
                experiment_id=target,
                metric=input.metric,
                value=input.value,
                measured_at=input.measured_at or info.context.services.clock(),
            )

        try:
            await execute(
                info,
                "recordMeasurement",
                build,
                expected_version=input.expected_version,
                client_mutation_id=input.client_mutation_id,
            )
        except Refused as refused:
            return RecordMeasurementPayload(
                experiment=None,
                metric=None,
                errors=[refused.error],
                client_mutation_id=input.client_mutation_id,
            )
        found = await info.context.services.database.read(
            partial(views.metric, experiment_id=target, name=input.metric)
        )
        metric = None if found is None else Metric.of(found)
        return RecordMeasurementPayload(
            experiment=await read_experiment(info, target),
            metric=metric,
            errors=[],
            client_mutation_id=input.client_mutation_id,
        )

    @strawberry.mutation(
        description="Conclude a pilot and decide: SCALE (validates the idea), ITERATE or STOP."
    )
    async def conclude_experiment(
        self, info: Info, input: ConcludeExperimentInput
    ) -> ConcludeExperimentPayload:
        target = ""

        def build() -> exp.ConcludeExperiment:
            nonlocal target
            target = _experiment_id(input.experiment_id)
            return exp.ConcludeExperiment(
                experiment_id=target,
                outcome=input.outcome,
                decision=input.decision,
                note=_not_blank(input.note),
            )

        try:
            await execute(
                info,
                "concludeExperiment",
                build,
                expected_version=input.expected_version,
                client_mutation_id=input.client_mutation_id,
            )
        except Refused as refused:
            return ConcludeExperimentPayload(
                experiment=None,
                idea=None,
                errors=[refused.error],
                client_mutation_id=input.client_mutation_id,
            )
        experiment = await read_experiment(info, target)
        return ConcludeExperimentPayload(
            experiment=experiment,
            idea=await read_idea(info, experiment.idea_id) if experiment else None,
            errors=[],
            client_mutation_id=input.client_mutation_id,
        )

    @strawberry.mutation(
        description="Validate an idea without an experiment, with a written reason."
    )
    async def override_validation(
        self, info: Info, input: OverrideValidationInput
    ) -> OverrideValidationPayload:
        def build() -> idea.OverrideValidation:
            return idea.OverrideValidation(idea_id=_idea_id(input.idea_id), reason=input.reason)

        return await _idea_payload(
            info, OverrideValidationPayload, "overrideValidation", build, input
        )

    @strawberry.mutation(
        description="Ask the ethics council to review an idea using AI or personal data."
    )
    async def request_ethics_review(
        self, info: Info, input: RequestEthicsReviewInput
    ) -> RequestEthicsReviewPayload:
        def build() -> idea.RequestEthicsReview:
            return idea.RequestEthicsReview(idea_id=_idea_id(input.idea_id))

        return await _idea_payload(
            info, RequestEthicsReviewPayload, "requestEthicsReview", build, input
        )

    @strawberry.mutation(description="The ethics council's verdict (non-discrimination, fairness).")
    async def record_ethics_review(
        self, info: Info, input: RecordEthicsReviewInput
    ) -> RecordEthicsReviewPayload:
        def build() -> idea.RecordEthicsReview:
            return idea.RecordEthicsReview(
                idea_id=_idea_id(input.idea_id),
                verdict=input.verdict,
                reviewers=tuple(input.reviewers),
                note=_not_blank(input.note),
            )

        return await _idea_payload(
            info, RecordEthicsReviewPayload, "recordEthicsReview", build, input
        )


async def _idea_payload(
    info: Info,
    payload: type,
    operation: str,
    build: Callable[[], Any],
    input: Any,
    idea_id: Callable[[], str] | None = None,
) -> Any:
    """The common shape of mutations on one idea: run, then read the idea back."""
    built: dict[str, Any] = {}

    def remember() -> Any:
        built["command"] = build()
        return built["command"]

    try:
        await execute(
            info,
            operation,
            remember,
            expected_version=input.expected_version,
            client_mutation_id=input.client_mutation_id,
        )
    except Refused as refused:
        return payload(
            idea=None, errors=[refused.error], client_mutation_id=input.client_mutation_id
        )
    target = idea_id() if idea_id else built["command"].idea_id
    return payload(
        idea=await read_idea(info, target), errors=[], client_mutation_id=input.client_mutation_id
    )
