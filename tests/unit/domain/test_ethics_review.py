"""Ideas using AI or personal data go before the ethics council, and its approval must be newer
than the idea's last material revision."""

from __future__ import annotations

from typing import Any

import pytest

from innovation.domain import (
    EthicsReviewNotNeededError,
    EthicsReviewRecorded,
    EthicsReviewRequested,
    EthicsStatus,
    Event,
    IdeaClosedError,
    IdeaMerged,
    IdeaRejected,
    IdeaRevised,
    InvalidInputError,
    NoEthicsReviewRequestedError,
    RecordEthicsReview,
    RequestEthicsReview,
    Verdict,
    ethics_status,
    ideas,
    needs_ethics_review,
    passes_ethics_gate,
)
from tests.unit.domain.examples import (
    CLOSED,
    IDEA,
    OTHER_IDEA,
    History,
    released,
    scouted,
    unlisted,
    validated,
)
from tests.unit.domain.scenario import given

REQUESTED = EthicsReviewRequested(idea_id=IDEA)


def recorded(verdict: Verdict = Verdict.APPROVED) -> EthicsReviewRecorded:
    return EthicsReviewRecorded(
        idea_id=IDEA, verdict=verdict, reviewers=("Ines Duarte", "Karl Weber")
    )


def record(verdict: Verdict = Verdict.APPROVED, **changes: Any) -> RecordEthicsReview:
    fields: dict[str, Any] = {"reviewers": ("Ines Duarte", "Karl Weber"), "note": None}
    return RecordEthicsReview(idea_id=IDEA, verdict=verdict, **(fields | changes))


def uses_ai() -> list[Event]:
    return scouted(uses_ai=True)


# Requests


@pytest.mark.parametrize(
    "flags",
    [
        {"uses_ai": True},
        {"uses_personal_data": True},
        {"uses_ai": True, "uses_personal_data": True},
    ],
)
def test_an_idea_using_ai_or_personal_data_can_be_sent_for_review(flags: dict[str, bool]) -> None:
    idea = given(scouted(**flags)).when(RequestEthicsReview(idea_id=IDEA)).then([REQUESTED])

    assert ethics_status(idea) is EthicsStatus.REQUESTED


def test_an_idea_using_neither_needs_no_review() -> None:
    given(scouted()).when(RequestEthicsReview(idea_id=IDEA)).then(EthicsReviewNotNeededError)


def test_requesting_a_review_still_pending_gives_no_events() -> None:
    given(uses_ai(), REQUESTED).when(RequestEthicsReview(idea_id=IDEA)).then([])


@pytest.mark.parametrize("history", CLOSED.values(), ids=CLOSED.keys())
def test_a_closed_idea_is_not_sent_for_review(history: History) -> None:
    given(history(uses_ai=True)).when(RequestEthicsReview(idea_id=IDEA)).then(IdeaClosedError)


def test_a_released_idea_can_still_be_reviewed() -> None:
    given(released(uses_personal_data=True)).when(RequestEthicsReview(idea_id=IDEA)).then(
        [REQUESTED]
    )


def test_a_new_review_can_be_requested_after_a_verdict() -> None:
    given(uses_ai(), REQUESTED, recorded(Verdict.CHANGES_REQUESTED)).when(
        RequestEthicsReview(idea_id=IDEA)
    ).then([REQUESTED])


# Verdicts


def test_the_council_records_its_verdict() -> None:
    idea = (
        given(uses_ai(), REQUESTED)
        .when(record(reviewers=(" Ines Duarte ", "Karl Weber"), note=" Fair across groups. "))
        .then(
            [
                EthicsReviewRecorded(
                    idea_id=IDEA,
                    verdict=Verdict.APPROVED,
                    reviewers=("Ines Duarte", "Karl Weber"),
                    note="Fair across groups.",
                )
            ]
        )
    )

    assert ethics_status(idea) is EthicsStatus.APPROVED
    assert not idea.ethics_requested
    assert idea.ethics_verdict_version == 3


def test_a_verdict_answers_a_pending_request() -> None:
    given(uses_ai()).when(record()).then(NoEthicsReviewRequestedError)


def test_a_second_verdict_needs_a_second_request() -> None:
    given(uses_ai(), REQUESTED, recorded()).when(record()).then(NoEthicsReviewRequestedError)


def test_no_verdict_once_the_idea_no_longer_needs_a_review() -> None:
    given(uses_ai(), REQUESTED, IdeaRevised(idea_id=IDEA, uses_ai=False, material=True)).when(
        record()
    ).then(EthicsReviewNotNeededError)


@pytest.mark.parametrize(
    "closing",
    [
        IdeaRejected(idea_id=IDEA, reason="Not for us."),
        IdeaMerged(idea_id=IDEA, into_idea_id=OTHER_IDEA),
    ],
    ids=["rejected", "merged"],
)
def test_no_verdict_on_a_closed_idea(closing: Event) -> None:
    given(uses_ai(), REQUESTED, closing).when(record()).then(IdeaClosedError)


@pytest.mark.parametrize(
    ("reviewers", "field"),
    [
        ((), "reviewers"),
        (tuple(f"Reviewer {n}" for n in range(21)), "reviewers"),
        (("Ines Duarte", "  "), "reviewers[1]"),
        (("Ines Duarte", "Ines Duarte"), "reviewers[1]"),
    ],
    ids=["none", "twenty-one", "blank name", "repeated name"],
)
def test_a_verdict_names_one_to_twenty_reviewers(reviewers: tuple[str, ...], field: str) -> None:
    given(uses_ai(), REQUESTED).when(record(reviewers=reviewers)).then(
        InvalidInputError, field=field
    )


def test_twenty_reviewers_are_enough() -> None:
    names = tuple(f"Reviewer {n}" for n in range(20))
    given(uses_ai(), REQUESTED).when(record(reviewers=names)).then(
        [EthicsReviewRecorded(idea_id=IDEA, verdict=Verdict.APPROVED, reviewers=names)]
    )


# Status and gate


def status_after(*events: Event | list[Event]) -> EthicsStatus:
    return ethics_status(ideas.fold(given(*events).past))


def test_an_idea_using_neither_is_not_required_to_be_reviewed() -> None:
    idea = ideas.fold(scouted())
    assert not needs_ethics_review(idea)
    assert ethics_status(idea) is EthicsStatus.NOT_REQUIRED
    assert passes_ethics_gate(idea)


def test_an_idea_using_ai_is_required_to_be_reviewed_until_it_is() -> None:
    assert status_after(uses_ai()) is EthicsStatus.REQUIRED
    assert not passes_ethics_gate(ideas.fold(uses_ai()))


@pytest.mark.parametrize(
    ("verdict", "status", "passes"),
    [
        (Verdict.APPROVED, EthicsStatus.APPROVED, True),
        (Verdict.CHANGES_REQUESTED, EthicsStatus.CHANGES_REQUESTED, False),
        (Verdict.REJECTED, EthicsStatus.REJECTED, False),
    ],
)
def test_the_status_follows_the_verdict(
    verdict: Verdict, status: EthicsStatus, passes: bool
) -> None:
    idea = ideas.fold([*uses_ai(), REQUESTED, recorded(verdict)])
    assert ethics_status(idea) is status
    assert passes_ethics_gate(idea) is passes


def test_a_material_revision_makes_an_approval_stale() -> None:
    idea = ideas.fold(
        [
            *uses_ai(),
            REQUESTED,
            recorded(),
            IdeaRevised(idea_id=IDEA, summary="Now also transcribes calls.", material=True),
        ]
    )

    assert ethics_status(idea) is EthicsStatus.STALE
    assert not passes_ethics_gate(idea)


def test_a_revision_that_is_not_material_keeps_the_approval() -> None:
    idea = ideas.fold(
        [
            *uses_ai(),
            REQUESTED,
            recorded(),
            IdeaRevised(idea_id=IDEA, themes=("cybersecurity",), material=False),
        ]
    )

    assert ethics_status(idea) is EthicsStatus.APPROVED
    assert passes_ethics_gate(idea)


def test_a_new_approval_after_the_revision_clears_the_gate_again() -> None:
    idea = ideas.fold(
        [
            *uses_ai(),
            REQUESTED,
            recorded(),
            IdeaRevised(idea_id=IDEA, title="Call assistant v2", material=True),
            REQUESTED,
        ]
    )
    assert ethics_status(idea) is EthicsStatus.REQUESTED
    assert not passes_ethics_gate(idea)

    approved_again = ideas.fold([recorded()], idea)
    assert ethics_status(approved_again) is EthicsStatus.APPROVED
    assert passes_ethics_gate(approved_again)


def test_an_idea_that_starts_using_personal_data_must_be_reviewed() -> None:
    idea = ideas.fold(
        [*scouted(), IdeaRevised(idea_id=IDEA, uses_personal_data=True, material=True)]
    )
    assert ethics_status(idea) is EthicsStatus.REQUIRED


def test_a_validated_idea_needing_review_waits_at_the_gate() -> None:
    assert not passes_ethics_gate(ideas.fold(validated(uses_ai=True)))


def test_a_verdict_outside_the_list_is_refused_naming_the_field() -> None:
    given(uses_ai(), REQUESTED).when(record(unlisted("MAYBE"))).then(
        InvalidInputError, field="verdict"
    )
