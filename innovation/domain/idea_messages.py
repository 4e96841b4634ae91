"""What the Idea aggregate is asked (commands) and what it records (events)."""

from __future__ import annotations

from typing import TypeAlias

from innovation.domain.messages import Command, Event
from innovation.domain.values import (
    Decision,
    Outcome,
    Provenance,
    Score,
    Stage,
    ValidationRoute,
    Verdict,
)

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


class ReopenIdea(Command, frozen=True, kw_only=True):
    """A lead takes a rejected idea back into screening, saying why."""

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
    | ReopenIdea
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


class IdeaReopened(Event, frozen=True, kw_only=True, tag="idea.reopened"):
    """A rejected idea is back in SCREENING, with the reason; the rejection stays in the log."""

    idea_id: str
    reason: str


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
    | IdeaReopened
    | IdeaMerged
    | DuplicateAbsorbed
    | ExperimentAttached
    | IdeaValidated
    | IdeaReturnedToScreening
    | IdeaReleased
    | EthicsReviewRequested
    | EthicsReviewRecorded
)
