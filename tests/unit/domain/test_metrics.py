"""Metric arithmetic: how far a metric moved from its baseline, and whether it hit its target."""

from __future__ import annotations

import pytest

from innovation.domain import Direction, MetricDefinition, change_pct, metric_result, target_met

FASTER = MetricDefinition(
    name="handling time",
    unit="s",
    baseline=300.0,
    target=240.0,
    direction=Direction.LOWER_IS_BETTER,
)
HAPPIER = MetricDefinition(
    name="satisfaction",
    unit="points",
    baseline=7.0,
    target=8.0,
    direction=Direction.HIGHER_IS_BETTER,
)


@pytest.mark.parametrize(
    ("baseline", "observed", "expected"),
    [
        (100.0, 120.0, 20.0),
        (1_000.0, 300.0, -70.0),
        (-50.0, -25.0, 50.0),
        (-50.0, -75.0, -50.0),
        (80.0, 80.0, 0.0),
    ],
)
def test_change_is_a_percentage_of_the_baseline(
    baseline: float, observed: float, expected: float
) -> None:
    assert change_pct(baseline, observed) == pytest.approx(expected)


def test_there_is_no_change_in_percent_from_a_zero_baseline() -> None:
    assert change_pct(0.0, 12.0) is None


def test_a_change_too_large_to_represent_is_left_out() -> None:
    assert change_pct(1e-308, 1e308) is None


@pytest.mark.parametrize(
    ("definition", "observed", "met"),
    [
        (FASTER, 230.0, True),
        (FASTER, 240.0, True),
        (FASTER, 250.0, False),
        (HAPPIER, 8.5, True),
        (HAPPIER, 8.0, True),
        (HAPPIER, 7.9, False),
    ],
)
def test_a_target_is_met_in_the_metrics_direction(
    definition: MetricDefinition, observed: float, met: bool
) -> None:
    assert target_met(definition, observed) is met


def test_a_result_gives_baseline_observed_change_and_whether_it_met() -> None:
    result = metric_result(FASTER, 210.0)

    assert (result.name, result.unit, result.baseline, result.target) == (
        "handling time",
        "s",
        300.0,
        240.0,
    )
    assert result.direction is Direction.LOWER_IS_BETTER
    assert result.observed == 210.0
    assert result.change_pct == pytest.approx(-30.0)
    assert result.met


def test_an_unmeasured_metric_has_no_change_and_missed_its_target() -> None:
    result = metric_result(HAPPIER, None)

    assert result.observed is None
    assert result.change_pct is None
    assert not result.met
