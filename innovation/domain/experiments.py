"""The Experiment aggregate, one stream per experiment: a small pilot of one idea that measures
its metrics over time and ends in a conclusion (an outcome and a decision).

A conclusion that claims VALIDATED needs every metric measured and on target; only a validated
experiment may be scaled. Carrying the decision over to the idea is the idea's own command.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import assert_never

import msgspec
from msgspec.structs import replace

from innovation.domain.bounds import (
    AMEND_REASON_LENGTH,
    CORRECTION_REASON_LENGTH,
    HYPOTHESIS_LENGTH,
    METRICS_COUNT,
    NOTE_LENGTH,
    PILOT_SITE_LENGTH,
    Bound,
)
from innovation.domain.decider import Decider
from innovation.domain.decider import fold as fold_events
from innovation.domain.errors import (
    ExperimentAlreadyConcludedError,
    ExperimentAlreadyExistsError,
    ExperimentAlreadyMeasuredError,
    ExperimentNotFoundError,
    InvalidInputError,
    ScaleRequiresValidationError,
    TargetsNotMetError,
    UnknownMetricError,
    checked,
)
from innovation.domain.experiment_messages import (
    AddMetric,
    AmendExperiment,
    ConcludeExperiment,
    CorrectMeasurement,
    ExperimentAmended,
    ExperimentCommand,
    ExperimentConcluded,
    ExperimentEvent,
    ExperimentStarted,
    MeasurementCorrected,
    MeasurementRecorded,
    MetricAdded,
    RecordMeasurement,
    StartExperiment,
)
from innovation.domain.metrics import MetricResult, metric_result
from innovation.domain.values import (
    Decision,
    MetricDefinition,
    Outcome,
    validate_choice,
    validate_metric,
    validate_metric_value,
    validate_metrics,
    validate_optional_text,
    validate_text,
)

__all__ = [
    "AddMetric",
    "AmendExperiment",
    "ConcludeExperiment",
    "CorrectMeasurement",
    "ExperimentAmended",
    "ExperimentCommand",
    "ExperimentConcluded",
    "ExperimentEvent",
    "ExperimentStarted",
    "MeasurementCorrected",
    "MeasurementRecorded",
    "MetricAdded",
    "RecordMeasurement",
    "StartExperiment",
]

# State


MEASUREMENT_CLOCK_SKEW = timedelta(minutes=5)
"""How far after the command's own time a measurement may be dated: clocks of the devices that
take measurements drift a little, but a value from the future would stay "latest" for good."""


class Reading(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """One measurement as it stands (corrected, if it was); ``number`` is the experiment's
    version that recorded it, the name a correction uses."""

    number: int
    metric: str
    value: float
    measured_at: datetime


class Experiment(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """An experiment as its events left it; ``version`` counts them."""

    id: str = ""
    exists: bool = False
    idea_id: str = ""
    hypothesis: str = ""
    pilot_site: str = ""
    starts_on: date | None = None
    ends_on: date | None = None
    metrics: tuple[MetricDefinition, ...] = ()
    readings: tuple[Reading, ...] = ()
    concluded: bool = False
    outcome: Outcome | None = None
    decision: Decision | None = None
    note: str | None = None
    version: int = 0


def initial_state() -> Experiment:
    return Experiment()


def latest_measurement(experiment: Experiment, metric: str) -> Reading | None:
    """The metric's measurement with the latest date; of two on the same date, the later one."""
    readings = [reading for reading in experiment.readings if reading.metric == metric]
    return max(readings, key=lambda r: (r.measured_at, r.number), default=None)


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
        case CorrectMeasurement():
            return _correct_measurement(command, state)
        case AmendExperiment():
            return _amend(command, state)
        case AddMetric():
            return _add_metric(command, state)
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


def _check_measured_at(measured_at: datetime, now: datetime, state: Experiment) -> None:
    """A measurement is dated within the pilot's life so far: not before the day it started
    (as the measurement's own offset reads it), not after now plus a small skew."""
    if measured_at.utcoffset() is None:
        raise InvalidInputError("measuredAt", "measuredAt must carry a time zone")
    if state.starts_on is not None and measured_at.date() < state.starts_on:
        raise InvalidInputError(
            "measuredAt",
            f"measuredAt must not be before the experiment started on {state.starts_on}",
        )
    if measured_at > now + MEASUREMENT_CLOCK_SKEW:
        minutes = int(MEASUREMENT_CLOCK_SKEW.total_seconds() // 60)
        raise InvalidInputError(
            "measuredAt", f"measuredAt must not be more than {minutes} minutes in the future"
        )


def _record_measurement(command: RecordMeasurement, state: Experiment) -> list[ExperimentEvent]:
    checked(
        lambda: validate_metric_value(command.value, "value"),
        lambda: _check_measured_at(command.measured_at, command.now, state),
    )
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


def _correct_measurement(command: CorrectMeasurement, state: Experiment) -> list[ExperimentEvent]:
    """Replace a running experiment's measurement; a concluded one's results are final."""
    given = command.measured_at
    _, reason, wrong, _ = checked(
        lambda: validate_metric_value(command.value, "value"),
        lambda: validate_text(command.reason, "reason", CORRECTION_REASON_LENGTH),
        lambda: _reading(state, command.measurement),
        lambda: None if given is None else _check_measured_at(given, command.now, state),
    )
    measured_at = wrong.measured_at if given is None else given  # kept: checked when recorded
    if (wrong.value, wrong.measured_at) == (command.value, measured_at):
        return []
    if state.concluded:
        raise ExperimentAlreadyConcludedError(state.id)
    return [
        MeasurementCorrected(
            experiment_id=state.id,
            measurement=wrong.number,
            metric=wrong.metric,
            value=float(command.value),
            measured_at=measured_at,
            reason=reason,
        )
    ]


def _amend(command: AmendExperiment, state: Experiment) -> list[ExperimentEvent]:
    """New values for what a running pilot may change; its measurements stay within its dates."""
    starts_on = command.starts_on or state.starts_on or date.min
    ends_on = command.ends_on or state.ends_on or date.max
    reason, hypothesis, pilot_site, _, _ = checked(
        lambda: validate_text(command.reason, "reason", AMEND_REASON_LENGTH),
        lambda: _either(command.hypothesis, state.hypothesis, "hypothesis", HYPOTHESIS_LENGTH),
        lambda: _either(command.pilot_site, state.pilot_site, "pilotSite", PILOT_SITE_LENGTH),
        lambda: _validate_dates(starts_on, ends_on),
        lambda: _not_after_first_measurement(starts_on, state),
    )
    amended = ExperimentAmended(
        experiment_id=state.id,
        hypothesis=hypothesis,
        pilot_site=pilot_site,
        starts_on=starts_on,
        ends_on=ends_on,
        reason=reason,
    )
    unchanged = (state.hypothesis, state.pilot_site, state.starts_on, state.ends_on)
    if unchanged == (amended.hypothesis, amended.pilot_site, amended.starts_on, amended.ends_on):
        return []
    if state.concluded:
        raise ExperimentAlreadyConcludedError(state.id)
    return [amended]


def _either(new: str | None, old: str, field: str, bound: Bound) -> str:
    return old if new is None else validate_text(new, field, bound)


def _not_after_first_measurement(starts_on: date, state: Experiment) -> None:
    first = min((r.measured_at.date() for r in state.readings), default=None)
    if first is not None and first < starts_on:
        raise InvalidInputError(
            "startsOn", f"startsOn must not be after the first measurement, on {first}"
        )


def _reading(state: Experiment, number: int) -> Reading:
    """The experiment's measurement numbered ``number``, refused in the input's terms if none."""
    found = next((r for r in state.readings if r.number == number), None)
    if found is None:
        numbers = ", ".join(str(r.number) for r in state.readings) or "none"
        raise InvalidInputError(
            "measurement",
            f"experiment {state.id!r} has no measurement {number} (its measurements: {numbers})",
        )
    return found


def _add_metric(command: AddMetric, state: Experiment) -> list[ExperimentEvent]:
    """A new metric while nothing is measured yet; the same one again changes nothing."""
    added = validate_metric(command.metric, "metric")
    if added in state.metrics:
        return []
    if any(metric.name == added.name for metric in state.metrics):
        raise InvalidInputError("metric.name", f"metric.name repeats the metric {added.name!r}")
    if not METRICS_COUNT.admits(len(state.metrics) + 1):
        raise InvalidInputError(
            "metric", f"metric would make more than {METRICS_COUNT.most:g} metrics"
        )
    if state.concluded:
        raise ExperimentAlreadyConcludedError(state.id)
    if state.readings:
        raise ExperimentAlreadyMeasuredError(state.id)
    return [MetricAdded(experiment_id=state.id, metric=added)]


def _conclude(command: ConcludeExperiment, state: Experiment) -> list[ExperimentEvent]:
    note, outcome, decision = checked(
        lambda: validate_optional_text(command.note, "note", NOTE_LENGTH),
        lambda: validate_choice(Outcome, command.outcome, "outcome"),
        lambda: validate_choice(Decision, command.decision, "decision"),
    )
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


def _corrected(state: Experiment, event: MeasurementCorrected) -> tuple[Reading, ...]:
    return tuple(
        replace(r, value=event.value, measured_at=event.measured_at)
        if r.number == event.measurement
        else r
        for r in state.readings
    )


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
            reading = Reading(
                number=state.version + 1,
                metric=event.metric,
                value=event.value,
                measured_at=event.measured_at,
            )
            return _next(state, readings=(*state.readings, reading))
        case MeasurementCorrected():
            return _next(state, readings=_corrected(state, event))
        case ExperimentAmended():
            return _next(
                state,
                hypothesis=event.hypothesis,
                pilot_site=event.pilot_site,
                starts_on=event.starts_on,
                ends_on=event.ends_on,
            )
        case MetricAdded():
            return _next(state, metrics=(*state.metrics, event.metric))
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
