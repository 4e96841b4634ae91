"""The Idea aggregate, one stream per idea: from scouting through screening and experiments to a
release, or out of the pipeline as rejected or merged into another idea.

Stages move only along the pipeline's paths; VALIDATED is reached through a concluded experiment
or a lead's written override, RELEASED through a release. An idea that uses AI or personal data
needs an ethics approval recorded after its last material revision before it can ship.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TypeAlias, TypeVar, assert_never

import msgspec
from msgspec.structs import replace

from innovation.domain.decider import Decider
from innovation.domain.decider import fold as fold_events
from innovation.domain.errors import (
    CannotMergeIntoItselfError,
    EthicsApprovalRequiredError,
    EthicsReviewNotNeededError,
    ExperimentAlreadyRunningError,
    ExperimentNotRunningError,
    ExperimentStillRunningError,
    IdeaAlreadyExistsError,
    IdeaAlreadyReleasedError,
    IdeaClosedError,
    IdeaNotFoundError,
    InvalidInputError,
    InvalidTransitionError,
    NoEthicsReviewRequestedError,
    ScaleRequiresValidationError,
    TargetsNotMetError,
    checked,
)
from innovation.domain.messages import Command, Event
from innovation.domain.values import (
    TERMINAL_STAGES,
    Decision,
    EthicsStatus,
    Outcome,
    Provenance,
    Score,
    Stage,
    ValidationRoute,
    Verdict,
    validate_choice,
    validate_optional_text,
    validate_provenance,
    validate_score,
    validate_summary,
    validate_text,
    validate_themes,
    validate_title,
)

T = TypeVar("T")

REASON_LENGTH = (3, 2_000)
OVERRIDE_REASON_LENGTH = (20, 2_000)
NOTE_MAX_LENGTH = 5_000
SCOUT_LENGTH = (1, 200)
REVIEWERS_COUNT = (1, 20)
REVIEWER_LENGTH = (1, 200)
STOPPED_AFTER_EXPERIMENT = "stopped after experiment"

MANUAL_MOVES: frozenset[tuple[Stage, Stage]] = frozenset(
    {(Stage.SCOUTED, Stage.SCREENING), (Stage.SCREENING, Stage.EXPERIMENTING)}
)
"""The moves a lead makes by hand; every other stage change follows from another event."""


# Commands


class SubmitIdea(Command, frozen=True, kw_only=True):
    """A scout brings in an idea; when it happened is the command's time, given by the caller."""

    idea_id: str
    title: str
    summary: str
    provenance: Provenance
    themes: tuple[str, ...]
    uses_ai: bool
    uses_personal_data: bool
    scout: str


class ReviseIdea(Command, frozen=True, kw_only=True):
    """Change what the idea says; a field left as None stays as it is."""

    idea_id: str
    title: str | None = None
    summary: str | None = None
    provenance: Provenance | None = None
    themes: tuple[str, ...] | None = None
    uses_ai: bool | None = None
    uses_personal_data: bool | None = None


class ScoreIdea(Command, frozen=True, kw_only=True):
    idea_id: str
    score: Score


class AdvanceIdea(Command, frozen=True, kw_only=True):
    """A lead moves an idea one step by hand: into screening, or into experimenting."""

    idea_id: str
    to_stage: Stage
    reason: str | None = None


class RejectIdea(Command, frozen=True, kw_only=True):
    idea_id: str
    reason: str


class MergeIdea(Command, frozen=True, kw_only=True):
    """Close a duplicate into the idea that survives it."""

    idea_id: str
    into_idea_id: str


class AbsorbDuplicate(Command, frozen=True, kw_only=True):
    """Record on the survivor that a duplicate was merged into it."""

    idea_id: str
    duplicate_id: str


class BeginExperiment(Command, frozen=True, kw_only=True):
    """Attach a newly started experiment to the idea, which then experiments."""

    idea_id: str
    experiment_id: str


class ApplyConclusion(Command, frozen=True, kw_only=True):
    """Carry a concluded experiment's outcome and decision over to its idea."""

    idea_id: str
    experiment_id: str
    outcome: Outcome
    decision: Decision
    targets_met: bool
    note: str | None = None


class OverrideValidation(Command, frozen=True, kw_only=True):
    """A lead validates an idea without an experiment, and writes down why."""

    idea_id: str
    reason: str


class MarkReleased(Command, frozen=True, kw_only=True):
    idea_id: str
    release_id: str


class RequestEthicsReview(Command, frozen=True, kw_only=True):
    idea_id: str


class RecordEthicsReview(Command, frozen=True, kw_only=True):
    """The ethics council's verdict, with the names of those who reviewed."""

    idea_id: str
    verdict: Verdict
    reviewers: tuple[str, ...]
    note: str | None = None


IdeaCommand: TypeAlias = (
    SubmitIdea
    | ReviseIdea
    | ScoreIdea
    | AdvanceIdea
    | RejectIdea
    | MergeIdea
    | AbsorbDuplicate
    | BeginExperiment
    | ApplyConclusion
    | OverrideValidation
    | MarkReleased
    | RequestEthicsReview
    | RecordEthicsReview
)


# Events


class IdeaSubmitted(Event, frozen=True, kw_only=True, tag="idea.submitted"):
    idea_id: str
    title: str
    summary: str
    provenance: Provenance
    themes: tuple[str, ...]
    uses_ai: bool
    uses_personal_data: bool
    scout: str


class IdeaRevised(Event, frozen=True, kw_only=True, tag="idea.revised"):
    """Only the changed fields are set; ``material`` changes call for a new ethics review."""

    idea_id: str
    title: str | None = None
    summary: str | None = None
    provenance: Provenance | None = None
    themes: tuple[str, ...] | None = None
    uses_ai: bool | None = None
    uses_personal_data: bool | None = None
    material: bool


class IdeaScored(Event, frozen=True, kw_only=True, tag="idea.scored"):
    """One entry of the score history; ``rice`` as computed when scored."""

    idea_id: str
    score: Score
    rice: float


class IdeaAdvanced(Event, frozen=True, kw_only=True, tag="idea.advanced"):
    idea_id: str
    from_stage: Stage
    to_stage: Stage
    reason: str | None = None


class IdeaRejected(Event, frozen=True, kw_only=True, tag="idea.rejected"):
    """Out of the pipeline, with the reason; ``experiment_id`` when an experiment stopped it."""

    idea_id: str
    reason: str
    experiment_id: str | None = None


class IdeaMerged(Event, frozen=True, kw_only=True, tag="idea.merged"):
    idea_id: str
    into_idea_id: str


class DuplicateAbsorbed(Event, frozen=True, kw_only=True, tag="idea.duplicate_absorbed"):
    idea_id: str
    duplicate_id: str


class ExperimentAttached(Event, frozen=True, kw_only=True, tag="idea.experiment_attached"):
    idea_id: str
    experiment_id: str


class IdeaValidated(Event, frozen=True, kw_only=True, tag="idea.validated"):
    """Proven by ``experiment_id`` (via EXPERIMENT), or by a lead's override with a reason."""

    idea_id: str
    experiment_id: str | None
    via: ValidationRoute
    reason: str | None = None


class IdeaReturnedToScreening(Event, frozen=True, kw_only=True, tag="idea.returned_to_screening"):
    """An experiment said "iterate": back to screening for another try."""

    idea_id: str
    experiment_id: str
    reason: str | None = None


class IdeaReleased(Event, frozen=True, kw_only=True, tag="idea.released"):
    idea_id: str
    release_id: str


class EthicsReviewRequested(Event, frozen=True, kw_only=True, tag="idea.ethics_review_requested"):
    idea_id: str


class EthicsReviewRecorded(Event, frozen=True, kw_only=True, tag="idea.ethics_review_recorded"):
    idea_id: str
    verdict: Verdict
    reviewers: tuple[str, ...]
    note: str | None = None


IdeaEvent: TypeAlias = (
    IdeaSubmitted
    | IdeaRevised
    | IdeaScored
    | IdeaAdvanced
    | IdeaRejected
    | IdeaMerged
    | DuplicateAbsorbed
    | ExperimentAttached
    | IdeaValidated
    | IdeaReturnedToScreening
    | IdeaReleased
    | EthicsReviewRequested
    | EthicsReviewRecorded
)


# State


class Idea(msgspec.Struct, frozen=True, kw_only=True):
    """An idea as its events left it; ``version`` counts them."""

    id: str = ""
    exists: bool = False
    stage: Stage = Stage.SCOUTED
    title: str = ""
    summary: str = ""
    provenance: Provenance | None = None
    themes: tuple[str, ...] = ()
    uses_ai: bool = False
    uses_personal_data: bool = False
    scout: str = ""
    score: Score | None = None
    running_experiment: str | None = None
    experiments: tuple[str, ...] = ()
    merged_into: str | None = None
    absorbed: tuple[str, ...] = ()
    rejection_reason: str | None = None
    validated_via: ValidationRoute | None = None
    release_id: str | None = None
    version: int = 0
    last_material_version: int = 0
    ethics_requested: bool = False
    ethics_verdict: Verdict | None = None
    ethics_verdict_version: int = 0


def initial_state() -> Idea:
    return Idea()


def is_closed(idea: Idea) -> bool:
    """Rejected and merged ideas have left the pipeline for good."""
    return idea.stage in TERMINAL_STAGES


def needs_ethics_review(idea: Idea) -> bool:
    return idea.uses_ai or idea.uses_personal_data


def _approval_is_current(idea: Idea) -> bool:
    return (
        idea.ethics_verdict == Verdict.APPROVED
        and idea.ethics_verdict_version > idea.last_material_version
    )


def ethics_status(idea: Idea) -> EthicsStatus:
    """A pending request shows first; an approval older than the last material change is STALE."""
    if not needs_ethics_review(idea):
        return EthicsStatus.NOT_REQUIRED
    if idea.ethics_requested:
        return EthicsStatus.REQUESTED
    if idea.ethics_verdict is None:
        return EthicsStatus.REQUIRED
    if idea.ethics_verdict == Verdict.APPROVED and not _approval_is_current(idea):
        return EthicsStatus.STALE
    return EthicsStatus(idea.ethics_verdict)


def passes_ethics_gate(idea: Idea) -> bool:
    """Whether the idea may enter a release as far as ethics goes."""
    return not needs_ethics_review(idea) or _approval_is_current(idea)


# Decisions


def decide(command: IdeaCommand, state: Idea) -> list[IdeaEvent]:
    """The events ``command`` produces on ``state``; [] when already satisfied."""
    if isinstance(command, SubmitIdea):
        return _submit(command, state)
    if not state.exists:
        raise IdeaNotFoundError(command.idea_id)
    match command:
        case ReviseIdea():
            return _revise(command, state)
        case ScoreIdea():
            return _score(command, state)
        case AdvanceIdea():
            return _advance(command, state)
        case RejectIdea():
            return _reject(command, state)
        case MergeIdea():
            return _merge(command, state)
        case AbsorbDuplicate():
            return _absorb(command, state)
        case BeginExperiment():
            return _begin_experiment(command, state)
        case ApplyConclusion():
            return _apply_conclusion(command, state)
        case OverrideValidation():
            return _override_validation(command, state)
        case MarkReleased():
            return _mark_released(command, state)
        case RequestEthicsReview():
            return _request_ethics_review(command, state)
        case RecordEthicsReview():
            return _record_ethics_review(command, state)
        case _:
            assert_never(command)


def _content(
    idea: Idea | IdeaSubmitted,
) -> tuple[str, str, Provenance | None, tuple[str, ...], bool, bool, str]:
    return (
        idea.title,
        idea.summary,
        idea.provenance,
        idea.themes,
        idea.uses_ai,
        idea.uses_personal_data,
        idea.scout,
    )


def _submit(command: SubmitIdea, state: Idea) -> list[IdeaEvent]:
    title, summary, provenance, themes, scout = checked(
        lambda: validate_title(command.title),
        lambda: validate_summary(command.summary),
        lambda: validate_provenance(command.provenance),
        lambda: validate_themes(command.themes),
        lambda: validate_text(command.scout, "scout", SCOUT_LENGTH),
    )
    submitted = IdeaSubmitted(
        idea_id=command.idea_id,
        title=title,
        summary=summary,
        provenance=provenance,
        themes=themes,
        uses_ai=command.uses_ai,
        uses_personal_data=command.uses_personal_data,
        scout=scout,
    )
    if state.exists:
        if _content(state) == _content(submitted):
            return []
        raise IdeaAlreadyExistsError(command.idea_id)
    return [submitted]


def _refuse_unless_open(state: Idea) -> None:
    """Closed ideas are over, and a released idea stays as it shipped."""
    if is_closed(state):
        raise IdeaClosedError(state.id, state.stage)
    if state.stage is Stage.RELEASED:
        raise IdeaAlreadyReleasedError(state.id, state.release_id)


def _refuse_if_closed(state: Idea) -> None:
    if is_closed(state):
        raise IdeaClosedError(state.id, state.stage)


def _changed(new: object, old: object) -> bool:
    return new is not None and new != old


def _revise(command: ReviseIdea, state: Idea) -> list[IdeaEvent]:
    title, summary, provenance, themes = checked(
        lambda: None if command.title is None else validate_title(command.title),
        lambda: None if command.summary is None else validate_summary(command.summary),
        lambda: None if command.provenance is None else validate_provenance(command.provenance),
        lambda: None if command.themes is None else validate_themes(command.themes),
    )
    _refuse_unless_open(state)
    changed_title = title if _changed(title, state.title) else None
    changed_summary = summary if _changed(summary, state.summary) else None
    uses_ai = command.uses_ai if _changed(command.uses_ai, state.uses_ai) else None
    uses_personal_data = (
        command.uses_personal_data
        if _changed(command.uses_personal_data, state.uses_personal_data)
        else None
    )
    material = (changed_title, changed_summary, uses_ai, uses_personal_data) != (None,) * 4
    changed_provenance = provenance if _changed(provenance, state.provenance) else None
    changed_themes = themes if _changed(themes, state.themes) else None
    if not material and changed_provenance is None and changed_themes is None:
        return []
    return [
        IdeaRevised(
            idea_id=state.id,
            title=changed_title,
            summary=changed_summary,
            provenance=changed_provenance,
            themes=changed_themes,
            uses_ai=uses_ai,
            uses_personal_data=uses_personal_data,
            material=material,
        )
    ]


def _score(command: ScoreIdea, state: Idea) -> list[IdeaEvent]:
    score = validate_score(command.score)
    _refuse_unless_open(state)
    if score == state.score:
        return []
    return [IdeaScored(idea_id=state.id, score=score, rice=score.rice)]


def _advance(command: AdvanceIdea, state: Idea) -> list[IdeaEvent]:
    reason = validate_optional_text(command.reason, "reason", REASON_LENGTH[1])
    to_stage = validate_choice(Stage, command.to_stage, "toStage")
    _refuse_if_closed(state)
    if state.stage is to_stage:
        return []
    if (state.stage, to_stage) not in MANUAL_MOVES:
        raise InvalidTransitionError(state.stage, to_stage)
    return [
        IdeaAdvanced(idea_id=state.id, from_stage=state.stage, to_stage=to_stage, reason=reason)
    ]


def _reject(command: RejectIdea, state: Idea) -> list[IdeaEvent]:
    reason = validate_text(command.reason, "reason", REASON_LENGTH)
    if state.stage is Stage.REJECTED:
        return []
    _refuse_if_closed(state)
    if state.stage is Stage.RELEASED:
        raise InvalidTransitionError(state.stage, Stage.REJECTED)
    if state.running_experiment is not None:
        raise ExperimentStillRunningError(state.id, state.running_experiment)
    return [IdeaRejected(idea_id=state.id, reason=reason)]


def _merge(command: MergeIdea, state: Idea) -> list[IdeaEvent]:
    if command.into_idea_id == state.id:
        raise CannotMergeIntoItselfError(state.id, "intoIdeaId")
    if state.stage is Stage.MERGED and state.merged_into == command.into_idea_id:
        return []
    _refuse_if_closed(state)
    if state.stage not in {Stage.SCOUTED, Stage.SCREENING}:
        raise InvalidTransitionError(state.stage, Stage.MERGED)
    return [IdeaMerged(idea_id=state.id, into_idea_id=command.into_idea_id)]


def _absorb(command: AbsorbDuplicate, state: Idea) -> list[IdeaEvent]:
    if command.duplicate_id == state.id:
        raise CannotMergeIntoItselfError(state.id, "intoIdeaId")
    if command.duplicate_id in state.absorbed:
        return []
    _refuse_if_closed(state)
    return [DuplicateAbsorbed(idea_id=state.id, duplicate_id=command.duplicate_id)]


def _begin_experiment(command: BeginExperiment, state: Idea) -> list[IdeaEvent]:
    if command.experiment_id in state.experiments:
        return []
    _refuse_if_closed(state)
    if state.running_experiment is not None:
        raise ExperimentAlreadyRunningError(state.id, state.running_experiment)
    if state.stage not in {Stage.SCREENING, Stage.EXPERIMENTING}:
        raise InvalidTransitionError(state.stage, Stage.EXPERIMENTING)
    attached = ExperimentAttached(idea_id=state.id, experiment_id=command.experiment_id)
    if state.stage is Stage.EXPERIMENTING:
        return [attached]
    advanced = IdeaAdvanced(
        idea_id=state.id, from_stage=Stage.SCREENING, to_stage=Stage.EXPERIMENTING
    )
    return [attached, advanced]


def _apply_conclusion(command: ApplyConclusion, state: Idea) -> list[IdeaEvent]:
    note = validate_optional_text(command.note, "note", NOTE_MAX_LENGTH)
    experiment_id = command.experiment_id
    if experiment_id in state.experiments and experiment_id != state.running_experiment:
        return []
    _refuse_if_closed(state)
    if experiment_id != state.running_experiment:
        raise ExperimentNotRunningError(state.id, experiment_id)
    outcome = validate_choice(Outcome, command.outcome, "outcome")
    match validate_choice(Decision, command.decision, "decision"):
        case Decision.SCALE:
            if outcome is not Outcome.VALIDATED:
                raise ScaleRequiresValidationError()
            if not command.targets_met:
                raise TargetsNotMetError()
            return [
                IdeaValidated(
                    idea_id=state.id,
                    experiment_id=experiment_id,
                    via=ValidationRoute.EXPERIMENT,
                    reason=note,
                )
            ]
        case Decision.ITERATE:
            return [
                IdeaReturnedToScreening(idea_id=state.id, experiment_id=experiment_id, reason=note)
            ]
        case Decision.STOP:
            return [
                IdeaRejected(
                    idea_id=state.id,
                    reason=note or STOPPED_AFTER_EXPERIMENT,
                    experiment_id=experiment_id,
                )
            ]


def _override_validation(command: OverrideValidation, state: Idea) -> list[IdeaEvent]:
    reason = validate_text(command.reason, "reason", OVERRIDE_REASON_LENGTH)
    if state.stage is Stage.VALIDATED:
        return []
    _refuse_if_closed(state)
    if state.running_experiment is not None:
        raise ExperimentStillRunningError(state.id, state.running_experiment)
    if state.stage not in {Stage.SCREENING, Stage.EXPERIMENTING}:
        raise InvalidTransitionError(state.stage, Stage.VALIDATED)
    return [
        IdeaValidated(
            idea_id=state.id, experiment_id=None, via=ValidationRoute.OVERRIDE, reason=reason
        )
    ]


def _mark_released(command: MarkReleased, state: Idea) -> list[IdeaEvent]:
    if state.stage is Stage.RELEASED:
        if state.release_id == command.release_id:
            return []
        raise IdeaAlreadyReleasedError(state.id, state.release_id)
    _refuse_if_closed(state)
    if state.stage is not Stage.VALIDATED:
        raise InvalidTransitionError(state.stage, Stage.RELEASED)
    if not passes_ethics_gate(state):
        raise EthicsApprovalRequiredError(state.id, ethics_status(state))
    return [IdeaReleased(idea_id=state.id, release_id=command.release_id)]


def _request_ethics_review(command: RequestEthicsReview, state: Idea) -> list[IdeaEvent]:
    if not needs_ethics_review(state):
        raise EthicsReviewNotNeededError(state.id)
    if state.ethics_requested:
        return []
    _refuse_if_closed(state)
    return [EthicsReviewRequested(idea_id=state.id)]


def _validate_reviewers(reviewers: Sequence[str], field: str = "reviewers") -> tuple[str, ...]:
    fewest, most = REVIEWERS_COUNT
    if not fewest <= len(reviewers) <= most:
        raise InvalidInputError(field, f"{field} must name {fewest} to {most} reviewers")
    names: list[str] = []
    for index, reviewer in enumerate(reviewers):
        where = f"{field}[{index}]"
        name = validate_text(reviewer, where, REVIEWER_LENGTH)
        if name in names:
            raise InvalidInputError(where, f"{where} repeats the reviewer {name!r}")
        names.append(name)
    return tuple(names)


def _record_ethics_review(command: RecordEthicsReview, state: Idea) -> list[IdeaEvent]:
    reviewers = _validate_reviewers(command.reviewers)
    note = validate_optional_text(command.note, "note", NOTE_MAX_LENGTH)
    verdict = validate_choice(Verdict, command.verdict, "verdict")
    _refuse_if_closed(state)
    if not needs_ethics_review(state):
        raise EthicsReviewNotNeededError(state.id)
    if not state.ethics_requested:
        raise NoEthicsReviewRequestedError(state.id)
    return [EthicsReviewRecorded(idea_id=state.id, verdict=verdict, reviewers=reviewers, note=note)]


# Evolution


def _next(state: Idea, **changes: object) -> Idea:
    """The state one event later."""
    return replace(state, version=state.version + 1, **changes)


def evolve(state: Idea, event: object) -> Idea:
    """Apply one event; events of other aggregates leave the idea as it is."""
    match event:
        case IdeaSubmitted():
            return _next(
                state,
                id=event.idea_id,
                exists=True,
                stage=Stage.SCOUTED,
                title=event.title,
                summary=event.summary,
                provenance=event.provenance,
                themes=event.themes,
                uses_ai=event.uses_ai,
                uses_personal_data=event.uses_personal_data,
                scout=event.scout,
                last_material_version=state.version + 1,
            )
        case IdeaRevised():
            return _next(
                state,
                title=_either(event.title, state.title),
                summary=_either(event.summary, state.summary),
                provenance=_either(event.provenance, state.provenance),
                themes=_either(event.themes, state.themes),
                uses_ai=_either(event.uses_ai, state.uses_ai),
                uses_personal_data=_either(event.uses_personal_data, state.uses_personal_data),
                last_material_version=(
                    state.version + 1 if event.material else state.last_material_version
                ),
            )
        case IdeaScored():
            return _next(state, score=event.score)
        case IdeaAdvanced():
            return _next(state, stage=event.to_stage)
        case IdeaRejected():
            return _next(
                state,
                stage=Stage.REJECTED,
                rejection_reason=event.reason,
                running_experiment=None,
            )
        case IdeaMerged():
            return _next(state, stage=Stage.MERGED, merged_into=event.into_idea_id)
        case DuplicateAbsorbed():
            return _next(state, absorbed=(*state.absorbed, event.duplicate_id))
        case ExperimentAttached():
            return _next(
                state,
                running_experiment=event.experiment_id,
                experiments=(*state.experiments, event.experiment_id),
            )
        case IdeaValidated():
            return _next(
                state, stage=Stage.VALIDATED, validated_via=event.via, running_experiment=None
            )
        case IdeaReturnedToScreening():
            return _next(state, stage=Stage.SCREENING, running_experiment=None)
        case IdeaReleased():
            return _next(state, stage=Stage.RELEASED, release_id=event.release_id)
        case EthicsReviewRequested():
            return _next(state, ethics_requested=True)
        case EthicsReviewRecorded():
            return _next(
                state,
                ethics_requested=False,
                ethics_verdict=event.verdict,
                ethics_verdict_version=state.version + 1,
            )
        case _:
            return state


def _either(new: T | None, old: T) -> T:
    return old if new is None else new


def fold(events: Iterable[object], state: Idea | None = None) -> Idea:
    """Replay an idea's events, from scratch or from a snapshot ``state``."""
    return fold_events(evolve, events, initial_state() if state is None else state)


decider: Decider[IdeaCommand, IdeaEvent, Idea] = Decider(initial_state, decide, evolve)
