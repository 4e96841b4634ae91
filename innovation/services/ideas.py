"""Handlers of the idea's commands: submit, revise, score, move, reject, merge, ethics, override."""

from __future__ import annotations

from typing import Any

from innovation.domain import IDEA
from innovation.domain.errors import InvalidInputError, InvalidInputsError
from innovation.domain.ideas import (
    AbsorbDuplicate,
    AdvanceIdea,
    MergeIdea,
    OverrideValidation,
    RecordEthicsReview,
    RejectIdea,
    ReopenIdea,
    RequestEthicsReview,
    ReviseIdea,
    ScoreIdea,
    SubmitIdea,
)
from innovation.services.errors import ForbiddenError, UnknownThemeError
from innovation.services.unit_of_work import Handler, UnitOfWork


def unknown_themes(
    themes: tuple[str, ...] | None, known: tuple[str, ...]
) -> UnknownThemeError | None:
    """The refusal of the themes not in the configured list, or None when all are known."""
    unknown = [theme for theme in dict.fromkeys(themes or ()) if theme not in known]
    if not unknown:
        return None
    return UnknownThemeError(
        "themes",
        f"unknown theme {', '.join(map(repr, unknown))}: choose from {', '.join(known)}",
    )


def _decide_with_themes(
    uow: UnitOfWork, command: SubmitIdea | ReviseIdea, expected: int | None
) -> None:
    """Decide, reporting an unknown theme beside the domain's own refusals, all at once."""
    unknown = unknown_themes(command.themes, uow.themes)
    try:
        uow.decide(IDEA, command.idea_id, command, expected)
    except (InvalidInputError, InvalidInputsError) as refused:
        if unknown is None:
            raise
        others = refused.errors if isinstance(refused, InvalidInputsError) else (refused,)
        raise InvalidInputsError([unknown, *others]) from refused
    if unknown is not None:
        raise unknown  # nothing of the decision is kept: the transaction rolls back


def submit_idea(uow: UnitOfWork, command: SubmitIdea, expected: int | None) -> None:
    """Only the write: duplicate hints are read after the commit, off the single writer."""
    _decide_with_themes(uow, command, expected)


def revise_idea(uow: UnitOfWork, command: ReviseIdea, expected: int | None) -> None:
    idea = uow.load(IDEA, command.idea_id).state
    if uow.actor.role == "scout" and idea.exists and idea.scout != uow.actor.name:
        raise ForbiddenError("scouts may revise only the ideas they submitted", field="ideaId")
    _decide_with_themes(uow, command, expected)


def decide_on_idea(uow: UnitOfWork, command: Any, expected: int | None) -> None:
    """Commands that concern one idea and nothing else."""
    uow.decide(IDEA, command.idea_id, command, expected)


def merge_idea(uow: UnitOfWork, command: MergeIdea, expected: int | None) -> None:
    uow.decide(IDEA, command.idea_id, command, expected)
    if uow.replayed:
        return
    absorb = AbsorbDuplicate(idea_id=command.into_idea_id, duplicate_id=command.idea_id)
    uow.decide(IDEA, command.into_idea_id, absorb)


HANDLERS: dict[type, Handler] = {
    SubmitIdea: submit_idea,
    ReviseIdea: revise_idea,
    ScoreIdea: decide_on_idea,
    AdvanceIdea: decide_on_idea,
    RejectIdea: decide_on_idea,
    ReopenIdea: decide_on_idea,
    OverrideValidation: decide_on_idea,
    RequestEthicsReview: decide_on_idea,
    RecordEthicsReview: decide_on_idea,
    MergeIdea: merge_idea,
}
