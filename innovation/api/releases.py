"""Releases over GraphQL: every release, one release with its digest, the next one, and
assembling a period by hand (leads and admins; assembling it again changes nothing)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry import relay
from strawberry.types import Info

from innovation.api.building import built
from innovation.api.commands import NOT_TEXT_KEY, Refused, command_input, payload
from innovation.api.context import Context
from innovation.api.enums import DirectionType, SourceKindType, StageType, ValidationRouteType
from innovation.api.ids import global_id
from innovation.api.log_types import Count
from innovation.api.permissions import EVERYONE, LEADS, PERMISSIONS, allowed, can, grant
from innovation.api.queues import invalid, page_info, window
from innovation.api.selections import names_at
from innovation.api.types import Idea
from innovation.domain import releases as rules
from innovation.domain.errors import DomainError, ErrorCode
from innovation.domain.periods import days_left
from innovation.domain.values import is_text
from innovation.projections import releases as views
from innovation.projections.releases import ReleaseView
from innovation.services import Actor


@strawberry.type(description="A shipped idea's metric: baseline → observed, change in %.")
class ReleaseMetric:
    name: str
    unit: str
    baseline: float
    target: float
    direction: DirectionType  # type: ignore[valid-type]
    observed: float | None
    change_pct: float | None
    met: bool


@strawberry.type(description="An idea in a release, as it stood when the period closed.")
class ReleaseItem:
    idea_id: strawberry.ID
    title: str
    summary: str
    source_kind: SourceKindType  # type: ignore[valid-type]
    organisation: str
    country: str
    external: bool
    themes: list[str]
    scouted_at: datetime
    validated_at: datetime
    validated_via: ValidationRouteType  # type: ignore[valid-type]
    pilot_site: str | None
    metrics: list[ReleaseMetric]
    raw_idea_id: strawberry.Private[str]

    @strawberry.field(description="The idea as it is now.")
    async def idea(self, info: Info[Context, None]) -> Idea | None:
        return Idea.maybe(await info.context.loaders.idea.load(self.raw_idea_id))

    @classmethod
    def of(cls, item: rules.ReleaseItem) -> ReleaseItem:
        return built(
            cls,
            item,
            idea_id=strawberry.ID(global_id("Idea", item.idea_id)),
            raw_idea_id=item.idea_id,
            themes=list(item.themes),
            metrics=[built(ReleaseMetric, metric) for metric in item.metrics],
        )


class _Shown:
    """The next release's candidates as the last ``nextRelease`` showed them, by the domain item
    each shows. A kept preview gives again the very items it gave for the ideas no write has
    reached since (``Assembler.result``), so only the others are made again: making all 2,104
    of the bench's took half of answering them."""

    def __init__(self) -> None:
        self._by_item: dict[int, tuple[rules.ReleaseItem, ReleaseItem]] = {}

    def __call__(self, items: tuple[rules.ReleaseItem, ...]) -> list[ReleaseItem]:
        before, self._by_item = self._by_item, {}
        shown = []
        for item in items:
            # ``before`` holds the items it shows, so no other object can have one's id
            kept = before.get(id(item))
            if kept is None:
                kept = (item, ReleaseItem.of(item))
            self._by_item[id(item)] = kept
            shown.append(kept[1])
        return shown


shown_candidates = _Shown()


@strawberry.type(description="An idea stopped during the period, and why.")
class StoppedIdea:
    idea_id: strawberry.ID
    title: str
    reason: str
    stopped_at: datetime


@strawberry.type(description="The share of ideas that went on from one stage to the next.")
class Conversion:
    from_stage: StageType  # type: ignore[valid-type]
    to_stage: StageType  # type: ignore[valid-type]
    rate: float | None = strawberry.field(
        description=(
            "Of the ideas that left fromStage during the period, the share that moved on along "
            "the funnel rather than out or back (for VALIDATED: of the validated ideas not "
            "released yet, the share this release ships): 0 to 1; null when none left fromStage."
        )
    )


@strawberry.type(description="The period's pipeline health.")
class ReleaseFigures:
    scouted: int
    external: int
    external_share: float | None
    by_source_kind: list[Count]
    by_theme: list[Count]
    by_country: list[Count]
    experiments_started: int
    experiments_concluded: int
    reached: list[Count] = strawberry.field(
        description="Ideas that entered each stage during the period (shipped ones: RELEASED)."
    )
    conversion: list[Conversion]
    median_days_to_validation: float | None
    median_days_to_release: float | None

    @classmethod
    def of(cls, figures: rules.Figures) -> ReleaseFigures:
        def counts(values: dict[str, int]) -> list[Count]:
            return [Count(key=key, count=count) for key, count in values.items()]

        conversion = []
        for step, rate in figures.conversion.items():
            before, after = step.split("->")
            conversion.append(Conversion(from_stage=before, to_stage=after, rate=rate))
        return built(
            cls,
            figures,
            external_share=figures.external_share,
            by_source_kind=counts(figures.by_source_kind),
            by_theme=counts(figures.by_theme),
            by_country=counts(figures.by_country),
            reached=counts(figures.reached),
            conversion=conversion,
        )


@strawberry.type(description="The digest executives receive, as Markdown and as HTML.")
class Digest:
    headline: str
    markdown: str
    html: str


@strawberry.type(description="A period's release: frozen at a log position, recomputable.")
class Release:
    period: str
    starts_at: datetime
    ends_at: datetime
    cutoff: int = strawberry.field(description="The log position the bundle was assembled at.")
    published_at: datetime
    published_by: str
    view: strawberry.Private[ReleaseView]

    # The bundle's parts are made when asked for: the row's columns answer the rest.
    @strawberry.field
    def items(self) -> list[ReleaseItem]:
        return [ReleaseItem.of(item) for item in self.view.bundle.items]

    @strawberry.field
    def stopped(self) -> list[StoppedIdea]:
        return [
            built(StoppedIdea, stopped, idea_id=strawberry.ID(global_id("Idea", stopped.idea_id)))
            for stopped in self.view.bundle.stopped
        ]

    @strawberry.field
    def figures(self) -> ReleaseFigures:
        return ReleaseFigures.of(self.view.figures)

    @strawberry.field(description="The digest (charts inline, as SVG).")
    async def digest(self, info: Info[Context, None]) -> Digest:
        digest = await info.context.services.documents.digest(self.view)
        return Digest(headline=digest.headline, markdown=digest.markdown, html=digest.html)

    @classmethod
    def of(cls, view: ReleaseView) -> Release:
        return cls(
            period=view.period,
            starts_at=view.starts_at,
            ends_at=view.ends_at,
            cutoff=view.cutoff,
            published_at=view.published_at,
            published_by=view.published_by,
            view=view,
        )


@strawberry.type(description="An edge in the list of releases (the cursor is the period).")
class ReleaseEdge:
    cursor: str
    node: Release


@strawberry.type(description="A page of releases, newest first, in the Relay connection shape.")
class ReleaseConnection:
    page_info: relay.PageInfo
    edges: list[ReleaseEdge]


@strawberry.type(description="An idea that would not ship if the period closed now.")
class BlockedIdea:
    idea_id: strawberry.ID
    title: str
    stage: StageType  # type: ignore[valid-type]
    reason: str = strawberry.field(
        description="NOT_VALIDATED, or the ethics status that blocks it: REQUIRED, REQUESTED, "
        "STALE, CHANGES_REQUESTED or REJECTED."
    )


@strawberry.type(description="The period under way: what would ship if it closed now.")
class NextRelease:
    period: str
    closes_at: datetime
    days_left: int
    cutoff: int = strawberry.field(description="The log position these candidates stand at.")
    candidates: list[ReleaseItem]
    held: strawberry.Private[tuple[rules.Blocked, ...]] = ()

    @strawberry.field(
        description="The ideas that would not ship, and why, the earliest scouted first. "
        "`first` shows only that many (0 or more); all of them without it."
    )
    def blocked(self, first: int | None = None) -> list[BlockedIdea]:
        if first is not None and first < 0:
            raise invalid("first must be 0 or more", "first")
        return [
            BlockedIdea(
                idea_id=strawberry.ID(global_id("Idea", idea.idea_id)),
                title=idea.title,
                stage=idea.stage,
                reason=idea.reason,
            )
            for idea in (self.held if first is None else self.held[:first])
        ]

    @strawberry.field(description="How many ideas would not ship, however many `blocked` shows.")
    def blocked_count(self) -> int:
        return len(self.held)


BUNDLED = frozenset({"items", "stopped", "digest"})
"""The fields of ``Release`` that take its bundle: asked for none of them, it is not read."""

ASSEMBLED = frozenset({"cutoff", "candidates", "blocked", "blockedCount"})
"""The fields of ``NextRelease`` that take assembling the period as if it closed now (a pass
over the log): asked for none of them, ``nextRelease`` answers from the releases alone."""


for _operation in ("releases", "release", "nextRelease"):
    grant(_operation, EVERYONE)


@strawberry.type
class ReleaseQueries:
    @strawberry.field(
        permission_classes=[can("releases")], description="Every release, newest first."
    )
    async def releases(
        self,
        info: Info[Context, None],
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> ReleaseConnection:
        slice_ = window(first, after, last, before)
        backwards = slice_.last is not None
        size = slice_.last if backwards else slice_.first
        assert size is not None  # a window has one of them
        services = info.context.services

        async def start(cursor: str | None, field: str) -> datetime | None:
            try:
                return None if cursor is None else await services.releases.starts_at(cursor)
            except DomainError as error:
                raise invalid(error.message, field) from None

        # Newest first: after a period come older ones, before it newer ones.
        older_than, newer_than = await start(after, "after"), await start(before, "before")
        found = await services.database.read(
            lambda connection: views.releases(
                connection,
                first=size + 1,
                before_start=older_than,
                after_start=newer_than,
                backwards=backwards,
                bundles=bool(names_at(info, ("edges", "node")) & BUNDLED),
            )
        )
        rows = found[1:] if backwards and len(found) > size else found[:size]
        more = len(found) > size
        has_next, has_previous = (
            (before is not None, more) if backwards else (more, after is not None)
        )
        return ReleaseConnection(
            page_info=page_info([view.period for view in rows], has_next, has_previous),
            edges=[ReleaseEdge(cursor=view.period, node=Release.of(view)) for view in rows],
        )

    @strawberry.field(
        permission_classes=[can("release")], description="One period's release, e.g. 2026-H1."
    )
    async def release(self, info: Info[Context, None], period: str) -> Release | None:
        releases = info.context.services.releases
        view = await releases.release(period.strip(), bundle=bool(names_at(info, ()) & BUNDLED))
        if view is not None:
            return Release.of(view)
        try:  # none: say so if the period is not one (a typo), else it has no release (yet)
            releases.cadence.parse(period.strip())
        except DomainError as error:
            raise invalid(error.message, "period") from None
        return None

    @strawberry.field(
        permission_classes=[can("nextRelease")],
        description="The period under way: its candidates, and what blocks the other ideas.",
    )
    async def next_release(self, info: Info[Context, None]) -> NextRelease:
        services = info.context.services
        now = services.clock()
        asked = names_at(info, ())
        if not asked & ASSEMBLED:  # the period alone: nothing to assemble
            period = await services.releases.upcoming(now)
            return NextRelease(
                period=period.label,
                closes_at=period.end,
                days_left=days_left(period, now),
                cutoff=0,
                candidates=[],
            )
        preview = await services.releases.preview(now)
        assembly = preview.assembly
        return NextRelease(
            period=preview.period.label,
            closes_at=preview.period.end,
            days_left=days_left(preview.period, now),
            cutoff=preview.cutoff,
            candidates=shown_candidates(assembly.bundle.items) if "candidates" in asked else [],
            held=assembly.blocked,  # answered as asked: 57,159 ideas on the bench's data set
        )


@command_input(versioned=False)
class AssembleReleaseInput:
    period: str = strawberry.field(description="The period to release, e.g. 2026-H1.")
    client_mutation_id: str | None = None


AssembleReleasePayload = payload("AssembleReleasePayload", release=Release)


async def assemble_release(info: Info[Context, None], input: AssembleReleaseInput) -> Any:
    principal = info.context.principal
    client_mutation_id = input.client_mutation_id
    if client_mutation_id is not None and not is_text(client_mutation_id):
        return AssembleReleasePayload(errors=[NOT_TEXT_KEY.error])  # not to be said back
    if principal is None or not allowed(principal, "assembleRelease"):
        roles = ", ".join(sorted(PERMISSIONS["assembleRelease"]))
        error = Refused(ErrorCode.FORBIDDEN, f"assembleRelease is for {roles}").error
        return AssembleReleasePayload(errors=[error], client_mutation_id=client_mutation_id)
    services = info.context.services
    try:
        view = await services.releases.assemble(
            input.period.strip(),
            actor=Actor(principal.actor, principal.role),
            now=services.clock(),
        )
    except DomainError as refusal:
        error = Refused.of(refusal).error
        return AssembleReleasePayload(errors=[error], client_mutation_id=client_mutation_id)
    return AssembleReleasePayload(release=Release.of(view), client_mutation_id=client_mutation_id)


@strawberry.type
class ReleaseMutations:
    """Releases: a period assembled by hand (the scheduler does it at each period's end)."""

    assemble_release = strawberry.mutation(
        resolver=assemble_release,
        graphql_type=AssembleReleasePayload,
        description="Assemble a period that has ended; again, it changes nothing.",
    )


grant("assembleRelease", LEADS)
