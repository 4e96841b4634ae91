"""The pipeline's rules as pure functions: commands in, events out, state folded from events.

Nothing here reads a clock, a database or the settings; times and ids come in on the commands.
"""

from dataclasses import dataclass
from typing import Any, Generic, TypeVar, get_args

from innovation.domain import deliveries, experiments, ideas, releases
from innovation.domain.decider import Decider
from innovation.domain.errors import (
    CannotMergeIntoItselfError,
    ClosedSurvivorError,
    DomainError,
    ErrorCode,
    EthicsApprovalRequiredError,
    EthicsReviewNotNeededError,
    ExperimentAlreadyConcludedError,
    ExperimentAlreadyExistsError,
    ExperimentAlreadyMeasuredError,
    ExperimentAlreadyRunningError,
    ExperimentNotFoundError,
    ExperimentNotRunningError,
    ExperimentStillRunningError,
    IdeaAlreadyExistsError,
    IdeaAlreadyReleasedError,
    IdeaClosedError,
    IdeaNotFoundError,
    InvalidInputError,
    InvalidInputsError,
    InvalidTransitionError,
    NoEthicsReviewRequestedError,
    ScaleRequiresValidationError,
    TargetsNotMetError,
    UnknownMetricError,
)
from innovation.domain.experiments import (
    AddMetric,
    AmendExperiment,
    ConcludeExperiment,
    CorrectMeasurement,
    Experiment,
    ExperimentAmended,
    ExperimentCommand,
    ExperimentConcluded,
    ExperimentEvent,
    ExperimentStarted,
    MeasurementCorrected,
    MeasurementRecorded,
    MetricAdded,
    Reading,
    RecordMeasurement,
    StartExperiment,
)
from innovation.domain.ideas import (
    AbsorbDuplicate,
    AdvanceIdea,
    ApplyConclusion,
    BeginExperiment,
    DuplicateAbsorbed,
    EthicsReviewRecorded,
    EthicsReviewRequested,
    ExperimentAttached,
    Idea,
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
    ethics_status,
    needs_ethics_review,
    passes_ethics_gate,
)
from innovation.domain.messages import Command, Event
from innovation.domain.metrics import MetricResult, change_pct, metric_result, target_met
from innovation.domain.values import (
    Decision,
    Direction,
    EthicsStatus,
    MetricDefinition,
    Outcome,
    Provenance,
    Score,
    SourceKind,
    Stage,
    ValidationRoute,
    Verdict,
)

S = TypeVar("S")


@dataclass(frozen=True)
class Aggregate(Generic[S]):
    """One aggregate as the rest of the service knows it, declared once.

    The store keys its streams by ``stream_prefix``, the mapper registers ``events``, snapshots
    are named ``name`` and ignored when ``state_version`` changes; the layers above find their
    handlers, projections and mutations by the aggregate's own module in each layer.
    """

    name: str
    stream_prefix: str
    decider: Decider[Any, Any, S]
    state: type[S]
    event_union: Any
    """The module's union of event types (``IdeaEvent``): the one list of what it writes."""
    state_version: int = 1

    @property
    def events(self) -> tuple[type[Event], ...]:
        return get_args(self.event_union) or (self.event_union,)

    def stream_id(self, entity_id: str) -> str:
        return f"{self.stream_prefix}{entity_id}"

    def entity_id(self, stream_id: str) -> str | None:
        """The id within this aggregate's streams, or None for another aggregate's stream."""
        if not stream_id.startswith(self.stream_prefix):
            return None
        return stream_id[len(self.stream_prefix) :]


IDEA = Aggregate("idea", "idea-", ideas.decider, Idea, ideas.IdeaEvent)
EXPERIMENT = Aggregate(
    "experiment", "experiment-", experiments.decider, Experiment, experiments.ExperimentEvent
)

RELEASE = Aggregate(
    "release", releases.STREAM_PREFIX, releases.decider, releases.Release, releases.ReleaseEvent
)
DELIVERY = Aggregate(
    "delivery",
    deliveries.STREAM_PREFIX,
    deliveries.decider,
    deliveries.Delivery,
    deliveries.DeliveryEvent,
)

AGGREGATES: tuple[Aggregate[Any], ...] = (IDEA, EXPERIMENT, RELEASE, DELIVERY)
"""Every aggregate of the domain; a new one (the release) is added here and nowhere else here."""

EVENT_TYPES: tuple[type[Event], ...] = tuple(
    event for aggregate in AGGREGATES for event in aggregate.events
)
"""Every event the domain writes, for the store's mapper to register."""

__all__ = [
    "AGGREGATES",
    "DELIVERY",
    "EVENT_TYPES",
    "EXPERIMENT",
    "IDEA",
    "RELEASE",
    "AbsorbDuplicate",
    "AddMetric",
    "AdvanceIdea",
    "Aggregate",
    "AmendExperiment",
    "ApplyConclusion",
    "BeginExperiment",
    "CannotMergeIntoItselfError",
    "ClosedSurvivorError",
    "Command",
    "ConcludeExperiment",
    "CorrectMeasurement",
    "Decider",
    "Decision",
    "Direction",
    "DomainError",
    "DuplicateAbsorbed",
    "ErrorCode",
    "EthicsApprovalRequiredError",
    "EthicsReviewNotNeededError",
    "EthicsReviewRecorded",
    "EthicsReviewRequested",
    "EthicsStatus",
    "Event",
    "Experiment",
    "ExperimentAlreadyConcludedError",
    "ExperimentAlreadyExistsError",
    "ExperimentAlreadyMeasuredError",
    "ExperimentAlreadyRunningError",
    "ExperimentAmended",
    "ExperimentAttached",
    "ExperimentCommand",
    "ExperimentConcluded",
    "ExperimentEvent",
    "ExperimentNotFoundError",
    "ExperimentNotRunningError",
    "ExperimentStarted",
    "ExperimentStillRunningError",
    "Idea",
    "IdeaAdvanced",
    "IdeaAlreadyExistsError",
    "IdeaAlreadyReleasedError",
    "IdeaClosedError",
    "IdeaCommand",
    "IdeaEvent",
    "IdeaMerged",
    "IdeaNotFoundError",
    "IdeaRejected",
    "IdeaReleased",
    "IdeaReopened",
    "IdeaReturnedToScreening",
    "IdeaRevised",
    "IdeaScored",
    "IdeaSubmitted",
    "IdeaValidated",
    "InvalidInputError",
    "InvalidInputsError",
    "InvalidTransitionError",
    "MarkReleased",
    "MeasurementCorrected",
    "MeasurementRecorded",
    "MergeIdea",
    "MetricAdded",
    "MetricDefinition",
    "MetricResult",
    "NoEthicsReviewRequestedError",
    "Outcome",
    "OverrideValidation",
    "Provenance",
    "Reading",
    "RecordEthicsReview",
    "RecordMeasurement",
    "RejectIdea",
    "ReopenIdea",
    "RequestEthicsReview",
    "ReviseIdea",
    "ScaleRequiresValidationError",
    "Score",
    "ScoreIdea",
    "SourceKind",
    "Stage",
    "StartExperiment",
    "SubmitIdea",
    "TargetsNotMetError",
    "UnknownMetricError",
    "ValidationRoute",
    "Verdict",
    "change_pct",
    "ethics_status",
    "experiments",
    "ideas",
    "metric_result",
    "needs_ethics_review",
    "passes_ethics_gate",
    "target_met",
]
