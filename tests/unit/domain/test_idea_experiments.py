"""An idea runs one experiment at a time, and the experiment's conclusion decides where it goes."""

from __future__ import annotations

import pytest

from innovation.domain import (
    ApplyConclusion,
    BeginExperiment,
    Decision,
    Event,
    ExperimentAlreadyRunningError,
    ExperimentAttached,
    ExperimentNotRunningError,
    IdeaClosedError,
    IdeaRejected,
    IdeaReturnedToScreening,
    IdeaValidated,
    InvalidInputError,
    InvalidTransitionError,
    Outcome,
    ScaleRequiresValidationError,
    Stage,
    TargetsNotMetError,
    ValidationRoute,
)
from tests.unit.domain.examples import (
    CLOSED,
    EXPERIMENT,
    IDEA,
    OTHER_EXPERIMENT,
    History,
    advanced,
    experimenting,
    experimenting_without_experiment,
    released,
    scouted,
    screening,
    unlisted,
    validated,
)
from tests.unit.domain.scenario import given


def conclusion(
    decision: Decision,
    outcome: Outcome = Outcome.VALIDATED,
    targets_met: bool = True,
    note: str | None = None,
    experiment_id: str = EXPERIMENT,
) -> ApplyConclusion:
    return ApplyConclusion(
        idea_id=IDEA,
        experiment_id=experiment_id,
        outcome=outcome,
        decision=decision,
        targets_met=targets_met,
        note=note,
    )


# Beginning


def test_beginning_an_experiment_moves_a_screened_idea_into_experimenting() -> None:
    idea = (
        given(screening())
        .when(BeginExperiment(idea_id=IDEA, experiment_id=EXPERIMENT))
        .then(
            [
                ExperimentAttached(idea_id=IDEA, experiment_id=EXPERIMENT),
                advanced(Stage.SCREENING, Stage.EXPERIMENTING),
            ]
        )
    )

    assert idea.stage is Stage.EXPERIMENTING
    assert idea.running_experiment == EXPERIMENT
    assert idea.experiments == (EXPERIMENT,)


def test_an_idea_already_experimenting_just_attaches_the_experiment() -> None:
    given(experimenting_without_experiment()).when(
        BeginExperiment(idea_id=IDEA, experiment_id=EXPERIMENT)
    ).then([ExperimentAttached(idea_id=IDEA, experiment_id=EXPERIMENT)])


def test_beginning_the_same_experiment_twice_gives_no_events() -> None:
    given(experimenting()).when(BeginExperiment(idea_id=IDEA, experiment_id=EXPERIMENT)).then([])


def test_an_idea_runs_one_experiment_at_a_time() -> None:
    given(experimenting()).when(BeginExperiment(idea_id=IDEA, experiment_id=OTHER_EXPERIMENT)).then(
        ExperimentAlreadyRunningError, running=EXPERIMENT
    )


@pytest.mark.parametrize("history", [scouted, validated, released], ids=lambda h: h.__name__)
def test_an_experiment_begins_only_from_screening_or_experimenting(history: History) -> None:
    given(history()).when(BeginExperiment(idea_id=IDEA, experiment_id=OTHER_EXPERIMENT)).then(
        InvalidTransitionError, to_stage=Stage.EXPERIMENTING
    )


@pytest.mark.parametrize("history", CLOSED.values(), ids=CLOSED.keys())
def test_a_closed_idea_begins_no_experiment(history: History) -> None:
    given(history()).when(BeginExperiment(idea_id=IDEA, experiment_id=EXPERIMENT)).then(
        IdeaClosedError
    )


# Conclusions


def test_a_validated_experiment_that_met_its_targets_scales_the_idea() -> None:
    idea = (
        given(experimenting())
        .when(conclusion(Decision.SCALE, note="Alarms down 70 %."))
        .then(
            [
                IdeaValidated(
                    idea_id=IDEA,
                    experiment_id=EXPERIMENT,
                    via=ValidationRoute.EXPERIMENT,
                    reason="Alarms down 70 %.",
                )
            ]
        )
    )

    assert idea.stage is Stage.VALIDATED
    assert idea.validated_via is ValidationRoute.EXPERIMENT
    assert idea.running_experiment is None


@pytest.mark.parametrize("outcome", [Outcome.INVALIDATED, Outcome.INCONCLUSIVE])
def test_only_a_validated_outcome_can_be_scaled(outcome: Outcome) -> None:
    error = (
        given(experimenting())
        .when(conclusion(Decision.SCALE, outcome=outcome))
        .then(ScaleRequiresValidationError, field="decision")
    )
    assert error.code == "VALIDATION"


def test_scaling_needs_the_targets_met() -> None:
    given(experimenting()).when(conclusion(Decision.SCALE, targets_met=False)).then(
        TargetsNotMetError
    )


def test_iterating_sends_the_idea_back_to_screening() -> None:
    idea = (
        given(experimenting())
        .when(conclusion(Decision.ITERATE, outcome=Outcome.INCONCLUSIVE, note="Too few calls."))
        .then(
            [
                IdeaReturnedToScreening(
                    idea_id=IDEA, experiment_id=EXPERIMENT, reason="Too few calls."
                )
            ]
        )
    )

    assert idea.stage is Stage.SCREENING
    assert idea.running_experiment is None


def test_after_iterating_a_new_experiment_can_begin() -> None:
    given(
        experimenting(),
        IdeaReturnedToScreening(idea_id=IDEA, experiment_id=EXPERIMENT),
    ).when(BeginExperiment(idea_id=IDEA, experiment_id=OTHER_EXPERIMENT)).then(
        [
            ExperimentAttached(idea_id=IDEA, experiment_id=OTHER_EXPERIMENT),
            advanced(Stage.SCREENING, Stage.EXPERIMENTING),
        ]
    )


def test_stopping_rejects_the_idea_with_the_note_as_reason() -> None:
    idea = (
        given(experimenting())
        .when(conclusion(Decision.STOP, outcome=Outcome.INVALIDATED, note="No effect on alarms."))
        .then([IdeaRejected(idea_id=IDEA, reason="No effect on alarms.", experiment_id=EXPERIMENT)])
    )

    assert idea.stage is Stage.REJECTED
    assert idea.running_experiment is None


def test_stopping_without_a_note_gives_a_plain_reason() -> None:
    given(experimenting()).when(conclusion(Decision.STOP, outcome=Outcome.INVALIDATED)).then(
        [IdeaRejected(idea_id=IDEA, reason="stopped after experiment", experiment_id=EXPERIMENT)]
    )


def test_only_the_running_experiment_concludes_for_the_idea() -> None:
    given(experimenting()).when(conclusion(Decision.SCALE, experiment_id=OTHER_EXPERIMENT)).then(
        ExperimentNotRunningError, experiment_id=OTHER_EXPERIMENT
    )


def test_an_idea_without_a_running_experiment_has_no_conclusion_to_apply() -> None:
    given(screening()).when(conclusion(Decision.ITERATE)).then(ExperimentNotRunningError)


CONCLUDED_WITHOUT_NOTE: dict[Decision, Event] = {
    Decision.SCALE: IdeaValidated(
        idea_id=IDEA, experiment_id=EXPERIMENT, via=ValidationRoute.EXPERIMENT
    ),
    Decision.ITERATE: IdeaReturnedToScreening(idea_id=IDEA, experiment_id=EXPERIMENT),
    Decision.STOP: IdeaRejected(
        idea_id=IDEA, reason="stopped after experiment", experiment_id=EXPERIMENT
    ),
}


@pytest.mark.parametrize("decision", list(Decision), ids=lambda d: d.value)
def test_applying_the_same_conclusion_twice_gives_no_events(decision: Decision) -> None:
    outcome = Outcome.VALIDATED if decision is Decision.SCALE else Outcome.INCONCLUSIVE
    concluded = CONCLUDED_WITHOUT_NOTE[decision]
    given(experimenting()).when(conclusion(decision, outcome=outcome)).then([concluded])

    given(experimenting(), concluded).when(conclusion(decision, outcome=outcome)).then([])


def test_a_conclusion_note_has_a_length_limit() -> None:
    given(experimenting()).when(conclusion(Decision.ITERATE, note="x" * 5_001)).then(
        InvalidInputError, field="note"
    )


@pytest.mark.parametrize(
    ("command", "field"),
    [
        (conclusion(Decision.ITERATE, outcome=unlisted("MAYBE")), "outcome"),
        (conclusion(unlisted("PAUSE")), "decision"),
    ],
    ids=["outcome", "decision"],
)
def test_a_conclusion_outside_the_lists_is_refused_naming_the_field(
    command: ApplyConclusion, field: str
) -> None:
    given(experimenting()).when(command).then(InvalidInputError, field=field)
