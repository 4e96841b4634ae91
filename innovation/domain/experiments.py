"""The Experiment aggregate, one stream per experiment: a small pilot of one idea that measures
its metrics over time and ends in a conclusion (an outcome and a decision).

A conclusion that claims VALIDATED needs every metric measured and on target; only a validated
experiment may be scaled. Carrying the decision over to the idea is the idea's own command.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import date, datetime
from typing import TypeAlias, assert_never

import msgspec
from msgspec.structs import replace

from innovation.domain.bounds import HYPOTHESIS_LENGTH, NOTE_LENGTH, PILOT_SITE_LENGTH
from innovation.domain.decider import Decider
from innovation.domain.decider import fold as fold_events
from innovation.domain.errors import (
    ExperimentAlreadyConcludedError,
    ExperimentAlreadyExistsError,
    ExperimentNotFoundError,
    InvalidInputError,
    ScaleRequiresValidationError,
    TargetsNotMetError,
    UnknownMetricError,
    checked,
)
from innovation.domain.messages import Command, Event
from innovation.domain.metrics import MetricResult, metric_result
from innovation.domain.values import (
    Decision,
    MetricDefinition,
    Outcome,
    validate_choice,
    validate_metrics,
    validate_optional_text,
    validate_text,
)

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
    experiment_id: str
    metric: str
    value: float
    measured_at: datetime


class ConcludeExperiment(Command, frozen=True, kw_only=True):
    experiment_id: str
    outcome: Outcome
    decision: Decision
    note: str | None = None


ExperimentCommand: TypeAlias = StartExperiment | RecordMeasurement | ConcludeExperiment


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


class ExperimentConcluded(Event, frozen=True, kw_only=True, tag="experiment.concluded"):
    """The conclusion with each metric's result as it stood; ``idea_id`` says whose it was."""

    experiment_id: str
    idea_id: str
    outcome: Outcome
    decision: Decision
    note: str | None
    results: tuple[MetricResult, ...]


ExperimentEvent: TypeAlias = ExperimentStarted | MeasurementRecorded | ExperimentConcluded


# State


class MeasurementSummary(msgspec.Struct, frozen=True, kw_only=True):
    """What an experiment keeps of a metric's measurements: the latest, and how many there were."""

    metric: str
    value: float
    measured_at: datetime
    count: int


class Experiment(msgspec.Struct, frozen=True, kw_only=True):
    """An experiment as its events left it; ``version`` counts them."""

    id: str = ""
    exists: bool = False
    idea_id: str = ""
    hypothesis: str = ""
    pilot_site: str = ""
    starts_on: date | None = None
    ends_on: date | None = None
    metrics: tuple[MetricDefinition, ...] = ()
    measurements: tuple[MeasurementSummary, ...] = ()
    concluded: bool = False
    outcome: Outcome | None = None
    decision: Decision | None = None
    note: str | None = None
    version: int = 0


def initial_state() -> Experiment:
    return Experiment()


def latest_measurement(experiment: Experiment, metric: str) -> MeasurementSummary | None:
    return next((m for m in experiment.measurements if m.metric == metric), None)


def latest_value(experiment: Experiment, metric: str) -> float | None:
    latest = latest_measurement(experiment, metric)
    return None if latest is None else latest.value


def results(experiment: Experiment) -> tuple[MetricResult, ...]:
    """Each metric judged by its latest measurement, in the order the experiment defined them."""
    return tuple(
        metric_result(definition, latest_value(experiment, definition.name))
        for definition in experiment.metrics
    )


def missed_targets(experiment: Experiment) -> tuple[str, ...]:
    """Metrics without a measurement or whose latest one misses the target."""
    return tuple(result.name for result in results(experiment) if not result.met)


def targets_met(experiment: Experiment) -> bool:
    return bool(experiment.metrics) and not missed_targets(experiment)


# Decisions


def decide(command: ExperimentCommand, state: Experiment) -> list[ExperimentEvent]:
    """The events ``command`` produces on ``state``; [] when already satisfied."""
    if isinstance(command, StartExperiment):
        return _start(command, state)
    if not state.exists:
        raise ExperimentNotFoundError(command.experiment_id)
    match command:
        case RecordMeasurement():
            return _record_measurement(command, state)
        case ConcludeExperiment():
            return _conclude(command, state)
        case _:
            assert_never(command)


def _start(command: StartExperiment, state: Experiment) -> list[ExperimentEvent]:
    hypothesis, pilot_site, _, metrics = checked(
        lambda: validate_text(command.hypothesis, "hypothesis", HYPOTHESIS_LENGTH),
        lambda: validate_text(command.pilot_site, "pilotSite", PILOT_SITE_LENGTH),
        lambda: _validate_dates(command.starts_on, command.ends_on),
        lambda: validate_metrics(command.metrics),
    )
    started = ExperimentStarted(
        experiment_id=command.experiment_id,
        idea_id=command.idea_id,
        hypothesis=hypothesis,
        pilot_site=pilot_site,
        starts_on=command.starts_on,
        ends_on=command.ends_on,
        metrics=metrics,
    )
    if state.exists:
        if _as_started(state) == started:
            return []
        raise ExperimentAlreadyExistsError(command.experiment_id)
    return [started]


def _validate_dates(starts_on: date, ends_on: date) -> None:
    if ends_on < starts_on:
        raise InvalidInputError("endsOn", "endsOn must not be before startsOn")


def _as_started(state: Experiment) -> ExperimentStarted | None:
    if state.starts_on is None or state.ends_on is None:
        return None
    return ExperimentStarted(
        experiment_id=state.id,
        idea_id=state.idea_id,
        hypothesis=state.hypothesis,
        pilot_site=state.pilot_site,
        starts_on=state.starts_on,
        ends_on=state.ends_on,
        metrics=state.metrics,
    )


def _record_measurement(command: RecordMeasurement, state: Experiment) -> list[ExperimentEvent]:
    if not math.isfinite(command.value):
        raise InvalidInputError("value", "value must be a finite number")
    if command.measured_at.utcoffset() is None:
        raise InvalidInputError("measuredAt", "measuredAt must carry a time zone")
    metric = command.metric.strip()
    known = [definition.name for definition in state.metrics]
    if metric not in known:
        raise UnknownMetricError(command.metric, known)
    latest = latest_measurement(state, metric)
    if latest is not None and (latest.value, latest.measured_at) == (
        command.value,
        command.measured_at,
    ):
        return []
    if state.concluded:
        raise ExperimentAlreadyConcludedError(state.id)
    return [
        MeasurementRecorded(
            experiment_id=state.id,
            metric=metric,
            value=float(command.value),
            measured_at=command.measured_at,
        )
    ]


def _conclude(command: ConcludeExperiment, state: Experiment) -> list[ExperimentEvent]:
    note = validate_optional_text(command.note, "note", NOTE_LENGTH)
    outcome = validate_choice(Outcome, command.outcome, "outcome")
    decision = validate_choice(Decision, command.decision, "decision")
    if state.concluded:
        if (state.outcome, state.decision, state.note) == (outcome, decision, note):
            return []
        raise ExperimentAlreadyConcludedError(state.id)
    if decision is Decision.SCALE and outcome is not Outcome.VALIDATED:
        raise ScaleRequiresValidationError()
    if outcome is Outcome.VALIDATED and (missed := missed_targets(state)):
        raise TargetsNotMetError(missed)
    return [
        ExperimentConcluded(
            experiment_id=state.id,
            idea_id=state.idea_id,
            outcome=outcome,
            decision=decision,
            note=note,
            results=results(state),
        )
    ]


# Evolution


def _next(state: Experiment, **changes: object) -> Experiment:
    """The state one event later."""
    return replace(state, version=state.version + 1, **changes)


def _measured(state: Experiment, event: MeasurementRecorded) -> tuple[MeasurementSummary, ...]:
    """The summaries with ``event`` counted; a measurement taken earlier than the latest one
    (a late back-fill) is counted but does not replace it."""
    latest = latest_measurement(state, event.metric)
    if latest is None:
        first = MeasurementSummary(
            metric=event.metric, value=event.value, measured_at=event.measured_at, count=1
        )
        return (*state.measurements, first)
    if event.measured_at >= latest.measured_at:
        updated = MeasurementSummary(
            metric=event.metric,
            value=event.value,
            measured_at=event.measured_at,
            count=latest.count + 1,
        )
    else:
        updated = replace(latest, count=latest.count + 1)
    return tuple(updated if m.metric == event.metric else m for m in state.measurements)


def evolve(state: Experiment, event: object) -> Experiment:
    """Apply one event; events of other aggregates leave the experiment as it is."""
    match event:
        case ExperimentStarted():
            return _next(
                state,
                id=event.experiment_id,
                exists=True,
                idea_id=event.idea_id,
                hypothesis=event.hypothesis,
                pilot_site=event.pilot_site,
                starts_on=event.starts_on,
                ends_on=event.ends_on,
                metrics=event.metrics,
            )
        case MeasurementRecorded():
            return _next(state, measurements=_measured(state, event))
        case ExperimentConcluded():
            return _next(
                state,
                concluded=True,
                outcome=event.outcome,
                decision=event.decision,
                note=event.note,
            )
        case _:
            return state


def fold(events: Iterable[object], state: Experiment | None = None) -> Experiment:
    """Replay an experiment's events, from scratch or from a snapshot ``state``."""
    return fold_events(evolve, events, initial_state() if state is None else state)


decider: Decider[ExperimentCommand, ExperimentEvent, Experiment] = Decider(
    initial_state, decide, evolve
)
