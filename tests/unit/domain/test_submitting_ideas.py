"""Scouts bring ideas in; the same submission twice is one idea."""

from __future__ import annotations

import pytest

from innovation.domain import (
    AbsorbDuplicate,
    AdvanceIdea,
    ApplyConclusion,
    BeginExperiment,
    Decision,
    IdeaAlreadyExistsError,
    IdeaNotFoundError,
    IdeaSubmitted,
    InvalidInputError,
    InvalidInputsError,
    MarkReleased,
    MergeIdea,
    Outcome,
    OverrideValidation,
    RecordEthicsReview,
    RejectIdea,
    RequestEthicsReview,
    ReviseIdea,
    ScoreIdea,
    Stage,
    Verdict,
)
from tests.unit.domain.examples import (
    EXPERIMENT,
    IDEA,
    OTHER_IDEA,
    provenance,
    score,
    scouted,
    submit,
    submitted,
    unlisted,
)
from tests.unit.domain.scenario import given


def test_a_scout_submits_an_idea() -> None:
    idea = given().when(submit()).then([submitted()])

    assert idea.exists
    assert idea.stage is Stage.SCOUTED
    assert idea.version == 1
    assert idea.last_material_version == 1


def test_a_submission_with_several_bad_values_is_refused_naming_each_of_them() -> None:
    command = submit(title="x", provenance=provenance(organisation=" ", country="XX"))

    error = given().when(command).then(InvalidInputsError)

    assert [each.field for each in error.errors] == [
        "title",
        "provenance.organisation",
        "provenance.country",
    ]
    assert error.field == "title"
    assert error.message == "; ".join(each.message for each in error.errors)


def test_a_submission_with_one_bad_value_is_refused_naming_that_one() -> None:
    given().when(submit(title="x")).then(InvalidInputError, field="title")


def test_a_submission_is_trimmed_and_its_country_upper_cased() -> None:
    command = submit(
        title="  Live call assistant  ",
        summary="\nPush product sheets to advisers.\n",
        provenance=provenance(organisation=" Orange Luxembourg ", country="lu"),
    )

    given().when(command).then(
        [
            submitted(
                title="Live call assistant",
                summary="Push product sheets to advisers.",
                provenance=provenance(country="LU"),
            )
        ]
    )


def test_the_same_submission_twice_gives_no_events() -> None:
    given(scouted()).when(submit()).then([])


def test_a_different_submission_under_a_taken_id_is_a_conflict() -> None:
    error = (
        given(scouted())
        .when(submit(title="Another idea entirely", scout="scout-ben"))
        .then(IdeaAlreadyExistsError, idea_id=IDEA, scout="scout-ana")
    )
    assert error.code == "CONFLICT"


def test_a_theme_outside_the_default_list_is_left_to_the_service() -> None:
    given().when(submit(themes=("quantum-sensing",))).then([submitted(themes=("quantum-sensing",))])


def test_a_blank_url_counts_as_absent() -> None:
    given().when(submit(provenance=provenance(url="  "))).then(
        [submitted(provenance=provenance(url=None))]
    )


def test_an_idea_without_a_url_is_accepted() -> None:
    given().when(submit(provenance=provenance(url=None))).then(
        [submitted(provenance=provenance(url=None))]
    )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        pytest.param({"title": "ab"}, "title", id="title too short"),
        pytest.param({"title": "  a   "}, "title", id="title short once trimmed"),
        pytest.param({"title": "x" * 201}, "title", id="title too long"),
        pytest.param({"summary": "   "}, "summary", id="summary blank"),
        pytest.param({"summary": "x" * 5_001}, "summary", id="summary too long"),
        pytest.param(
            {"provenance": provenance(organisation="")},
            "provenance.organisation",
            id="organisation blank",
        ),
        pytest.param(
            {"provenance": provenance(organisation="x" * 201)},
            "provenance.organisation",
            id="organisation too long",
        ),
        pytest.param(
            {"provenance": provenance(source_kind=unlisted("BLOG"))},
            "provenance.sourceKind",
            id="source kind outside the list",
        ),
        pytest.param(
            {"provenance": provenance(country="XX")}, "provenance.country", id="unknown country"
        ),
        pytest.param(
            {"provenance": provenance(country="FRA")}, "provenance.country", id="alpha-3 country"
        ),
        pytest.param(
            {"provenance": provenance(url="ftp://example.org/x")},
            "provenance.url",
            id="url not http",
        ),
        pytest.param(
            {"provenance": provenance(url="https://")}, "provenance.url", id="url without host"
        ),
        pytest.param(
            {"provenance": provenance(url="example.org/x")},
            "provenance.url",
            id="url without scheme",
        ),
        pytest.param(
            {"provenance": provenance(url="https://exa mple.org")},
            "provenance.url",
            id="url with a space",
        ),
        pytest.param(
            {"provenance": provenance(url="http://[::1")}, "provenance.url", id="url unparsable"
        ),
        pytest.param({"themes": ()}, "themes", id="no theme"),
        pytest.param({"themes": tuple(f"t{n}" for n in range(6))}, "themes", id="six themes"),
        pytest.param({"themes": ("Generative AI",)}, "themes[0]", id="theme not a slug"),
        pytest.param({"themes": ("ok", "Cyber")}, "themes[1]", id="theme upper case"),
        pytest.param({"themes": ("ok", "-bad")}, "themes[1]", id="theme with leading dash"),
        pytest.param({"themes": ("ai", "ai")}, "themes[1]", id="theme repeated"),
        pytest.param({"scout": " "}, "scout", id="scout blank"),
    ],
)
def test_a_submission_with_an_invalid_field_is_refused_naming_it(
    changes: dict[str, object], field: str
) -> None:
    error = given().when(submit(**changes)).then(InvalidInputError, field=field)
    assert error.code == "VALIDATION"
    assert field in error.message


def test_an_invalid_resubmission_is_refused_before_being_compared() -> None:
    given(scouted()).when(submit(title="no")).then(InvalidInputError, field="title")


@pytest.mark.parametrize(
    "command",
    [
        ReviseIdea(idea_id=IDEA, title="A new title"),
        ScoreIdea(idea_id=IDEA, score=score()),
        AdvanceIdea(idea_id=IDEA, to_stage=Stage.SCREENING),
        RejectIdea(idea_id=IDEA, reason="Not for us."),
        MergeIdea(idea_id=IDEA, into_idea_id=OTHER_IDEA),
        AbsorbDuplicate(idea_id=IDEA, duplicate_id=OTHER_IDEA),
        BeginExperiment(idea_id=IDEA, experiment_id=EXPERIMENT),
        ApplyConclusion(
            idea_id=IDEA,
            experiment_id=EXPERIMENT,
            outcome=Outcome.VALIDATED,
            decision=Decision.SCALE,
            targets_met=True,
        ),
        OverrideValidation(idea_id=IDEA, reason="The board asked for it after the pilot."),
        MarkReleased(idea_id=IDEA, release_id="2026-H1"),
        RequestEthicsReview(idea_id=IDEA),
        RecordEthicsReview(idea_id=IDEA, verdict=Verdict.APPROVED, reviewers=("Ines",)),
    ],
    ids=lambda command: type(command).__name__,
)
def test_a_command_on_an_idea_never_submitted_is_not_found(command: object) -> None:
    # the survivor of a merge is the mutation's intoIdeaId; every other command's idea its ideaId
    field = "intoIdeaId" if isinstance(command, AbsorbDuplicate) else "ideaId"
    error = given().when(command).then(IdeaNotFoundError, idea_id=IDEA, field=field)
    assert error.code == "NOT_FOUND"


def test_the_submitted_event_carries_no_time_of_its_own() -> None:
    assert "at" not in IdeaSubmitted.__struct_fields__
