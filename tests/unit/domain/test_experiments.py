"""Experiments pilot an idea, measure their metrics, and conclude only on what they measured."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest

from innovation.domain import (
    ConcludeExperiment,
    Decision,
    Direction,
    ExperimentAlreadyConcludedError,
    ExperimentAlreadyExistsError,
    ExperimentConcluded,
    ExperimentNotFoundError,
    InvalidInputError,
    MeasurementRecorded,
    MetricResult,
    Outcome,
    RecordMeasurement,
    ScaleRequiresValidationError,
    TargetsNotMetError,
    UnknownMetricError,
    experiments,
)
from tests.unit.domain.examples import (
    EXPERIMENT,
    IDEA,
    SATISFACTION,
    measured,
    metric,
    on_target,
    start,
    started,
    unlisted,
)
from tests.unit.domain.scenario import given

ALARMS = "network alarms per day"
NOON = datetime(2026, 4, 15, 12, 0, tzinfo=UTC)
NOW = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
"""The command's time in these tests: a few weeks into the pilot, which started on 1 March."""


def measure(
    name: str = ALARMS, value: float = 350.0, at: datetime = NOON, now: datetime = NOW
) -> RecordMeasurement:
    return RecordMeasurement(
        experiment_id=EXPERIMENT, metric=name, value=value, measured_at=at, now=now
    )


def conclude(
    outcome: Outcome = Outcome.VALIDATED,
    decision: Decision = Decision.SCALE,
    note: str | None = None,
) -> ConcludeExperiment:
    return ConcludeExperiment(
        experiment_id=EXPERIMENT, outcome=outcome, decision=decision, note=note
    )


def concluded(**changes: Any) -> ExperimentConcluded:
    experiment = experiments.fold(on_target())
    fields: dict[str, Any] = {
        "experiment_id": EXPERIMENT,
        "idea_id": IDEA,
        "outcome": Outcome.VALIDATED,
        "decision": Decision.SCALE,
        "note": None,
        "results": experiments.results(experiment),
    }
    return ExperimentConcluded(**(fields | changes))


# Starting


def test_a_lead_starts_an_experiment() -> None:
    experiment = given().when(start()).then([started()])

    assert experiment.exists
    assert experiment.idea_id == IDEA
    assert experiment.version == 1
    assert not experiment.concluded


def test_an_experiment_start_is_trimmed() -> None:
    given().when(
        start(
            hypothesis="  Advisers answer faster when the assistant suggests the procedure. ",
            pilot_site=" Luxembourg affiliate ",
            metrics=(metric(name=" network alarms per day ", unit=" alarms "), SATISFACTION),
        )
    ).then([started()])


def test_starting_the_same_experiment_twice_gives_no_events() -> None:
    given(started()).when(start()).then([])


def test_another_start_under_a_taken_id_is_a_conflict() -> None:
    error = (
        given(started())
        .when(start(pilot_site="Belgian affiliate"))
        .then(ExperimentAlreadyExistsError, experiment_id=EXPERIMENT)
    )
    assert error.code == "CONFLICT"


def test_a_one_day_experiment_is_fine() -> None:
    one_day = {"starts_on": date(2026, 3, 1), "ends_on": date(2026, 3, 1)}
    given().when(start(**one_day)).then([started(**one_day)])


def test_ten_metrics_are_fine() -> None:
    ten = tuple(metric(name=f"metric {n}") for n in range(10))
    given().when(start(metrics=ten)).then([started(metrics=ten)])


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        pytest.param({"hypothesis": "Faster."}, "hypothesis", id="hypothesis too short"),
        pytest.param({"hypothesis": "x" * 2_001}, "hypothesis", id="hypothesis too long"),
        pytest.param({"pilot_site": " "}, "pilotSite", id="pilot site blank"),
        pytest.param({"pilot_site": "x" * 201}, "pilotSite", id="pilot site too long"),
        pytest.param(
            {"starts_on": date(2026, 3, 2), "ends_on": date(2026, 3, 1)},
            "endsOn",
            id="ends before it starts",
        ),
        pytest.param({"metrics": ()}, "metrics", id="no metric"),
        pytest.param(
            {"metrics": tuple(metric(name=f"m{n}") for n in range(11))},
            "metrics",
            id="eleven metrics",
        ),
        pytest.param({"metrics": (metric(name=""),)}, "metrics[0].name", id="name blank"),
        pytest.param(
            {"metrics": (SATISFACTION, metric(name="customer satisfaction"))},
            "metrics[1].name",
            id="name repeated",
        ),
        pytest.param({"metrics": (metric(unit=" "),)}, "metrics[0].unit", id="unit blank"),
        pytest.param(
            {"metrics": (SATISFACTION, metric(target=1_200.0))},
            "metrics[1].target",
            id="lower is better but target above baseline",
        ),
        pytest.param(
            {"metrics": (metric(direction=Direction.HIGHER_IS_BETTER),)},
            "metrics[0].target",
            id="higher is better but target below baseline",
        ),
        pytest.param(
            {"metrics": (metric(target=1_000.0),)},
            "metrics[0].target",
            id="target equal to baseline",
        ),
        pytest.param(
            {"metrics": (metric(baseline=math.nan),)}, "metrics[0].baseline", id="baseline nan"
        ),
        pytest.param(
            {"metrics": (metric(target=-math.inf),)}, "metrics[0].target", id="target infinite"
        ),
    ],
)
def test_an_invalid_start_is_refused_naming_the_field(
    changes: dict[str, object], field: str
) -> None:
    given().when(start(**changes)).then(InvalidInputError, field=field)


# Measuring


def test_a_measurement_is_recorded() -> None:
    experiment = (
        given(started())
        .when(measure(value=350))
        .then(
            [
                MeasurementRecorded(
                    experiment_id=EXPERIMENT, metric=ALARMS, value=350.0, measured_at=NOON
                )
            ]
        )
    )

    latest = experiments.latest_measurement(experiment, ALARMS)
    assert latest is not None
    assert (latest.value, latest.measured_at, latest.number) == (350.0, NOON, 2)


def test_only_the_experiments_metrics_are_measured() -> None:
    error = (
        given(started())
        .when(measure(name="churn"))
        .then(UnknownMetricError, field="metric", metric="churn")
    )
    assert error.code == "VALIDATION"


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_a_measurement_is_a_finite_number(value: float) -> None:
    given(started()).when(measure(value=value)).then(InvalidInputError, field="value")


def test_a_measurement_time_carries_its_zone() -> None:
    given(started()).when(measure(at=datetime(2026, 4, 15, 12, 0))).then(
        InvalidInputError, field="measuredAt"
    )


def test_the_same_measurement_twice_gives_no_events() -> None:
    given(started(), measured(ALARMS, 350.0)).when(measure(value=350.0)).then([])


def test_a_concluded_experiment_takes_no_more_measurements() -> None:
    given(started(), concluded(outcome=Outcome.INCONCLUSIVE, decision=Decision.ITERATE)).when(
        measure()
    ).then(ExperimentAlreadyConcludedError, experiment_id=EXPERIMENT)


def test_the_latest_measurement_is_the_one_taken_last() -> None:
    experiment = experiments.fold(
        [started(), measured(ALARMS, 500.0, day=20), measured(ALARMS, 700.0, day=10)]
    )

    latest = experiments.latest_measurement(experiment, ALARMS)
    assert latest is not None
    assert (latest.value, latest.number) == (500.0, 2)


def test_a_measurement_taken_later_replaces_the_latest() -> None:
    experiment = experiments.fold(
        [started(), measured(ALARMS, 500.0, day=10), measured(ALARMS, 300.0, day=20)]
    )

    assert experiments.latest_value(experiment, ALARMS) == 300.0
    assert experiments.targets_met(experiment) is False


@pytest.mark.parametrize(
    "command",
    [measure(), conclude()],
    ids=lambda command: type(command).__name__,
)
def test_a_command_on_an_experiment_never_started_is_not_found(command: object) -> None:
    given().when(command).then(
        ExperimentNotFoundError, experiment_id=EXPERIMENT, field="experimentId"
    )


# Concluding


def test_an_experiment_on_target_concludes_validated_with_its_results() -> None:
    experiment = (
        given(on_target())
        .when(conclude(note=" Alarms down 70 %. "))
        .then([concluded(note="Alarms down 70 %.")])
    )

    assert experiment.concluded
    assert experiment.outcome is Outcome.VALIDATED
    assert experiment.decision is Decision.SCALE


def test_the_results_give_baseline_observed_and_change_per_metric() -> None:
    assert concluded().results == (
        MetricResult(
            name=ALARMS,
            unit="alarms",
            baseline=1_000.0,
            target=400.0,
            direction=Direction.LOWER_IS_BETTER,
            observed=300.0,
            change_pct=-70.0,
            met=True,
        ),
        MetricResult(
            name="customer satisfaction",
            unit="points",
            baseline=7.2,
            target=8.0,
            direction=Direction.HIGHER_IS_BETTER,
            observed=8.4,
            change_pct=pytest.approx(16.666, abs=1e-3),
            met=True,
        ),
    )


def test_a_validated_outcome_needs_every_metric_measured() -> None:
    error = (
        given(started(), measured(ALARMS, 300.0))
        .when(conclude())
        .then(TargetsNotMetError, metrics=("customer satisfaction",))
    )
    assert "customer satisfaction" in error.message


def test_a_validated_outcome_needs_every_target_met() -> None:
    given(started(), measured(ALARMS, 450.0), measured("customer satisfaction", 7.9)).when(
        conclude(decision=Decision.ITERATE)
    ).then(TargetsNotMetError, metrics=(ALARMS, "customer satisfaction"))


@pytest.mark.parametrize("outcome", [Outcome.INVALIDATED, Outcome.INCONCLUSIVE])
def test_only_a_validated_experiment_is_scaled(outcome: Outcome) -> None:
    given(on_target()).when(conclude(outcome=outcome)).then(
        ScaleRequiresValidationError, field="decision"
    )


def test_an_experiment_can_stop_without_any_measurement() -> None:
    experiment = experiments.fold([started()])
    given(started()).when(
        conclude(outcome=Outcome.INVALIDATED, decision=Decision.STOP, note="Pilot cancelled.")
    ).then(
        [
            ExperimentConcluded(
                experiment_id=EXPERIMENT,
                idea_id=IDEA,
                outcome=Outcome.INVALIDATED,
                decision=Decision.STOP,
                note="Pilot cancelled.",
                results=experiments.results(experiment),
            )
        ]
    )
    assert all(result.observed is None for result in experiments.results(experiment))


def test_concluding_the_same_way_twice_gives_no_events() -> None:
    given(on_target(), concluded()).when(conclude()).then([])


def test_a_concluded_experiment_is_not_concluded_differently() -> None:
    given(on_target(), concluded()).when(
        conclude(outcome=Outcome.INCONCLUSIVE, decision=Decision.ITERATE)
    ).then(ExperimentAlreadyConcludedError)


def test_a_conclusion_note_has_a_length_limit() -> None:
    given(on_target()).when(conclude(note="x" * 5_001)).then(InvalidInputError, field="note")


def test_targets_met_needs_at_least_one_measurement_per_metric() -> None:
    assert experiments.targets_met(experiments.fold(on_target()))
    assert not experiments.targets_met(experiments.fold([started()]))
    assert experiments.missed_targets(experiments.fold([started()])) == (
        ALARMS,
        "customer satisfaction",
    )


def test_measurement_times_in_other_zones_compare_as_instants() -> None:
    half_past_one_in_paris = datetime(2026, 4, 15, 13, 30, tzinfo=timezone(timedelta(hours=2)))
    experiment = experiments.fold(
        [
            started(),
            measured(ALARMS, 2.0, day=15),
            MeasurementRecorded(
                experiment_id=EXPERIMENT,
                metric=ALARMS,
                value=1.0,
                measured_at=half_past_one_in_paris,
            ),
        ]
    )

    assert experiments.latest_value(experiment, ALARMS) == 2.0


@pytest.mark.parametrize(
    ("command", "field"),
    [
        (
            ConcludeExperiment(
                experiment_id=EXPERIMENT,
                outcome=unlisted("MAYBE"),
                decision=Decision.STOP,
            ),
            "outcome",
        ),
        (
            ConcludeExperiment(
                experiment_id=EXPERIMENT,
                outcome=Outcome.INVALIDATED,
                decision=unlisted("PAUSE"),
            ),
            "decision",
        ),
    ],
    ids=["outcome", "decision"],
)
def test_an_outcome_or_decision_outside_the_lists_is_refused(
    command: ConcludeExperiment, field: str
) -> None:
    given(started()).when(command).then(InvalidInputError, field=field)


def test_a_direction_outside_the_list_is_refused() -> None:
    given().when(start(metrics=(metric(direction=unlisted("SIDEWAYS")),))).then(
        InvalidInputError, field="metrics[0].direction"
    )
