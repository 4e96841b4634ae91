"""What the Experiment aggregate is asked (commands) and what it records (events)."""

from __future__ import annotations

from datetime import date, datetime
from typing import TypeAlias

from innovation.domain.messages import Command, Event
from innovation.domain.metrics import MetricResult
from innovation.domain.values import Decision, MetricDefinition, Outcome

# Commands


class StartExperiment(Command, frozen=True, kw_only=True):
    """A lead starts a pilot of an idea with a hypothesis, dates and the metrics that judge it."""

    experiment_id: str
    idea_id: str
    hypothesis: str
    pilot_site: str
    starts_on: date
    ends_on: date
    metrics: tuple[MetricDefinition, ...]


class RecordMeasurement(Command, frozen=True, kw_only=True):
    """A value of one metric taken at ``measured_at``; ``now`` is the caller's clock, the
    moment the command is decided, which a measurement may not be dated far after."""

    experiment_id: str
    metric: str
    value: float
    measured_at: datetime
    now: datetime


class CorrectMeasurement(Command, frozen=True, kw_only=True):
    """A lead replaces a wrong measurement (named by its number) with the right value and date;
    ``measured_at`` None keeps the original date."""

    experiment_id: str
    measurement: int
    value: float
    measured_at: datetime | None = None
    reason: str
    now: datetime


class AmendExperiment(Command, frozen=True, kw_only=True):
    """A lead changes a running pilot's hypothesis, site or dates; None keeps a value."""

    experiment_id: str
    hypothesis: str | None = None
    pilot_site: str | None = None
    starts_on: date | None = None
    ends_on: date | None = None
    reason: str


class AddMetric(Command, frozen=True, kw_only=True):
    """A lead adds a metric to a running pilot that has measured nothing yet."""

    experiment_id: str
    metric: MetricDefinition


class ConcludeExperiment(Command, frozen=True, kw_only=True):
    experiment_id: str
    outcome: Outcome
    decision: Decision
    note: str | None = None


ExperimentCommand: TypeAlias = (
    StartExperiment
    | RecordMeasurement
    | CorrectMeasurement
    | AmendExperiment
    | AddMetric
    | ConcludeExperiment
)


# Events


class ExperimentStarted(Event, frozen=True, kw_only=True, tag="experiment.started"):
    experiment_id: str
    idea_id: str
    hypothesis: str
    pilot_site: str
    starts_on: date
    ends_on: date
    metrics: tuple[MetricDefinition, ...]


class MeasurementRecorded(Event, frozen=True, kw_only=True, tag="experiment.measurement_recorded"):
    experiment_id: str
    metric: str
    value: float
    measured_at: datetime


class MeasurementCorrected(
    Event, frozen=True, kw_only=True, tag="experiment.measurement_corrected"
):
    """Measurement number ``measurement`` (the experiment's version that recorded it) now reads
    ``value`` at ``measured_at``; the recorded event stays in the log beside this one."""

    experiment_id: str
    measurement: int
    metric: str
    value: float
    measured_at: datetime
    reason: str


class ExperimentAmended(Event, frozen=True, kw_only=True, tag="experiment.amended"):
    """The pilot's hypothesis, site and dates from now on, and why they changed."""

    experiment_id: str
    hypothesis: str
    pilot_site: str
    starts_on: date
    ends_on: date
    reason: str


class MetricAdded(Event, frozen=True, kw_only=True, tag="experiment.metric_added"):
    experiment_id: str
    metric: MetricDefinition


class ExperimentConcluded(Event, frozen=True, kw_only=True, tag="experiment.concluded"):
    """The conclusion with each metric's result as it stood; ``idea_id`` says whose it was."""

    experiment_id: str
    idea_id: str
    outcome: Outcome
    decision: Decision
    note: str | None
    results: tuple[MetricResult, ...]


ExperimentEvent: TypeAlias = (
    ExperimentStarted
    | MeasurementRecorded
    | MeasurementCorrected
    | ExperimentAmended
    | MetricAdded
    | ExperimentConcluded
)
