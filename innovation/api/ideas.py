"""Mutations on ideas: submit, revise, score, move by hand, reject, merge a duplicate."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Any

import strawberry
from strawberry.types import Info

from innovation.api.building import built
from innovation.api.commands import (
    Answer,
    Refused,
    answer_with_idea,
    asks_for,
    command,
    command_input,
    idea_id,
    mutate,
    new_id,
    not_blank,
    payload,
    read_idea,
)
from innovation.api.context import Context
from innovation.api.enums import SourceKindType, StageType
from innovation.api.permissions import AUTHORS, LEADS
from innovation.api.types import Idea, SimilarIdea
from innovation.domain import ideas as rules
from innovation.domain.errors import ErrorCode
from innovation.domain.values import Provenance, Score
from innovation.projections.search import similar_to_idea

SIMILAR_ON_SUBMIT = 5
"""How many possible duplicates a scout is shown after submitting."""


@strawberry.input(description="Where an idea comes from.")
class ProvenanceInput:
    source_kind: SourceKindType  # type: ignore[valid-type]
    organisation: str
    country: str = strawberry.field(description="ISO 3166-1 alpha-2, e.g. FR, LU, SN.")
    external: bool = True
    url: str | None = None

    def to_domain(self) -> Provenance:
        return built(Provenance, self)


@command_input(versioned=False)
class SubmitIdeaInput:
    title: str
    summary: str
    provenance: ProvenanceInput
    themes: list[str]
    uses_ai: bool = False
    uses_personal_data: bool = False
    scout: str | None = strawberry.field(
        default=None,
        description="Leads may submit on a scout's behalf; scouts submit as themselves.",
    )
    client_mutation_id: str | None = None


@command_input()
class ReviseIdeaInput:
    idea_id: strawberry.ID
    expected_version: int | None = None
    title: str | None = None
    summary: str | None = None
    provenance: ProvenanceInput | None = None
    themes: list[str] | None = None
    uses_ai: bool | None = None
    uses_personal_data: bool | None = None


@command_input()
class ScoreIdeaInput:
    idea_id: strawberry.ID
    reach: int = strawberry.field(description="People or customers touched per period.")
    impact: float = strawberry.field(description="0.25, 0.5, 1, 2 or 3.")
    confidence: float = strawberry.field(description="0 to 1.")
    effort: float = strawberry.field(description="Person-months, more than 0.")
    strategic_fit: int = strawberry.field(description="0 to 5.")


@command_input()
class AdvanceIdeaInput:
    idea_id: strawberry.ID
    to_stage: StageType  # type: ignore[valid-type]
    reason: str | None = None


@command_input()
class RejectIdeaInput:
    idea_id: strawberry.ID
    reason: str


@command_input()
class ReopenIdeaInput:
    idea_id: strawberry.ID
    reason: str = strawberry.field(description="Why the rejection is undone; kept in the history.")


@command_input()
class MergeIdeaInput:
    idea_id: strawberry.ID = strawberry.field(description="The duplicate.")
    into_idea_id: strawberry.ID = strawberry.field(description="The idea that lives on.")


SubmitIdeaPayload = payload(
    "SubmitIdeaPayload",
    idea=Idea,
    similar_ideas=(
        list[SimilarIdea],
        "Up to five existing ideas that read alike: possible duplicates.",
    ),
)
ReviseIdeaPayload = payload("ReviseIdeaPayload", idea=Idea)
ScoreIdeaPayload = payload("ScoreIdeaPayload", idea=Idea)
AdvanceIdeaPayload = payload("AdvanceIdeaPayload", idea=Idea)
RejectIdeaPayload = payload("RejectIdeaPayload", idea=Idea)
ReopenIdeaPayload = payload("ReopenIdeaPayload", idea=Idea)
MergeIdeaPayload = payload(
    "MergeIdeaPayload",
    idea=(Idea, "The duplicate, now MERGED."),
    into=(Idea, "The idea that lives on."),
)


async def submit_idea(info: Info[Context, None], input: SubmitIdeaInput) -> Any:
    def build(now: datetime) -> rules.SubmitIdea:
        principal = info.context.principal
        assert principal is not None  # built only once the caller's role was checked
        scout = principal.actor
        named = (input.scout or "").strip()
        if named and principal.role == "scout" and named != principal.actor:
            raise Refused(
                ErrorCode.FORBIDDEN,
                f"scout: a scout submits as themselves ({principal.actor}), not as {named!r}",
                "scout",
            )
        if named:
            scout = named
        return rules.SubmitIdea(
            idea_id=new_id(info, "idea", input.client_mutation_id),
            title=input.title,
            summary=input.summary,
            provenance=input.provenance.to_domain(),
            themes=tuple(input.themes),
            uses_ai=input.uses_ai,
            uses_personal_data=input.uses_personal_data,
            scout=scout,
        )

    async def answer(command: rules.SubmitIdea) -> Answer:
        """The idea, and the hints at duplicates when asked, read after the commit."""
        asked = asks_for(info, "idea")
        answer: Answer = {"idea": await read_idea(info, command.idea_id) if asked else None}
        if asks_for(info, "similarIdeas"):
            hints = await info.context.services.database.read(
                partial(similar_to_idea, idea_id=command.idea_id, limit=SIMILAR_ON_SUBMIT)
            )
            answer["similar_ideas"] = await SimilarIdea.of(info, hints)
        return answer

    return await mutate(info, input, SubmitIdeaPayload, build, answer)


async def revise_idea(info: Info[Context, None], input: ReviseIdeaInput) -> Any:
    def build(now: datetime) -> rules.ReviseIdea:
        return rules.ReviseIdea(
            idea_id=idea_id(input.idea_id),
            title=input.title,
            summary=input.summary,
            provenance=input.provenance.to_domain() if input.provenance else None,
            themes=tuple(input.themes) if input.themes is not None else None,
            uses_ai=input.uses_ai,
            uses_personal_data=input.uses_personal_data,
        )

    return await mutate(info, input, ReviseIdeaPayload, build, answer_with_idea(info))


async def score_idea(info: Info[Context, None], input: ScoreIdeaInput) -> Any:
    def build(now: datetime) -> rules.ScoreIdea:
        score = Score(
            reach=input.reach,
            impact=input.impact,
            confidence=input.confidence,
            effort=input.effort,
            strategic_fit=input.strategic_fit,
        )
        return rules.ScoreIdea(idea_id=idea_id(input.idea_id), score=score)

    return await mutate(info, input, ScoreIdeaPayload, build, answer_with_idea(info))


async def advance_idea(info: Info[Context, None], input: AdvanceIdeaInput) -> Any:
    def build(now: datetime) -> rules.AdvanceIdea:
        return rules.AdvanceIdea(
            idea_id=idea_id(input.idea_id), to_stage=input.to_stage, reason=not_blank(input.reason)
        )

    return await mutate(info, input, AdvanceIdeaPayload, build, answer_with_idea(info))


async def reject_idea(info: Info[Context, None], input: RejectIdeaInput) -> Any:
    def build(now: datetime) -> rules.RejectIdea:
        return rules.RejectIdea(idea_id=idea_id(input.idea_id), reason=input.reason)

    return await mutate(info, input, RejectIdeaPayload, build, answer_with_idea(info))


async def reopen_idea(info: Info[Context, None], input: ReopenIdeaInput) -> Any:
    def build(now: datetime) -> rules.ReopenIdea:
        return rules.ReopenIdea(idea_id=idea_id(input.idea_id), reason=input.reason)

    return await mutate(info, input, ReopenIdeaPayload, build, answer_with_idea(info))


async def merge_idea(info: Info[Context, None], input: MergeIdeaInput) -> Any:
    def build(now: datetime) -> rules.MergeIdea:
        return rules.MergeIdea(
            idea_id=idea_id(input.idea_id), into_idea_id=idea_id(input.into_idea_id, "intoIdeaId")
        )

    async def answer(command: rules.MergeIdea) -> Answer:
        return {
            "idea": await read_idea(info, command.idea_id),
            "into": await read_idea(info, command.into_idea_id),
        }

    return await mutate(info, input, MergeIdeaPayload, build, answer)


@strawberry.type
class IdeaMutations:
    """Changes to ideas, in pipeline order."""

    submit_idea = command(
        submit_idea, SubmitIdeaPayload, AUTHORS, "Scouts (and leads): a new idea, found anywhere."
    )
    revise_idea = command(
        revise_idea,
        ReviseIdeaPayload,
        AUTHORS,
        "Change an idea's text, provenance, themes or flags.",
    )
    score_idea = command(
        score_idea,
        ScoreIdeaPayload,
        LEADS,
        "Record a RICE score and strategic fit (the history is kept).",
    )
    advance_idea = command(
        advance_idea,
        AdvanceIdeaPayload,
        LEADS,
        "Move an idea by hand: SCOUTED → SCREENING → EXPERIMENTING.",
    )
    reject_idea = command(
        reject_idea, RejectIdeaPayload, LEADS, "Take an idea out of the pipeline, saying why."
    )
    reopen_idea = command(
        reopen_idea,
        ReopenIdeaPayload,
        LEADS,
        "Take a rejected idea back into screening, saying why; the rejection stays in the history.",
    )
    merge_idea = command(
        merge_idea, MergeIdeaPayload, LEADS, "Merge a duplicate into the idea that lives on."
    )
