"""A lead undoes a rejection and keeps a running pilot up to date, each as an event of its own:
reopening a rejected idea, changing a pilot's hypothesis, site and dates, adding a metric."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from innovation.domain import (
    AddMetric,
    AmendExperiment,
    Event,
    ExperimentAlreadyConcludedError,
    ExperimentAlreadyMeasuredError,
    ExperimentAmended,
    IdeaRejected,
    IdeaReopened,
    InvalidInputError,
    InvalidTransitionError,
    MetricAdded,
    RejectIdea,
    ReopenIdea,
    Stage,
    experiments,
)
from tests.unit.domain.examples import (
    EXPERIMENT,
    HANDLING,
    IDEA,
    SATISFACTION,
    measured,
    merged,
    metric,
    on_target,
    rejected,
    released,
    screening,
    start,
    started,
)
from tests.unit.domain.scenario import given
from tests.unit.domain.test_experiments import ALARMS, conclude

REASON = "The partner cut its price by half."


def reopen(reason: str = REASON) -> ReopenIdea:
    return ReopenIdea(idea_id=IDEA, reason=reason)


def amend(**changes: Any) -> AmendExperiment:
    fields: dict[str, Any] = {
        "experiment_id": EXPERIMENT,
        "reason": "The Luxembourg centre closes for works.",
    }
    return AmendExperiment(**(fields | changes))


def amended(**changes: Any) -> ExperimentAmended:
    begun = start()
    fields: dict[str, Any] = {
        "experiment_id": EXPERIMENT,
        "hypothesis": begun.hypothesis,
        "pilot_site": begun.pilot_site,
        "starts_on": begun.starts_on,
        "ends_on": begun.ends_on,
        "reason": "The Luxembourg centre closes for works.",
    }
    return ExperimentAmended(**(fields | changes))


def concluded_history() -> list[Event]:
    return [*on_target(), *experiments.decide(conclude(), experiments.fold(on_target()))]


# Reopening


def test_a_lead_reopens_a_rejected_idea_into_screening() -> None:
    idea = given(rejected()).when(reopen()).then([IdeaReopened(idea_id=IDEA, reason=REASON)])

    assert idea.stage is Stage.SCREENING
    assert idea.rejection_reason is None


@pytest.mark.parametrize(
    "history", [screening(), merged(), released()], ids=["screening", "merged", "released"]
)
def test_only_a_rejected_idea_is_reopened(history: list[Event]) -> None:
    given(history).when(reopen()).then(InvalidTransitionError, to_stage=Stage.SCREENING)


def test_a_reopening_gives_its_reason() -> None:
    given(rejected()).when(reopen(reason="  ")).then(InvalidInputError, field="reason")


def test_a_reopened_idea_can_be_rejected_again_and_is_not_reopened_twice() -> None:
    reopened = [*rejected(), IdeaReopened(idea_id=IDEA, reason=REASON)]

    given(reopened).when(reopen()).then(InvalidTransitionError)
    given(reopened).when(RejectIdea(idea_id=IDEA, reason="Still too costly.")).then(
        [IdeaRejected(idea_id=IDEA, reason="Still too costly.")]
    )


# Amending a pilot


def test_a_lead_moves_a_pilot_to_another_site_and_later_end() -> None:
    experiment = (
        given(started())
        .when(amend(pilot_site=" Brussels contact centre ", ends_on=date(2026, 7, 31)))
        .then([amended(pilot_site="Brussels contact centre", ends_on=date(2026, 7, 31))])
    )

    assert (experiment.pilot_site, experiment.ends_on) == (
        "Brussels contact centre",
        date(2026, 7, 31),
    )


def test_a_pilot_gets_a_sharper_hypothesis() -> None:
    hypothesis = "Advisers solve more calls at once when the assistant shows the procedure."
    experiment = (
        given(started()).when(amend(hypothesis=hypothesis)).then([amended(hypothesis=hypothesis)])
    )

    assert experiment.hypothesis == hypothesis


def test_an_amendment_that_changes_nothing_gives_no_events() -> None:
    given(started()).when(amend(pilot_site=start().pilot_site)).then([])


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"ends_on": date(2026, 2, 1)}, "endsOn"),
        ({"starts_on": date(2026, 7, 1)}, "endsOn"),
        ({"hypothesis": "short"}, "hypothesis"),
        ({"pilot_site": " "}, "pilotSite"),
        ({"reason": ""}, "reason"),
    ],
    ids=["ends before start", "starts after end", "hypothesis", "site", "reason"],
)
def test_an_invalid_amendment_is_refused_naming_the_field(
    changes: dict[str, Any], field: str
) -> None:
    given(started()).when(amend(**changes)).then(InvalidInputError, field=field)


def test_a_pilot_may_be_amended_to_last_a_single_day() -> None:
    one_day = start().starts_on
    given(started()).when(amend(ends_on=one_day)).then([amended(ends_on=one_day)])


def test_a_pilot_does_not_start_after_its_first_measurement() -> None:
    given(started(), measured(ALARMS, 500.0, day=10)).when(amend(starts_on=date(2026, 4, 11))).then(
        InvalidInputError, field="startsOn"
    )
    given(started(), measured(ALARMS, 500.0, day=10)).when(amend(starts_on=date(2026, 4, 10))).then(
        [amended(starts_on=date(2026, 4, 10))]
    )


def test_a_concluded_pilot_is_not_amended() -> None:
    given(concluded_history()).when(amend(pilot_site="Brussels")).then(
        ExperimentAlreadyConcludedError
    )


# Adding a metric


def test_a_lead_adds_a_metric_before_the_first_measurement() -> None:
    experiment = (
        given(started())
        .when(AddMetric(experiment_id=EXPERIMENT, metric=HANDLING))
        .then([MetricAdded(experiment_id=EXPERIMENT, metric=HANDLING)])
    )

    assert experiment.metrics == (metric(), SATISFACTION, HANDLING)
    assert "handling time" in experiments.missed_targets(experiment)


def test_adding_the_same_metric_again_gives_no_events() -> None:
    given(started(), MetricAdded(experiment_id=EXPERIMENT, metric=HANDLING)).when(
        AddMetric(experiment_id=EXPERIMENT, metric=HANDLING)
    ).then([])


def test_a_metric_is_not_added_once_something_was_measured() -> None:
    given(started(), measured(ALARMS, 500.0)).when(
        AddMetric(experiment_id=EXPERIMENT, metric=HANDLING)
    ).then(ExperimentAlreadyMeasuredError)


def test_a_metric_is_not_added_to_a_concluded_pilot() -> None:
    given(concluded_history()).when(AddMetric(experiment_id=EXPERIMENT, metric=HANDLING)).then(
        ExperimentAlreadyConcludedError
    )


def test_an_added_metric_has_a_name_of_its_own() -> None:
    given(started()).when(AddMetric(experiment_id=EXPERIMENT, metric=metric(baseline=900.0))).then(
        InvalidInputError, field="metric.name"
    )


def test_an_added_metric_is_checked_like_the_others() -> None:
    given(started()).when(
        AddMetric(experiment_id=EXPERIMENT, metric=metric(name="handling", target=2_000.0))
    ).then(InvalidInputError, field="metric.target")


def test_an_experiment_holds_at_most_ten_metrics() -> None:
    full = started(metrics=tuple(metric(name=f"metric {n}") for n in range(10)))
    given(full).when(AddMetric(experiment_id=EXPERIMENT, metric=HANDLING)).then(
        InvalidInputError, field="metric"
    )
