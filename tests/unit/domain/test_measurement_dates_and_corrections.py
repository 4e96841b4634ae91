"""A measurement is dated within its pilot's life so far, and a wrong one is corrected by a
new event that names it: the latest value, the results and the conclusion follow the correction."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from innovation.domain import (
    CorrectMeasurement,
    ExperimentAlreadyConcludedError,
    InvalidInputError,
    MeasurementCorrected,
    MeasurementRecorded,
    Outcome,
    TargetsNotMetError,
    experiments,
)
from innovation.domain.experiments import MEASUREMENT_CLOCK_SKEW
from tests.unit.domain.examples import EXPERIMENT, SATISFACTION, measured, on_target, started
from tests.unit.domain.scenario import given
from tests.unit.domain.test_experiments import ALARMS, NOW, conclude, measure

FIRST_DAY = datetime(2026, 3, 1, 0, 0, tzinfo=UTC)
"""The pilot of the examples starts on 1 March 2026."""


def correct(measurement: int = 2, value: float = 310.0, **changes: Any) -> CorrectMeasurement:
    fields: dict[str, Any] = {
        "experiment_id": EXPERIMENT,
        "measurement": measurement,
        "value": value,
        "reason": "The probe double-counted one router.",
        "now": NOW,
    }
    return CorrectMeasurement(**(fields | changes))


def corrected(measurement: int = 2, value: float = 310.0, day: int = 15) -> MeasurementCorrected:
    return MeasurementCorrected(
        experiment_id=EXPERIMENT,
        measurement=measurement,
        metric=ALARMS,
        value=value,
        measured_at=datetime(2026, 4, day, 12, 0, tzinfo=UTC),
        reason="The probe double-counted one router.",
    )


# Dates


def test_a_measurement_dated_far_in_the_future_is_refused() -> None:
    error = (
        given(started())
        .when(measure(at=datetime(2999, 1, 1, tzinfo=UTC)))
        .then(InvalidInputError, field="measuredAt")
    )

    assert "5 minutes in the future" in error.message


def test_a_measurement_a_little_after_now_is_accepted_as_clock_skew() -> None:
    at = NOW + MEASUREMENT_CLOCK_SKEW
    given(started()).when(measure(at=at)).then(
        [MeasurementRecorded(experiment_id=EXPERIMENT, metric=ALARMS, value=350.0, measured_at=at)]
    )


def test_a_measurement_just_past_the_skew_is_refused() -> None:
    at = NOW + MEASUREMENT_CLOCK_SKEW + timedelta(microseconds=1)
    given(started()).when(measure(at=at)).then(InvalidInputError, field="measuredAt")


def test_a_measurement_dated_before_the_experiment_started_is_refused() -> None:
    error = (
        given(started())
        .when(measure(at=FIRST_DAY - timedelta(seconds=1)))
        .then(InvalidInputError, field="measuredAt")
    )

    assert "2026-03-01" in error.message


def test_a_measurement_on_the_first_day_of_the_pilot_is_accepted() -> None:
    given(started()).when(measure(at=FIRST_DAY)).then(
        [
            MeasurementRecorded(
                experiment_id=EXPERIMENT, metric=ALARMS, value=350.0, measured_at=FIRST_DAY
            )
        ]
    )


# Corrections


def test_a_lead_corrects_a_measurement_by_its_number() -> None:
    experiment = (
        given(started(), measured(ALARMS, 350.0)).when(correct(value=310.0)).then([corrected()])
    )

    assert experiments.latest_value(experiment, ALARMS) == 310.0
    assert len(experiment.readings) == 1


def test_a_correction_can_move_a_measurement_to_another_date() -> None:
    at = datetime(2026, 4, 20, 12, 0, tzinfo=UTC)
    given(started(), measured(ALARMS, 350.0)).when(correct(measured_at=at)).then(
        [
            MeasurementCorrected(
                experiment_id=EXPERIMENT,
                measurement=2,
                metric=ALARMS,
                value=310.0,
                measured_at=at,
                reason="The probe double-counted one router.",
            )
        ]
    )


def test_a_correction_dated_earlier_gives_the_latest_place_to_another_measurement() -> None:
    experiment = experiments.fold(
        [
            started(),
            measured(ALARMS, 900.0, day=10),
            measured(ALARMS, 200.0, day=20),
            corrected(measurement=3, value=200.0, day=5),
        ]
    )

    assert experiments.latest_value(experiment, ALARMS) == 900.0


def test_the_results_and_the_validation_follow_a_correction() -> None:
    history = [*on_target(), corrected(measurement=2, value=900.0)]
    experiment = experiments.fold(history)

    result = next(r for r in experiments.results(experiment) if r.name == ALARMS)
    assert (result.observed, result.met) == (900.0, False)
    assert result.change_pct is not None
    given(*history).when(conclude(Outcome.VALIDATED)).then(TargetsNotMetError)


def test_the_same_correction_twice_gives_no_events() -> None:
    given(started(), measured(ALARMS, 350.0), corrected()).when(correct()).then([])


def test_a_correction_names_a_measurement_the_experiment_has() -> None:
    error = (
        given(started(), measured(ALARMS, 350.0), measured(ALARMS, 320.0, day=16))
        .when(correct(measurement=7))
        .then(InvalidInputError, field="measurement")
    )

    assert "(its measurements: 2, 3)" in error.message


def test_a_correction_of_an_experiment_without_measurements_says_it_has_none() -> None:
    error = (
        given(started()).when(correct(measurement=2)).then(InvalidInputError, field="measurement")
    )

    assert "(its measurements: none)" in error.message


def test_a_correction_gives_its_reason() -> None:
    given(started(), measured(ALARMS, 350.0)).when(correct(reason=" ")).then(
        InvalidInputError, field="reason"
    )


@pytest.mark.parametrize(
    "at", [datetime(2999, 1, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC)], ids=str
)
def test_a_correction_is_dated_like_a_measurement(at: datetime) -> None:
    given(started(), measured(ALARMS, 350.0)).when(correct(measured_at=at)).then(
        InvalidInputError, field="measuredAt"
    )


def test_a_concluded_experiment_keeps_its_measurements() -> None:
    history = [*on_target(), experiments.decide(conclude(), experiments.fold(on_target()))[0]]
    given(*history).when(correct(measurement=2, value=1.0)).then(ExperimentAlreadyConcludedError)


def test_a_correction_leaves_the_other_metrics_alone() -> None:
    experiment = experiments.fold([*on_target(), corrected(measurement=2, value=900.0)])

    before = experiments.latest_value(experiments.fold(on_target()), SATISFACTION.name)
    assert before is not None
    assert experiments.latest_value(experiment, SATISFACTION.name) == before
