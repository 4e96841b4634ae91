"""Refusals of the pipeline's rules: each names the broken rule and carries a code clients know."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from enum import StrEnum
from typing import Any, ClassVar


class ErrorCode(StrEnum):
    """Why a command was refused: the one vocabulary of the domain, the services and the API."""

    VALIDATION = "VALIDATION"
    NOT_FOUND = "NOT_FOUND"
    FORBIDDEN = "FORBIDDEN"
    INVALID_TRANSITION = "INVALID_TRANSITION"
    CONFLICT = "CONFLICT"


class DomainError(Exception):
    """A command the pipeline refuses; nothing is written when one is raised."""

    code: ClassVar[ErrorCode] = ErrorCode.INVALID_TRANSITION

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidInputError(DomainError):
    """A value of the command breaks a rule of its own; ``field`` is the API input's path."""

    code = ErrorCode.VALIDATION

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message, field)


class InvalidInputsError(DomainError):
    """Several values of one command break their rules: each is reported with its own path."""

    code = ErrorCode.VALIDATION

    def __init__(self, errors: Iterable[InvalidInputError]) -> None:
        self.errors = tuple(errors)
        super().__init__("; ".join(error.message for error in self.errors), self.errors[0].field)


def checked(*checks: Callable[[], Any]) -> list[Any]:
    """The result of every check, or a refusal naming every value that failed, not the first."""
    results: list[Any] = []
    failed: list[InvalidInputError] = []
    for check in checks:
        try:
            results.append(check())
        except InvalidInputsError as several:
            failed.extend(several.errors)
        except InvalidInputError as one:
            failed.append(one)
    if len(failed) == 1:
        raise failed[0]
    if failed:
        raise InvalidInputsError(failed)
    return results


class IdeaNotFoundError(DomainError):
    """The command names an idea that was never submitted."""

    code = ErrorCode.NOT_FOUND

    def __init__(self, idea_id: str, field: str) -> None:
        super().__init__(f"there is no idea {idea_id!r}", field)
        self.idea_id = idea_id


class ExperimentNotFoundError(DomainError):
    """The command names an experiment that was never started."""

    code = ErrorCode.NOT_FOUND

    def __init__(self, experiment_id: str) -> None:
        super().__init__(f"there is no experiment {experiment_id!r}", "experimentId")
        self.experiment_id = experiment_id


class IdeaAlreadyExistsError(DomainError):
    """An idea id is taken by a submission with different content."""

    code = ErrorCode.CONFLICT

    def __init__(self, idea_id: str, scout: str) -> None:
        super().__init__(f"idea {idea_id!r} already exists with different content")
        self.idea_id = idea_id
        self.scout = scout  # who submitted the idea that exists


class ExperimentAlreadyExistsError(DomainError):
    """An experiment id is taken by a start with different content."""

    code = ErrorCode.CONFLICT

    def __init__(self, experiment_id: str) -> None:
        super().__init__(f"experiment {experiment_id!r} already exists with different content")
        self.experiment_id = experiment_id


class InvalidTransitionError(DomainError):
    """The pipeline has no path from the idea's stage to the one asked for."""

    def __init__(self, from_stage: str, to_stage: str) -> None:
        message = f"an idea cannot move from {from_stage} to {to_stage}"
        how = _HOW_TO_REACH.get(str(to_stage))
        if how:
            message += f": {how}"
        super().__init__(message)
        self.from_stage = from_stage
        self.to_stage = to_stage


_HOW_TO_REACH = {
    "SCOUTED": "an idea is SCOUTED only when it is submitted",
    "SCREENING": "an idea goes to SCREENING from SCOUTED, back to it from EXPERIMENTING by an "
    "experiment concluded with ITERATE, and from REJECTED by reopenIdea",
    "EXPERIMENTING": "an idea goes to EXPERIMENTING from SCREENING, by startExperiment",
    "VALIDATED": "an idea is validated from SCREENING or EXPERIMENTING, by an experiment "
    "concluded VALIDATED or by overrideValidation",
    "RELEASED": "an idea is released by its period's release, once VALIDATED",
    "REJECTED": "rejectIdea rejects an idea that is not released",
    "MERGED": "mergeIdea merges an idea that is SCOUTED or SCREENING into another",
}
"""What a lead who asked for an impossible move should do instead, by the stage asked for."""


class IdeaClosedError(DomainError):
    """Rejected and merged ideas are terminal: nothing changes them any more."""

    def __init__(self, idea_id: str, stage: str) -> None:
        super().__init__(f"idea {idea_id!r} is {stage} and can no longer change")
        self.idea_id = idea_id
        self.stage = stage


class ClosedSurvivorError(DomainError):
    """A duplicate goes into an idea still in the pipeline, not into a rejected or merged one."""

    def __init__(self, idea_id: str, stage: str, merged_into: str | None, field: str) -> None:
        if merged_into is not None:
            advice = f"it was merged into idea {merged_into!r}; merge into that one instead"
        else:
            advice = f"it is {stage}"
        super().__init__(f"idea {idea_id!r} cannot take in a duplicate: {advice}", field)
        self.idea_id = idea_id
        self.stage = stage
        self.merged_into = merged_into


class IdeaAlreadyReleasedError(DomainError):
    """A released idea is part of a frozen bundle; what shipped stays as it shipped."""

    def __init__(self, idea_id: str, release_id: str | None) -> None:
        super().__init__(
            f"idea {idea_id!r} was released in {release_id!r} and can no longer change"
        )
        self.idea_id = idea_id
        self.release_id = release_id


class ExperimentAlreadyRunningError(DomainError):
    """An idea runs one experiment at a time."""

    def __init__(self, idea_id: str, running: str) -> None:
        super().__init__(f"idea {idea_id!r} already runs experiment {running!r}; conclude it first")
        self.idea_id = idea_id
        self.running = running


class ExperimentStillRunningError(DomainError):
    """A running experiment ends by its conclusion, not by rejecting or overriding the idea."""

    def __init__(self, idea_id: str, running: str) -> None:
        super().__init__(
            f"idea {idea_id!r} runs experiment {running!r}: conclude it (STOP to reject) first"
        )
        self.idea_id = idea_id
        self.running = running


class ExperimentNotRunningError(DomainError):
    """Only the idea's running experiment can decide where the idea goes next."""

    def __init__(self, idea_id: str, experiment_id: str) -> None:
        super().__init__(f"experiment {experiment_id!r} is not running for idea {idea_id!r}")
        self.idea_id = idea_id
        self.experiment_id = experiment_id


class ExperimentAlreadyConcludedError(DomainError):
    """A concluded experiment is closed: no more measurements, no second conclusion."""

    def __init__(self, experiment_id: str) -> None:
        super().__init__(f"experiment {experiment_id!r} is already concluded")
        self.experiment_id = experiment_id


class ExperimentAlreadyMeasuredError(DomainError):
    """A metric is added only before the first measurement, so every metric is measured alike."""

    def __init__(self, experiment_id: str) -> None:
        super().__init__(
            f"experiment {experiment_id!r} has measurements: metrics are added before the first"
        )
        self.experiment_id = experiment_id


class UnknownMetricError(DomainError):
    """Measurements are only taken for the metrics the experiment defined."""

    code = ErrorCode.VALIDATION

    def __init__(self, metric: str, known: Iterable[str]) -> None:
        listed = ", ".join(known)
        super().__init__(f"the experiment has no metric {metric!r} (it has: {listed})", "metric")
        self.metric = metric


class TargetsNotMetError(DomainError):
    """Validation needs every metric measured and on target; ``metrics`` names those that missed."""

    def __init__(self, metrics: Iterable[str] = ()) -> None:
        self.metrics = tuple(metrics)
        if self.metrics:
            message = "these metrics missed their targets: " + ", ".join(self.metrics)
        else:
            message = "the experiment's metrics did not meet their targets"
        super().__init__(message)


class ScaleRequiresValidationError(DomainError):
    """Only a validated experiment whose targets were met may be scaled."""

    code = ErrorCode.VALIDATION

    def __init__(self) -> None:
        super().__init__("SCALE needs the outcome VALIDATED with every target met", "decision")


class EthicsReviewNotNeededError(DomainError):
    """The ethics council reviews ideas that use AI or personal data, and only those."""

    def __init__(self, idea_id: str) -> None:
        super().__init__(f"idea {idea_id!r} uses neither AI nor personal data: no review needed")
        self.idea_id = idea_id


class NoEthicsReviewRequestedError(DomainError):
    """A verdict answers a pending request."""

    def __init__(self, idea_id: str) -> None:
        super().__init__(f"no ethics review of idea {idea_id!r} is pending")
        self.idea_id = idea_id


class EthicsApprovalRequiredError(DomainError):
    """An idea using AI or personal data ships only with a current approval."""

    def __init__(self, idea_id: str, status: str) -> None:
        super().__init__(
            f"idea {idea_id!r} needs an ethics approval after its last material revision "
            f"(ethics status: {status})"
        )
        self.idea_id = idea_id
        self.status = status


class CannotMergeIntoItselfError(DomainError):
    """A duplicate and its survivor are two different ideas."""

    code = ErrorCode.VALIDATION

    def __init__(self, idea_id: str, field: str) -> None:
        super().__init__(f"idea {idea_id!r} cannot be merged into itself", field)
        self.idea_id = idea_id
