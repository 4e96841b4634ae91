"""An idea as its events left it: the state, how each event changes it, and the ethics gate."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

import msgspec
from msgspec.structs import replace

from innovation.domain.decider import fold as fold_events
from innovation.domain.idea_messages import (
    DuplicateAbsorbed,
    EthicsReviewRecorded,
    EthicsReviewRequested,
    ExperimentAttached,
    IdeaAdvanced,
    IdeaMerged,
    IdeaRejected,
    IdeaReleased,
    IdeaReopened,
    IdeaReturnedToScreening,
    IdeaRevised,
    IdeaScored,
    IdeaSubmitted,
    IdeaValidated,
)
from innovation.domain.values import (
    TERMINAL_STAGES,
    EthicsStatus,
    Provenance,
    Score,
    Stage,
    ValidationRoute,
    Verdict,
)

T = TypeVar("T")


# State


class Idea(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """An idea as its events left it; ``version`` counts them.

    Out of the cyclic garbage collector (``gc=False``), as the events it folds are: a value
    built from values never refers back to itself, and a process keeping many (a preview of
    the next release keeps every idea's) would otherwise make each full collection walk them.
    The domain's other states and values are kept out likewise."""

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
        case IdeaReopened():
            return _next(state, stage=Stage.SCREENING, rejection_reason=None)
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
