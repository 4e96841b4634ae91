"""Leads score ideas with RICE and strategic fit; every score stays in the history."""

from __future__ import annotations

import math

import pytest

from innovation.domain import (
    IdeaAlreadyReleasedError,
    IdeaClosedError,
    IdeaScored,
    InvalidInputError,
    ScoreIdea,
)
from tests.unit.domain.examples import CLOSED, IDEA, History, released, score, scouted, screening
from tests.unit.domain.scenario import given


def test_a_lead_scores_an_idea_with_its_rice() -> None:
    idea = (
        given(screening())
        .when(ScoreIdea(idea_id=IDEA, score=score()))
        .then([IdeaScored(idea_id=IDEA, score=score(), rice=7_200.0)])
    )

    assert idea.score == score()


def test_rice_is_reach_times_impact_times_confidence_over_effort() -> None:
    assert score(reach=1_000, impact=0.5, confidence=0.5, effort=2).rice == 125.0


def test_a_new_score_adds_to_the_history_and_becomes_the_current_one() -> None:
    first = IdeaScored(idea_id=IDEA, score=score(), rice=score().rice)
    better = score(confidence=1.0)

    idea = (
        given(scouted(), first)
        .when(ScoreIdea(idea_id=IDEA, score=better))
        .then([IdeaScored(idea_id=IDEA, score=better, rice=9_000.0)])
    )

    assert idea.score == better


def test_the_same_score_twice_gives_no_events() -> None:
    given(scouted(), IdeaScored(idea_id=IDEA, score=score(), rice=score().rice)).when(
        ScoreIdea(idea_id=IDEA, score=score())
    ).then([])


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"reach": -1}, "reach"),
        ({"reach": 2.5}, "reach"),
        ({"reach": 10**11}, "reach"),
        ({"impact": 1.5}, "impact"),
        ({"impact": 0}, "impact"),
        ({"confidence": 1.2}, "confidence"),
        ({"confidence": -0.1}, "confidence"),
        ({"confidence": math.nan}, "confidence"),
        ({"effort": 0}, "effort"),
        ({"effort": -3}, "effort"),
        ({"effort": math.inf}, "effort"),
        ({"effort": 1e308}, "effort"),
        ({"effort": 0.01}, "effort"),
        ({"strategic_fit": 6}, "strategicFit"),
        ({"strategic_fit": -1}, "strategicFit"),
        ({"strategic_fit": 2.5}, "strategicFit"),
    ],
    ids=lambda value: str(value),
)
def test_a_score_off_its_scales_is_refused_naming_the_field(
    changes: dict[str, object], field: str
) -> None:
    given(scouted()).when(ScoreIdea(idea_id=IDEA, score=score(**changes))).then(
        InvalidInputError, field=field
    )


@pytest.mark.parametrize("impact", [0.25, 0.5, 1, 2, 3])
def test_impact_is_one_of_the_five_levels(impact: float) -> None:
    given(scouted()).when(ScoreIdea(idea_id=IDEA, score=score(impact=impact))).then(
        [
            IdeaScored(
                idea_id=IDEA, score=score(impact=float(impact)), rice=score(impact=impact).rice
            )
        ]
    )


def test_zero_reach_and_zero_confidence_are_allowed() -> None:
    zero = score(reach=0, confidence=0, strategic_fit=0)
    given(scouted()).when(ScoreIdea(idea_id=IDEA, score=zero)).then(
        [IdeaScored(idea_id=IDEA, score=zero, rice=0.0)]
    )


@pytest.mark.parametrize("history", CLOSED.values(), ids=CLOSED.keys())
def test_a_closed_idea_cannot_be_scored(history: History) -> None:
    given(history()).when(ScoreIdea(idea_id=IDEA, score=score())).then(IdeaClosedError)


def test_a_released_idea_cannot_be_scored() -> None:
    given(released()).when(ScoreIdea(idea_id=IDEA, score=score())).then(IdeaAlreadyReleasedError)


def test_every_value_off_its_scale_is_reported_at_once_each_with_its_path():
    from innovation.domain.errors import InvalidInputsError
    from innovation.domain.ideas import ScoreIdea

    bad = score(reach=-1, impact=7, effort=0)

    refused = given(screening()).when(ScoreIdea(idea_id=IDEA, score=bad)).then(InvalidInputsError)

    assert [error.field for error in refused.errors] == [
        "reach",
        "impact",
        "effort",
    ]
