"""Mutations of the ethics gate: a lead asks for a review, the ethics council rules on it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry.types import Info

from innovation.api.commands import (
    answer_with_idea,
    command,
    command_input,
    idea_id,
    mutate,
    not_blank,
    payload,
)
from innovation.api.context import Context
from innovation.api.enums import VerdictType
from innovation.api.permissions import COUNCIL, LEADS
from innovation.api.types import Idea
from innovation.domain import ideas as rules


@command_input()
class RequestEthicsReviewInput:
    idea_id: strawberry.ID


@command_input()
class RecordEthicsReviewInput:
    idea_id: strawberry.ID
    verdict: VerdictType  # type: ignore[valid-type]
    reviewers: list[str]
    note: str | None = None


RequestEthicsReviewPayload = payload("RequestEthicsReviewPayload", idea=Idea)
RecordEthicsReviewPayload = payload("RecordEthicsReviewPayload", idea=Idea)


async def request_ethics_review(info: Info[Context, None], input: RequestEthicsReviewInput) -> Any:
    def build(now: datetime) -> rules.RequestEthicsReview:
        return rules.RequestEthicsReview(idea_id=idea_id(input.idea_id))

    return await mutate(info, input, RequestEthicsReviewPayload, build, answer_with_idea(info))


async def record_ethics_review(info: Info[Context, None], input: RecordEthicsReviewInput) -> Any:
    def build(now: datetime) -> rules.RecordEthicsReview:
        return rules.RecordEthicsReview(
            idea_id=idea_id(input.idea_id),
            verdict=input.verdict,
            reviewers=tuple(input.reviewers),
            note=not_blank(input.note),
        )

    return await mutate(info, input, RecordEthicsReviewPayload, build, answer_with_idea(info))


@strawberry.type
class EthicsMutations:
    """The ethics gate: a review asked for, a verdict recorded."""

    request_ethics_review = command(
        request_ethics_review,
        RequestEthicsReviewPayload,
        LEADS,
        "Ask the ethics council to review an idea using AI or personal data.",
    )
    record_ethics_review = command(
        record_ethics_review,
        RecordEthicsReviewPayload,
        COUNCIL,
        "The ethics council's verdict (non-discrimination, fairness).",
    )
