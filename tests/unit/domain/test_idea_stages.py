"""Ideas move along the pipeline by hand one step at a time, and leave it with a reason."""

from __future__ import annotations

import pytest

from innovation.domain import (
    AdvanceIdea,
    EthicsApprovalRequiredError,
    EthicsReviewRecorded,
    EthicsReviewRequested,
    ExperimentStillRunningError,
    IdeaAlreadyReleasedError,
    IdeaClosedError,
    IdeaRejected,
    IdeaReleased,
    IdeaValidated,
    InvalidInputError,
    InvalidTransitionError,
    MarkReleased,
    OverrideValidation,
    RejectIdea,
    Stage,
    ValidationRoute,
    Verdict,
)
from tests.unit.domain.examples import (
    CLOSED,
    EXPERIMENT,
    IDEA,
    RELEASE,
    History,
    advanced,
    experimenting,
    experimenting_without_experiment,
    merged,
    rejected,
    released,
    scouted,
    screening,
    unlisted,
    validated,
)
from tests.unit.domain.scenario import given

REASON = "Validated by the Luxembourg board on pilot figures."


# Manual moves


def test_a_scouted_idea_goes_into_screening() -> None:
    idea = (
        given(scouted())
        .when(AdvanceIdea(idea_id=IDEA, to_stage=Stage.SCREENING, reason=" Worth a look "))
        .then([advanced(Stage.SCOUTED, Stage.SCREENING, reason="Worth a look")])
    )

    assert idea.stage is Stage.SCREENING


def test_a_screened_idea_can_be_moved_into_experimenting_by_hand() -> None:
    given(screening()).when(AdvanceIdea(idea_id=IDEA, to_stage=Stage.EXPERIMENTING)).then(
        [advanced(Stage.SCREENING, Stage.EXPERIMENTING)]
    )


def test_an_idea_cannot_skip_screening() -> None:
    given(scouted()).when(AdvanceIdea(idea_id=IDEA, to_stage=Stage.EXPERIMENTING)).then(
        InvalidTransitionError, from_stage=Stage.SCOUTED, to_stage=Stage.EXPERIMENTING
    )


@pytest.mark.parametrize(
    ("history", "to_stage"),
    [
        (screening, Stage.VALIDATED),
        (experimenting_without_experiment, Stage.VALIDATED),
        (validated, Stage.RELEASED),
        (screening, Stage.REJECTED),
        (scouted, Stage.MERGED),
        (experimenting, Stage.SCREENING),
        (screening, Stage.SCOUTED),
        (released, Stage.VALIDATED),
    ],
    ids=lambda value: getattr(value, "__name__", str(value)),
)
def test_only_the_first_two_steps_are_manual_moves(history: History, to_stage: Stage) -> None:
    given(history()).when(AdvanceIdea(idea_id=IDEA, to_stage=to_stage)).then(
        InvalidTransitionError, to_stage=to_stage
    )


@pytest.mark.parametrize(
    ("to_stage", "how"),
    [
        (Stage.SCOUTED, "an idea is SCOUTED only when it is submitted"),
        (
            Stage.SCREENING,
            "an idea goes to SCREENING from SCOUTED, back to it from EXPERIMENTING by an "
            "experiment concluded with ITERATE, and from REJECTED by reopenIdea",
        ),
        (
            Stage.EXPERIMENTING,
            "an idea goes to EXPERIMENTING from SCREENING, by startExperiment",
        ),
        (
            Stage.VALIDATED,
            "an idea is validated from SCREENING or EXPERIMENTING, by an experiment concluded "
            "VALIDATED or by overrideValidation",
        ),
        (Stage.RELEASED, "an idea is released by its period's release, once VALIDATED"),
        (Stage.REJECTED, "rejectIdea rejects an idea that is not released"),
        (Stage.MERGED, "mergeIdea merges an idea that is SCOUTED or SCREENING into another"),
    ],
)
def test_a_move_refused_says_how_an_idea_gets_to_that_stage(to_stage: Stage, how: str) -> None:
    error = InvalidTransitionError(Stage.RELEASED, to_stage)

    assert error.message == f"an idea cannot move from RELEASED to {to_stage}: {how}"


def test_a_stage_with_no_way_to_tell_is_refused_without_one() -> None:
    error = InvalidTransitionError("SCOUTED", "LIMBO")

    assert error.message == "an idea cannot move from SCOUTED to LIMBO"


def test_advancing_to_the_stage_the_idea_is_in_gives_no_events() -> None:
    given(screening()).when(AdvanceIdea(idea_id=IDEA, to_stage=Stage.SCREENING)).then([])


@pytest.mark.parametrize("history", CLOSED.values(), ids=CLOSED.keys())
def test_a_closed_idea_does_not_advance(history: History) -> None:
    given(history()).when(AdvanceIdea(idea_id=IDEA, to_stage=Stage.SCREENING)).then(IdeaClosedError)


def test_a_reason_for_a_move_has_a_length_limit() -> None:
    given(scouted()).when(
        AdvanceIdea(idea_id=IDEA, to_stage=Stage.SCREENING, reason="x" * 2_001)
    ).then(InvalidInputError, field="reason")


# Rejection


@pytest.mark.parametrize(
    "history",
    [scouted, screening, experimenting_without_experiment, validated],
    ids=lambda history: history.__name__,
)
def test_an_idea_can_be_rejected_with_a_reason(history: History) -> None:
    idea = (
        given(history())
        .when(RejectIdea(idea_id=IDEA, reason="  Duplicates what we already sell. "))
        .then([IdeaRejected(idea_id=IDEA, reason="Duplicates what we already sell.")])
    )

    assert idea.stage is Stage.REJECTED
    assert idea.rejection_reason == "Duplicates what we already sell."


@pytest.mark.parametrize("reason", ["", "no", "x" * 2_001])
def test_a_rejection_needs_a_reason_of_three_to_two_thousand_characters(reason: str) -> None:
    given(scouted()).when(RejectIdea(idea_id=IDEA, reason=reason)).then(
        InvalidInputError, field="reason"
    )


def test_rejecting_a_rejected_idea_gives_no_events() -> None:
    given(rejected()).when(RejectIdea(idea_id=IDEA, reason="Still too costly.")).then([])


def test_an_idea_cannot_be_rejected_while_its_experiment_runs() -> None:
    error = (
        given(experimenting())
        .when(RejectIdea(idea_id=IDEA, reason="Changed our mind"))
        .then(ExperimentStillRunningError, running=EXPERIMENT)
    )
    assert "STOP" in error.message


def test_a_released_idea_cannot_be_rejected() -> None:
    given(released()).when(RejectIdea(idea_id=IDEA, reason="Too late")).then(
        InvalidTransitionError, from_stage=Stage.RELEASED, to_stage=Stage.REJECTED
    )


def test_a_merged_idea_cannot_be_rejected() -> None:
    given(merged()).when(RejectIdea(idea_id=IDEA, reason="Not needed")).then(IdeaClosedError)


# Override


@pytest.mark.parametrize(
    "history", [screening, experimenting_without_experiment], ids=lambda h: h.__name__
)
def test_a_lead_can_validate_an_idea_by_override_with_a_written_reason(history: History) -> None:
    idea = (
        given(history())
        .when(OverrideValidation(idea_id=IDEA, reason=REASON))
        .then(
            [
                IdeaValidated(
                    idea_id=IDEA, experiment_id=None, via=ValidationRoute.OVERRIDE, reason=REASON
                )
            ]
        )
    )

    assert idea.stage is Stage.VALIDATED
    assert idea.validated_via is ValidationRoute.OVERRIDE


def test_an_override_needs_a_reason_of_at_least_twenty_characters() -> None:
    given(screening()).when(OverrideValidation(idea_id=IDEA, reason="Because I said so.")).then(
        InvalidInputError, field="reason"
    )


def test_an_override_cannot_cut_a_running_experiment_short() -> None:
    given(experimenting()).when(OverrideValidation(idea_id=IDEA, reason=REASON)).then(
        ExperimentStillRunningError
    )


def test_a_scouted_idea_cannot_be_validated_by_override() -> None:
    given(scouted()).when(OverrideValidation(idea_id=IDEA, reason=REASON)).then(
        InvalidTransitionError, from_stage=Stage.SCOUTED, to_stage=Stage.VALIDATED
    )


def test_overriding_a_validated_idea_gives_no_events() -> None:
    given(validated()).when(OverrideValidation(idea_id=IDEA, reason=REASON)).then([])


@pytest.mark.parametrize("history", CLOSED.values(), ids=CLOSED.keys())
def test_a_closed_idea_cannot_be_validated_by_override(history: History) -> None:
    given(history()).when(OverrideValidation(idea_id=IDEA, reason=REASON)).then(IdeaClosedError)


# Release


def test_a_validated_idea_is_released() -> None:
    idea = (
        given(validated())
        .when(MarkReleased(idea_id=IDEA, release_id=RELEASE))
        .then([IdeaReleased(idea_id=IDEA, release_id=RELEASE)])
    )

    assert idea.stage is Stage.RELEASED
    assert idea.release_id == RELEASE


@pytest.mark.parametrize("history", [scouted, screening, experimenting], ids=lambda h: h.__name__)
def test_only_a_validated_idea_is_released(history: History) -> None:
    given(history()).when(MarkReleased(idea_id=IDEA, release_id=RELEASE)).then(
        InvalidTransitionError, to_stage=Stage.RELEASED
    )


def test_releasing_twice_in_the_same_release_gives_no_events() -> None:
    given(released()).when(MarkReleased(idea_id=IDEA, release_id=RELEASE)).then([])


def test_an_idea_ships_in_one_release_only() -> None:
    given(released()).when(MarkReleased(idea_id=IDEA, release_id="2026-H2")).then(
        IdeaAlreadyReleasedError, release_id=RELEASE
    )


def test_an_idea_using_ai_is_not_released_without_an_ethics_approval() -> None:
    given(validated(uses_ai=True)).when(MarkReleased(idea_id=IDEA, release_id=RELEASE)).then(
        EthicsApprovalRequiredError, status="REQUIRED"
    )


def test_an_approved_idea_using_ai_is_released() -> None:
    given(
        validated(uses_ai=True),
        EthicsReviewRequested(idea_id=IDEA),
        EthicsReviewRecorded(idea_id=IDEA, verdict=Verdict.APPROVED, reviewers=("Ines",)),
    ).when(MarkReleased(idea_id=IDEA, release_id=RELEASE)).then(
        [IdeaReleased(idea_id=IDEA, release_id=RELEASE)]
    )


@pytest.mark.parametrize("history", CLOSED.values(), ids=CLOSED.keys())
def test_a_closed_idea_is_not_released(history: History) -> None:
    given(history()).when(MarkReleased(idea_id=IDEA, release_id=RELEASE)).then(IdeaClosedError)


def test_a_stage_the_pipeline_does_not_know_is_refused_naming_the_field() -> None:
    given(scouted()).when(AdvanceIdea(idea_id=IDEA, to_stage=unlisted("LAUNCHED"))).then(
        InvalidInputError, field="toStage"
    )
