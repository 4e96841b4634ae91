"""A command with several bad values is refused with every one of them, each under its own
field, as a submission is: the lead fixes the whole form in one go rather than a field a try.
A refusal of one value alone stays that value's own error."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime

from innovation.domain import (
    AmendExperiment,
    Decision,
    InvalidInputError,
    InvalidInputsError,
    Outcome,
    Verdict,
)
from tests.unit.domain.examples import measured, scouted, started
from tests.unit.domain.scenario import given
from tests.unit.domain.test_ethics_review import REQUESTED, record
from tests.unit.domain.test_experiments import ALARMS, conclude, measure
from tests.unit.domain.test_measurement_dates_and_corrections import correct

FUTURE = datetime(2999, 1, 1, tzinfo=UTC)


def fields(error: InvalidInputsError) -> list[str | None]:
    return [each.field for each in error.errors]


def test_a_measurement_with_no_number_and_a_future_date_is_refused_for_both() -> None:
    error = given(started()).when(measure(value=math.nan, at=FUTURE)).then(InvalidInputsError)

    assert fields(error) == ["value", "measuredAt"]


def test_a_correction_is_refused_for_every_bad_value_of_its_input() -> None:
    history = given(started(), measured(ALARMS, 320.0))

    error = history.when(
        correct(measurement=7, value=math.inf, reason=" ", measured_at=FUTURE)
    ).then(InvalidInputsError)

    assert fields(error) == ["value", "reason", "measurement", "measuredAt"]
    assert "has no measurement 7 (its measurements: 2)" in error.errors[2].message


def test_a_correction_of_a_measurement_that_does_not_exist_alone_says_so() -> None:
    error = given(started()).when(correct(measurement=3)).then(InvalidInputError)

    assert error.field == "measurement"
    assert error.message.endswith("(its measurements: none)")


def test_an_amendment_is_refused_for_every_bad_value_of_its_input() -> None:
    history = given(started(), measured(ALARMS, 320.0, day=15))
    amend = AmendExperiment(
        experiment_id="exp-luxembourg",
        hypothesis=" ",
        pilot_site="",
        starts_on=date(2026, 5, 1),
        ends_on=date(2026, 4, 1),
        reason="",
    )

    error = history.when(amend).then(InvalidInputsError)

    assert fields(error) == ["reason", "hypothesis", "pilotSite", "endsOn", "startsOn"]
    assert error.errors[-1].message == (
        "startsOn must not be after the first measurement, on 2026-04-15"
    )


def test_a_conclusion_is_refused_for_every_bad_value_of_its_input() -> None:
    bad = conclude(outcome="MAYBE", decision="LATER", note="x" * 5001)  # type: ignore[arg-type]

    error = given(started()).when(bad).then(InvalidInputsError)

    assert fields(error) == ["note", "outcome", "decision"]


def test_a_conclusion_with_one_bad_value_is_refused_for_that_value() -> None:
    late = conclude(Outcome.INCONCLUSIVE, Decision.STOP, note="x" * 5001)

    given(started()).when(late).then(InvalidInputError, field="note")


def test_a_verdict_is_refused_for_every_bad_value_of_its_input() -> None:
    history = given(scouted(uses_ai=True), REQUESTED)
    bad = record("MAYBE", reviewers=(), note="n" * 5001)  # type: ignore[arg-type]

    error = history.when(bad).then(InvalidInputsError)

    assert fields(error) == ["reviewers", "note", "verdict"]
    history.when(record(Verdict.APPROVED, reviewers=())).then(InvalidInputError, field="reviewers")
