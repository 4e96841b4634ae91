"""The Idea aggregate, one stream per idea: from scouting through screening and experiments to a
release, or out of the pipeline as rejected or merged into another idea.

Stages move only along the pipeline's paths; VALIDATED is reached through a concluded experiment
or a lead's written override, RELEASED through a release. An idea that uses AI or personal data
needs an ethics approval recorded after its last material revision before it can ship.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import assert_never

from innovation.domain.bounds import (
    ADVANCE_REASON_LENGTH,
    NOTE_LENGTH,
    OVERRIDE_REASON_LENGTH,
    REJECT_REASON_LENGTH,
    REOPEN_REASON_LENGTH,
    REVIEWER_LENGTH,
    REVIEWERS_COUNT,
    SCOUT_LENGTH,
)
from innovation.domain.decider import Decider
from innovation.domain.errors import (
    CannotMergeIntoItselfError,
    ClosedSurvivorError,
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
from innovation.domain.idea_messages import (
    AbsorbDuplicate,
    AdvanceIdea,
    ApplyConclusion,
    BeginExperiment,
    DuplicateAbsorbed,
    EthicsReviewRecorded,
    EthicsReviewRequested,
    ExperimentAttached,
    IdeaAdvanced,
    IdeaCommand,
    IdeaEvent,
    IdeaMerged,
    IdeaRejected,
    IdeaReleased,
    IdeaReopened,
    IdeaReturnedToScreening,
    IdeaRevised,
    IdeaScored,
    IdeaSubmitted,
    IdeaValidated,
    MarkReleased,
    MergeIdea,
    OverrideValidation,
    RecordEthicsReview,
    RejectIdea,
    ReopenIdea,
    RequestEthicsReview,
    ReviseIdea,
    ScoreIdea,
    SubmitIdea,
)
from innovation.domain.idea_state import (
    Idea,
    ethics_status,
    evolve,
    fold,
    initial_state,
    is_closed,
    needs_ethics_review,
    passes_ethics_gate,
)
from innovation.domain.values import (
    Decision,
    Outcome,
    Provenance,
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

STOPPED_AFTER_EXPERIMENT = "stopped after experiment"

MANUAL_MOVES: frozenset[tuple[Stage, Stage]] = frozenset(
    {(Stage.SCOUTED, Stage.SCREENING), (Stage.SCREENING, Stage.EXPERIMENTING)}
)
"""The moves a lead makes by hand; every other stage change follows from another event."""


# Decisions


def decide(command: IdeaCommand, state: Idea) -> list[IdeaEvent]:
    """The events ``command`` produces on ``state``; [] when already satisfied."""
    if isinstance(command, SubmitIdea):
        return _submit(command, state)
    if not state.exists:
        named_by = "intoIdeaId" if isinstance(command, AbsorbDuplicate) else "ideaId"
        raise IdeaNotFoundError(command.idea_id, named_by)
    match command:
        case ReviseIdea():
            return _revise(command, state)
        case ScoreIdea():
            return _score(command, state)
        case AdvanceIdea():
            return _advance(command, state)
        case RejectIdea():
            return _reject(command, state)
        case ReopenIdea():
            return _reopen(command, state)
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
        raise IdeaAlreadyExistsError(command.idea_id, state.scout)
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
    reason = validate_optional_text(command.reason, "reason", ADVANCE_REASON_LENGTH)
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
    reason = validate_text(command.reason, "reason", REJECT_REASON_LENGTH)
    if state.stage is Stage.REJECTED:
        return []
    _refuse_if_closed(state)
    if state.stage is Stage.RELEASED:
        raise InvalidTransitionError(state.stage, Stage.REJECTED)
    if state.running_experiment is not None:
        raise ExperimentStillRunningError(state.id, state.running_experiment)
    return [IdeaRejected(idea_id=state.id, reason=reason)]


def _reopen(command: ReopenIdea, state: Idea) -> list[IdeaEvent]:
    """Only a rejection is undone; a merged or released idea stays where it is."""
    reason = validate_text(command.reason, "reason", REOPEN_REASON_LENGTH)
    if state.stage is not Stage.REJECTED:
        raise InvalidTransitionError(state.stage, Stage.SCREENING)
    return [IdeaReopened(idea_id=state.id, reason=reason)]


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
    if is_closed(state):
        raise ClosedSurvivorError(state.id, state.stage, state.merged_into, "intoIdeaId")
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
    note = validate_optional_text(command.note, "note", NOTE_LENGTH)
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
    if not REVIEWERS_COUNT.admits(len(reviewers)):
        raise InvalidInputError(
            field,
            f"{field} must name {REVIEWERS_COUNT.least} to {REVIEWERS_COUNT.most} reviewers",
        )
    names: list[str] = []
    for index, reviewer in enumerate(reviewers):
        where = f"{field}[{index}]"
        name = validate_text(reviewer, where, REVIEWER_LENGTH)
        if name in names:
            raise InvalidInputError(where, f"{where} repeats the reviewer {name!r}")
        names.append(name)
    return tuple(names)


def _record_ethics_review(command: RecordEthicsReview, state: Idea) -> list[IdeaEvent]:
    reviewers, note, verdict = checked(
        lambda: _validate_reviewers(command.reviewers),
        lambda: validate_optional_text(command.note, "note", NOTE_LENGTH),
        lambda: validate_choice(Verdict, command.verdict, "verdict"),
    )
    _refuse_if_closed(state)
    if not needs_ethics_review(state):
        raise EthicsReviewNotNeededError(state.id)
    if not state.ethics_requested:
        raise NoEthicsReviewRequestedError(state.id)
    return [EthicsReviewRecorded(idea_id=state.id, verdict=verdict, reviewers=reviewers, note=note)]


decider: Decider[IdeaCommand, IdeaEvent, Idea] = Decider(initial_state, decide, evolve)

# fmt: off
__all__ = [
    "MANUAL_MOVES", "STOPPED_AFTER_EXPERIMENT", "AbsorbDuplicate", "AdvanceIdea",
    "ApplyConclusion", "BeginExperiment", "DuplicateAbsorbed", "EthicsReviewRecorded",
    "EthicsReviewRequested", "ExperimentAttached", "Idea", "IdeaAdvanced", "IdeaCommand",
    "IdeaEvent", "IdeaMerged", "IdeaRejected", "IdeaReleased", "IdeaReopened",
    "IdeaReturnedToScreening", "IdeaRevised", "IdeaScored", "IdeaSubmitted", "IdeaValidated",
    "MarkReleased", "MergeIdea", "OverrideValidation", "RecordEthicsReview", "RejectIdea",
    "ReopenIdea", "RequestEthicsReview", "ReviseIdea", "ScoreIdea", "SubmitIdea", "decide",
    "decider", "ethics_status", "evolve", "fold", "initial_state", "is_closed",
    "needs_ethics_review", "passes_ethics_gate",
]
# fmt: on
