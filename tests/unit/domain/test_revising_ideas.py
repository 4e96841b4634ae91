"""Scouts revise their ideas; a material change asks for a fresh ethics look."""

from __future__ import annotations

import pytest

from innovation.domain import (
    IdeaAlreadyReleasedError,
    IdeaClosedError,
    IdeaRevised,
    InvalidInputError,
    ReviseIdea,
    Stage,
)
from tests.unit.domain.examples import (
    CLOSED,
    IDEA,
    History,
    provenance,
    released,
    scouted,
    validated,
)
from tests.unit.domain.scenario import given


def test_a_new_title_is_a_material_revision() -> None:
    idea = (
        given(scouted())
        .when(ReviseIdea(idea_id=IDEA, title="Real-time call assistant"))
        .then([IdeaRevised(idea_id=IDEA, title="Real-time call assistant", material=True)])
    )

    assert idea.title == "Real-time call assistant"
    assert idea.last_material_version == 2


def test_starting_to_use_personal_data_is_a_material_revision() -> None:
    given(scouted()).when(ReviseIdea(idea_id=IDEA, uses_personal_data=True)).then(
        [IdeaRevised(idea_id=IDEA, uses_personal_data=True, material=True)]
    )


def test_new_themes_and_provenance_are_not_material() -> None:
    new_provenance = provenance(organisation="Orange Belgium", country="BE")

    idea = (
        given(scouted())
        .when(ReviseIdea(idea_id=IDEA, themes=("cybersecurity",), provenance=new_provenance))
        .then(
            [
                IdeaRevised(
                    idea_id=IDEA,
                    themes=("cybersecurity",),
                    provenance=new_provenance,
                    material=False,
                )
            ]
        )
    )

    assert idea.themes == ("cybersecurity",)
    assert idea.last_material_version == 1


def test_only_the_fields_that_changed_are_in_the_revision() -> None:
    given(scouted()).when(
        ReviseIdea(
            idea_id=IDEA,
            title="Live call assistant for advisers",
            summary="A shorter summary.",
            uses_ai=False,
        )
    ).then([IdeaRevised(idea_id=IDEA, summary="A shorter summary.", material=True)])


def test_a_revision_that_changes_nothing_gives_no_events() -> None:
    given(scouted()).when(
        ReviseIdea(idea_id=IDEA, title="  Live call assistant for advisers ", uses_ai=False)
    ).then([])


def test_an_empty_revision_gives_no_events() -> None:
    given(scouted()).when(ReviseIdea(idea_id=IDEA)).then([])


@pytest.mark.parametrize(
    ("command", "field"),
    [
        (ReviseIdea(idea_id=IDEA, title="no"), "title"),
        (ReviseIdea(idea_id=IDEA, summary=""), "summary"),
        (ReviseIdea(idea_id=IDEA, themes=()), "themes"),
        (ReviseIdea(idea_id=IDEA, provenance=provenance(country="ZZ")), "provenance.country"),
    ],
)
def test_an_invalid_revision_is_refused_naming_the_field(command: ReviseIdea, field: str) -> None:
    given(scouted()).when(command).then(InvalidInputError, field=field)


def test_a_validated_idea_can_still_be_revised() -> None:
    given(validated()).when(ReviseIdea(idea_id=IDEA, title="Call assistant v2")).then(
        [IdeaRevised(idea_id=IDEA, title="Call assistant v2", material=True)]
    )


@pytest.mark.parametrize("history", CLOSED.values(), ids=CLOSED.keys())
def test_a_closed_idea_cannot_be_revised(history: History) -> None:
    given(history()).when(ReviseIdea(idea_id=IDEA, title="Second life")).then(
        IdeaClosedError, idea_id=IDEA
    )


def test_a_released_idea_cannot_be_revised() -> None:
    error = (
        given(released())
        .when(ReviseIdea(idea_id=IDEA, title="Second life"))
        .then(IdeaAlreadyReleasedError, release_id="2026-H1")
    )
    assert error.code == "INVALID_TRANSITION"


def test_revising_keeps_the_stage() -> None:
    idea = (
        given(validated())
        .when(ReviseIdea(idea_id=IDEA, uses_ai=True))
        .then([IdeaRevised(idea_id=IDEA, uses_ai=True, material=True)])
    )
    assert idea.stage is Stage.VALIDATED
