"""A lead's queues: the ideas list's filter and ordering inputs; Relay windows for lists."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import msgspec
import strawberry
from graphql import GraphQLError
from strawberry import relay
from strawberry.types import Info

from innovation.api.context import Context
from innovation.api.enums import EthicsStatusType, SourceKindType, StageType
from innovation.domain.bounds import SCOUT_LENGTH, THEME_LENGTH, Bound
from innovation.domain.errors import ErrorCode, InvalidInputError
from innovation.domain.values import validate_country, validate_text
from innovation.projections import queues
from innovation.projections.paging import InvalidCursorError, Window, decode_cursor

MAX_PAGE = 100
DEFAULT_PAGE = 20
LONG_PAGE = 50
"""The default page of a list read in full more often than not: a history, a series."""
LONG_PAGE_HELP = "How many from the start (or after `after`); 50 unless `last` is given. 0 to 100."


def invalid(message: str, field: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": ErrorCode.VALIDATION, "field": field})


def page_size(first: int, field: str = "first") -> int:
    if first < 0 or first > MAX_PAGE:
        raise invalid(f"{field} must be between 0 and {MAX_PAGE}", field)
    return first


def window(
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
    default: int = DEFAULT_PAGE,
) -> Window:
    """The slice asked for: ``first`` after a cursor (``default``) or ``last`` before one."""
    if first is not None and last is not None:
        raise invalid("give first or last, not both", "last")
    if last is not None:
        return Window(last=page_size(last, "last"), after=after, before=before)
    size = default if first is None else page_size(first)
    return Window(first=size, after=after, before=before)


class NumberedWindow(msgspec.Struct, frozen=True):
    """A window over a list whose cursor is one number (a log position, a measurement's
    number): ``size`` items after ``since``, or the last ``size`` before ``until``."""

    size: int
    since: int
    until: int | None
    backwards: bool
    had_after: bool
    had_before: bool

    def has_next_and_previous(self, more: bool) -> tuple[bool, bool]:
        """``pageInfo``'s two flags, given whether more lay beyond the page's far end."""
        if self.backwards:
            return self.had_before, more
        return more, self.had_after


def numbered_window(
    first: int | None, after: str | None, last: int | None, before: str | None, what: str
) -> NumberedWindow:
    """The slice asked for of a list of ``what`` keyed by one number; 50 by default."""
    slice_ = window(first, after, last, before, default=LONG_PAGE)
    backwards = slice_.last is not None
    size = slice_.last if backwards else slice_.first
    assert size is not None  # a window has one of them
    return NumberedWindow(
        size=size,
        since=_number(after, "after", what) or 0,
        until=_number(before, "before", what),
        backwards=backwards,
        had_after=after is not None,
        had_before=before is not None,
    )


def _number(cursor: str | None, field: str, what: str) -> int | None:
    """The number a cursor of a numbered list stands for."""
    if cursor is None:
        return None
    try:
        return int(decode_cursor(cursor, 1)[0])
    except (InvalidCursorError, ValueError):
        raise invalid(f"not a cursor of {what}: {cursor!r}", field) from None


def aware(moment: datetime | None, field: str) -> datetime | None:
    if moment is not None and moment.tzinfo is None:
        raise invalid("give a time zone, e.g. 2025-06-30T23:59:59+02:00 or ...Z", field)
    return moment


@strawberry.enum(description="What the ideas list is sorted by; ties are broken by id.")
class IdeaOrderField(Enum):
    SCOUTED_AT = "SCOUTED_AT"
    UPDATED_AT = strawberry.enum_value("UPDATED_AT", description="The last change of any kind.")
    SCORE = strawberry.enum_value(
        "SCORE", description="The latest RICE score; ideas not yet scored sort below every score."
    )
    STRATEGIC_FIT = strawberry.enum_value(
        "STRATEGIC_FIT", description="0 to 5; ideas not yet scored sort below every fit."
    )


@strawberry.enum(description="Which way a list is sorted.")
class SortDirection(Enum):
    ASC = "ASC"
    DESC = "DESC"


@strawberry.input(description="How to sort the ideas list; newest scouted first by default.")
class IdeaOrder:
    field: IdeaOrderField = IdeaOrderField.SCOUTED_AT
    direction: SortDirection = SortDirection.DESC


@strawberry.input(description="Every field narrows the list; leave out what does not matter.")
class IdeaFilter:
    stages: list[StageType] | None = None  # type: ignore[valid-type]
    theme: str | None = None
    source_kind: SourceKindType | None = None  # type: ignore[valid-type]
    external: bool | None = None
    country: str | None = strawberry.field(default=None, description="ISO 3166-1 alpha-2.")
    text: str | None = strawberry.field(
        default=None, description="Ideas whose title or summary holds every word (stemmed)."
    )
    scouted_from: datetime | None = None
    scouted_to: datetime | None = None
    scout: str | None = strawberry.field(
        default=None, description="Ideas brought in by this scout (as Idea.scout shows them)."
    )
    mine: bool | None = strawberry.field(
        default=None, description="true: only the caller's own ideas (those they scouted)."
    )
    ethics_status: EthicsStatusType | None = None  # type: ignore[valid-type]
    scored: bool | None = strawberry.field(
        default=None, description="false: ideas not yet scored; true: ideas with a score."
    )
    has_running_experiment: bool | None = None
    include_merged: bool = strawberry.field(
        default=True,
        description="false leaves out duplicates merged into another idea, as pipeline.ideas does.",
    )

    def to_query(self, info: Info[Context, None]) -> queues.IdeaFilter:
        scout = self.scout
        if self.mine:
            principal = info.context.principal
            assert principal is not None  # the list's permission lets no anonymous caller in
            if scout is not None and scout != principal.actor:
                raise invalid("give scout or mine, not both", "filter.mine")
            scout = principal.actor
        elif scout is not None and scout.strip():
            scout = _stored_text(scout, "filter.scout", SCOUT_LENGTH)
        theme = self.theme.strip() or None if self.theme else None  # blank: no filter
        return queues.IdeaFilter(
            stages=tuple(str(stage) for stage in self.stages or ()),
            theme=None if theme is None else _stored_text(theme, "filter.theme", THEME_LENGTH),
            source_kind=str(self.source_kind) if self.source_kind else None,
            external=self.external,
            country=_country(self.country),
            text=self.text,
            scouted_from=aware(self.scouted_from, "filter.scoutedFrom"),
            scouted_to=aware(self.scouted_to, "filter.scoutedTo"),
            scout=scout,
            ethics_status=str(self.ethics_status) if self.ethics_status else None,
            scored=self.scored,
            has_running_experiment=self.has_running_experiment,
            include_merged=self.include_merged,
        )


def _stored_text(given: str, field: str, bound: Bound) -> str:
    """A filter's text as an idea would store it, or refused naming the field when no idea
    could hold it: too long, or with a character stored text refuses (a NUL, which
    PostgreSQL's text cannot even be asked about)."""
    try:
        return validate_text(given, field, bound)
    except InvalidInputError as refused:
        raise invalid(refused.message, field) from None


def _country(given: str | None) -> str | None:
    """The filter's country as an ISO code, refused naming the field if it is none: every idea
    carries one, so "France" would only ever find nothing. Blank filters nothing."""
    if given is None or not given.strip():
        return None
    try:
        return validate_country(given, "filter.country")
    except InvalidInputError as refused:
        raise invalid(refused.message, "filter.country") from None


def page_info(cursors: list[str], has_next: bool, has_previous: bool = False) -> relay.PageInfo:
    return relay.PageInfo(
        has_next_page=has_next,
        has_previous_page=has_previous,
        start_cursor=cursors[0] if cursors else None,
        end_cursor=cursors[-1] if cursors else None,
    )
