"""A duplicate closes into the idea that survives it, and the survivor remembers it."""

from __future__ import annotations

import pytest

from innovation.domain import (
    AbsorbDuplicate,
    CannotMergeIntoItselfError,
    ClosedSurvivorError,
    DuplicateAbsorbed,
    IdeaClosedError,
    IdeaMerged,
    InvalidTransitionError,
    MergeIdea,
    Stage,
)
from tests.unit.domain.examples import (
    CLOSED,
    IDEA,
    OTHER_IDEA,
    History,
    experimenting,
    merged,
    rejected,
    released,
    scouted,
    screening,
    validated,
)
from tests.unit.domain.scenario import given


@pytest.mark.parametrize("history", [scouted, screening], ids=lambda h: h.__name__)
def test_a_duplicate_is_merged_into_another_idea(history: History) -> None:
    idea = (
        given(history())
        .when(MergeIdea(idea_id=IDEA, into_idea_id=OTHER_IDEA))
        .then([IdeaMerged(idea_id=IDEA, into_idea_id=OTHER_IDEA)])
    )

    assert idea.stage is Stage.MERGED
    assert idea.merged_into == OTHER_IDEA


def test_an_idea_cannot_be_merged_into_itself() -> None:
    error = (
        given(scouted())
        .when(MergeIdea(idea_id=IDEA, into_idea_id=IDEA))
        .then(CannotMergeIntoItselfError, field="intoIdeaId")
    )
    assert error.code == "VALIDATION"


@pytest.mark.parametrize("history", [experimenting, validated, released], ids=lambda h: h.__name__)
def test_an_idea_past_screening_is_not_merged(history: History) -> None:
    given(history()).when(MergeIdea(idea_id=IDEA, into_idea_id=OTHER_IDEA)).then(
        InvalidTransitionError, to_stage=Stage.MERGED
    )


def test_merging_again_into_the_same_idea_gives_no_events() -> None:
    given(merged()).when(MergeIdea(idea_id=IDEA, into_idea_id=OTHER_IDEA)).then([])


@pytest.mark.parametrize("history", CLOSED.values(), ids=CLOSED.keys())
def test_a_closed_idea_is_not_merged_elsewhere(history: History) -> None:
    given(history()).when(MergeIdea(idea_id=IDEA, into_idea_id="idea-third")).then(IdeaClosedError)


def test_the_survivor_absorbs_the_duplicate() -> None:
    idea = (
        given(screening())
        .when(AbsorbDuplicate(idea_id=IDEA, duplicate_id=OTHER_IDEA))
        .then([DuplicateAbsorbed(idea_id=IDEA, duplicate_id=OTHER_IDEA)])
    )

    assert idea.absorbed == (OTHER_IDEA,)
    assert idea.stage is Stage.SCREENING


@pytest.mark.parametrize(
    "history", [scouted, experimenting, validated, released], ids=lambda h: h.__name__
)
def test_any_open_idea_can_survive_a_duplicate(history: History) -> None:
    given(history()).when(AbsorbDuplicate(idea_id=IDEA, duplicate_id=OTHER_IDEA)).then(
        [DuplicateAbsorbed(idea_id=IDEA, duplicate_id=OTHER_IDEA)]
    )


def test_absorbing_the_same_duplicate_twice_gives_no_events() -> None:
    given(scouted(), DuplicateAbsorbed(idea_id=IDEA, duplicate_id=OTHER_IDEA)).when(
        AbsorbDuplicate(idea_id=IDEA, duplicate_id=OTHER_IDEA)
    ).then([])


@pytest.mark.parametrize("history", CLOSED.values(), ids=CLOSED.keys())
def test_a_closed_idea_cannot_survive_a_duplicate(history: History) -> None:
    given(history()).when(AbsorbDuplicate(idea_id=IDEA, duplicate_id="idea-third")).then(
        ClosedSurvivorError, field="intoIdeaId"
    )


def test_a_merged_survivor_names_the_idea_to_merge_into_instead() -> None:
    error = (
        given(merged())
        .when(AbsorbDuplicate(idea_id=IDEA, duplicate_id="idea-third"))
        .then(ClosedSurvivorError, merged_into=OTHER_IDEA)
    )
    assert error.message.endswith(f"merged into idea {OTHER_IDEA!r}; merge into that one instead")


def test_a_rejected_survivor_says_it_was_rejected() -> None:
    error = (
        given(rejected())
        .when(AbsorbDuplicate(idea_id=IDEA, duplicate_id="idea-third"))
        .then(ClosedSurvivorError, merged_into=None)
    )
    assert "it is REJECTED" in error.message


def test_an_idea_cannot_absorb_itself() -> None:
    given(scouted()).when(AbsorbDuplicate(idea_id=IDEA, duplicate_id=IDEA)).then(
        CannotMergeIntoItselfError, field="intoIdeaId"
    )
