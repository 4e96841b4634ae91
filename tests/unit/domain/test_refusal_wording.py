"""What a refusal says, word for word, where its words carry facts: the values a field may take,
which way a target must lie, the metrics an experiment has or missed, the characters a text may
hold, how a period is written, which delivery. Elsewhere the tests check that a refusal names
the field it blames; here, that what it tells the reader is so."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest

from innovation.domain import (
    ApplyConclusion,
    ConcludeExperiment,
    Decision,
    Direction,
    DomainError,
    Outcome,
    RecordMeasurement,
    values,
)
from innovation.domain import deliveries as d
from innovation.domain.periods import Cadence
from tests.unit.domain.examples import (
    EXPERIMENT,
    IDEA,
    experimenting,
    measured,
    metric,
    on_target,
    score,
    start,
    started,
)
from tests.unit.domain.scenario import given

APRIL = datetime(2026, 4, 2, tzinfo=UTC)
QUEUED = d.DigestQueued(delivery_id="41", period="2026-H1", recipient="ceo@example.org")
SENT = d.DigestSent(delivery_id="41", attempt=1)
GAVE_UP = d.DeliveryFailed(delivery_id="41", attempt=1, error="550", retry_at=None)


def measure(name: str, measured_at: datetime) -> RecordMeasurement:
    return RecordMeasurement(
        experiment_id=EXPERIMENT, metric=name, value=1.0, measured_at=measured_at, now=APRIL
    )


def conclude(outcome: Outcome, decision: Decision) -> ConcludeExperiment:
    return ConcludeExperiment(experiment_id=EXPERIMENT, outcome=outcome, decision=decision)


def delivery(command: d.DeliveryCommand, *past: d.DeliveryEvent) -> Callable[[], Any]:
    return lambda: d.decide(command, d.fold(past))


def refused(decided: Any) -> Callable[[], Any]:
    """A scenario's ``when``, decided: it raises the refusal ``then`` would return."""
    return lambda: decided.then([])  # it raises before any event is compared


CASES: dict[str, tuple[Callable[[], Any], str]] = {
    "a value outside an enumeration": (
        lambda: values.validate_choice(Direction, "SIDEWAYS", "direction"),
        "direction must be one of HIGHER_IS_BETTER, LOWER_IS_BETTER, not 'SIDEWAYS'",
    ),
    "an impact off the ladder": (
        lambda: values.validate_score(score(impact=1.5)),
        "impact must be one of 0.25, 0.5, 1, 2, 3",
    ),
    "a target above the baseline when lower is better": (
        lambda: values.validate_metric(metric(target=1_200.0), "metrics[0]"),
        "metrics[0].target must be strictly below the baseline (1000) for LOWER_IS_BETTER",
    ),
    "a target below the baseline when higher is better": (
        lambda: values.validate_metric(
            metric(baseline=7.2, target=7.0, direction=Direction.HIGHER_IS_BETTER), "metrics[1]"
        ),
        "metrics[1].target must be strictly above the baseline (7.2) for HIGHER_IS_BETTER",
    ),
    "a blank text": (
        lambda: values.validate_summary("   "),
        "summary must not be empty",
    ),
    "a text too short": (
        lambda: values.validate_title("AI"),
        "title must have 3 to 200 characters (it has 2)",
    ),
    "a tab in a one-line text": (
        lambda: values.validate_title("Call\tassistant"),
        "title must not hold control or bidirectional-override characters; it holds U+0009",
    ),
    "a bell in a text of paragraphs": (
        lambda: values.validate_summary("Listen to calls\x07 and push sheets to advisers."),
        "summary must not hold control or bidirectional-override characters (newlines and tabs"
        " are fine); it holds U+0007",
    ),
    "a pilot that ends before it starts": (
        refused(given().when(start(starts_on=date(2026, 6, 30), ends_on=date(2026, 3, 1)))),
        "endsOn must not be before startsOn",
    ),
    "a measurement time without a zone": (
        refused(given(started()).when(measure("network alarms per day", datetime(2026, 4, 1)))),
        "measuredAt must carry a time zone",
    ),
    "a metric the experiment does not have": (
        refused(given(started()).when(measure("churn", datetime(2026, 4, 1, tzinfo=UTC)))),
        "the experiment has no metric 'churn' (it has: network alarms per day, customer"
        " satisfaction)",
    ),
    "an experiment validated with its metrics off target": (
        refused(
            given(
                started(),
                measured("network alarms per day", 900.0),
                measured("customer satisfaction", 7.5),
            ).when(conclude(Outcome.VALIDATED, Decision.SCALE))
        ),
        "these metrics missed their targets: network alarms per day, customer satisfaction",
    ),
    "an idea scaled on missed targets": (
        refused(
            given(experimenting()).when(
                ApplyConclusion(
                    idea_id=IDEA,
                    experiment_id=EXPERIMENT,
                    outcome=Outcome.VALIDATED,
                    decision=Decision.SCALE,
                    targets_met=False,
                )
            )
        ),
        "the experiment's metrics did not meet their targets",
    ),
    "scaling what was not validated": (
        refused(given(on_target()).when(conclude(Outcome.INCONCLUSIVE, Decision.SCALE))),
        "SCALE needs the outcome VALIDATED with every target met",
    ),
    "a cadence that does not divide the year": (
        lambda: Cadence(5),
        "a period lasts 1, 2, 3, 4, 6, 12 months, not 5",
    ),
    "a label that is not a period": (
        lambda: Cadence().parse("2026-X1"),
        "'2026-X1' is not a period of this cadence: write it like '2026-H2'",
    ),
    "a label that is not a quarter": (
        lambda: Cadence(3).parse("2026-H1"),
        "'2026-H1' is not a period of this cadence: write it like '2026-Q4'",
    ),
    "a period number the year does not have": (
        lambda: Cadence().parse("2026-H3"),
        "'2026-H3': a year has periods 1 to 2 at this cadence",
    ),
    "a year outside the calendar": (
        lambda: Cadence().parse("1899-H1"),
        "'1899-H1': periods run from 1970 to 9998",
    ),
    "a moment without a zone": (
        lambda: Cadence().period_of(datetime(2026, 1, 1)),
        "period_of needs an aware datetime, not a naive one",
    ),
    "a sending recorded for no delivery": (
        delivery(d.RecordSent(delivery_id="42", at=APRIL)),
        "there is no delivery '42'",
    ),
    "a failure recorded for no delivery": (
        delivery(d.RecordFailure(delivery_id="42", at=APRIL, error="451", retry=True)),
        "there is no delivery '42'",
    ),
    "a sending recorded for a delivery given up": (
        delivery(d.RecordSent(delivery_id="41", at=APRIL), QUEUED, GAVE_UP),
        "delivery 41 is already failed",
    ),
    "a failure recorded for a delivery sent": (
        delivery(
            d.RecordFailure(delivery_id="41", at=APRIL, error="451", retry=True), QUEUED, SENT
        ),
        "delivery 41 is already sent",
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_a_refusal_tells_the_reader_what_is_so(case: str):
    attempt, says = CASES[case]

    with pytest.raises((DomainError, ValueError)) as caught:
        attempt()

    assert str(caught.value) == says
