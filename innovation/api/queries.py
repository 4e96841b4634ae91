"""Queries: everything reads the projections' views; ``asOf`` questions replay through them too."""

from __future__ import annotations

from datetime import datetime
from functools import partial

import strawberry
from graphql import GraphQLError
from strawberry import relay
from strawberry.types import Info

from innovation.api.context import Context
from innovation.api.ids import raw_id
from innovation.api.log_types import HistoryConnection, HistoryEdge, HistoryEntry, Pipeline
from innovation.api.permissions import can
from innovation.api.types import (
    Experiment,
    ExperimentConnection,
    ExperimentStatus,
    Idea,
    IdeaConnection,
    Me,
    OutcomeType,
    Role,
    SimilarIdea,
    SourceKindType,
    StageType,
    page_info,
)
from innovation.domain.errors import ErrorCode, InvalidInputError
from innovation.projections import views
from innovation.projections.as_of import idea_at, pipeline_at
from innovation.projections.history import history as read_history
from innovation.projections.search import similar_ideas
from innovation.projections.views import InvalidCursorError

MAX_PAGE = 100


def invalid(message: str, field: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": ErrorCode.VALIDATION, "field": field})


def page_size(first: int) -> int:
    if first < 1 or first > MAX_PAGE:
        raise invalid(f"first must be between 1 and {MAX_PAGE}", "first")
    return first


def aware(moment: datetime | None, field: str) -> datetime | None:
    if moment is not None and moment.tzinfo is None:
        raise invalid("give a time zone, e.g. 2025-06-30T23:59:59+02:00 or ...Z", field)
    return moment


def idea_id_arg(value: str, field: str = "id") -> str:
    try:
        return raw_id(value, "Idea", field)
    except InvalidInputError as error:
        raise invalid(error.message, field) from None


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

    def to_query(self) -> views.IdeaFilter:
        return views.IdeaFilter(
            stages=tuple(str(stage) for stage in self.stages or ()),
            theme=self.theme,
            source_kind=str(self.source_kind) if self.source_kind else None,
            external=self.external,
            country=self.country,
            text=self.text,
            scouted_from=aware(self.scouted_from, "filter.scoutedFrom"),
            scouted_to=aware(self.scouted_to, "filter.scoutedTo"),
        )


@strawberry.input
class ExperimentFilter:
    idea_id: strawberry.ID | None = None
    status: ExperimentStatus | None = None
    outcome: OutcomeType | None = None  # type: ignore[valid-type]


@strawberry.type
class Query:
    @strawberry.field(permission_classes=[can("me")], description="Who is calling.")
    def me(self, info: Info[Context, None]) -> Me:
        principal = info.context.principal
        assert principal is not None  # the permission lets no anonymous caller through
        return Me(name=principal.name, role=Role(principal.role), email=principal.email)

    @strawberry.field(
        permission_classes=[can("idea")],
        description="An idea; with asOf, as it stood then (replayed from the log).",
    )
    async def idea(
        self, info: Info[Context, None], id: strawberry.ID, as_of: datetime | None = None
    ) -> Idea | None:
        idea_id = idea_id_arg(id)
        moment = aware(as_of, "asOf")
        if moment is None:
            return Idea.maybe(await info.context.loaders.idea.load(idea_id))
        return Idea.maybe(await idea_at(info.context.services.store, idea_id, moment))

    @strawberry.field(permission_classes=[can("ideas")], description="Ideas, newest scouted first.")
    async def ideas(
        self,
        info: Info[Context, None],
        filter: IdeaFilter | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> IdeaConnection:
        where = (filter or IdeaFilter()).to_query()
        size = page_size(first)
        try:
            page = await info.context.services.database.read(
                partial(views.idea_page, where=where, first=size, after=after)
            )
        except InvalidCursorError as error:
            raise invalid(str(error), "after") from None
        for _, view in page.rows:
            info.context.loaders.idea.prime(view.idea_id, view)
        connection = IdeaConnection(
            page_info=page_info([cursor for cursor, _ in page.rows], page.has_next),
            edges=[relay.Edge(cursor=cursor, node=Idea.of(view)) for cursor, view in page.rows],
        )
        connection.count_filter = where
        return connection

    @strawberry.field(permission_classes=[can("experiment")], description="An experiment.")
    async def experiment(self, info: Info[Context, None], id: strawberry.ID) -> Experiment | None:
        try:
            experiment_id = raw_id(id, "Experiment", "id")
        except InvalidInputError as error:
            raise invalid(error.message, "id") from None
        return Experiment.maybe(await info.context.loaders.experiment.load(experiment_id))

    @strawberry.field(
        permission_classes=[can("experiments")], description="Experiments, newest started first."
    )
    async def experiments(
        self,
        info: Info[Context, None],
        filter: ExperimentFilter | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> ExperimentConnection:
        given = filter or ExperimentFilter()
        where = views.ExperimentFilter(
            idea_id=idea_id_arg(given.idea_id, "filter.ideaId") if given.idea_id else None,
            status=given.status.value if given.status else None,
            outcome=str(given.outcome) if given.outcome else None,
        )
        size = page_size(first)
        try:
            page = await info.context.services.database.read(
                partial(views.experiment_page, where=where, first=size, after=after)
            )
        except InvalidCursorError as error:
            raise invalid(str(error), "after") from None
        return ExperimentConnection(
            page_info=page_info([cursor for cursor, _ in page.rows], page.has_next),
            edges=[
                relay.Edge(cursor=cursor, node=Experiment.of(view)) for cursor, view in page.rows
            ],
        )

    @strawberry.field(
        permission_classes=[can("pipeline")],
        description="The pipeline's figures now, or as of a past moment (replayed from the log).",
    )
    async def pipeline(self, info: Info[Context, None], as_of: datetime | None = None) -> Pipeline:
        moment = aware(as_of, "asOf")
        summary = await pipeline_at(info.context.services.store, moment)
        return Pipeline.of(summary, moment)

    @strawberry.field(
        permission_classes=[can("similarIdeas")],
        description="Ideas that read like the text, closest first: for spotting duplicates.",
    )
    async def similar_ideas(
        self, info: Info[Context, None], text: str, first: int = 5
    ) -> list[SimilarIdea]:
        if not 1 <= first <= 20:
            raise invalid("first must be between 1 and 20", "first")
        hints = await info.context.services.database.read(
            partial(similar_ideas, text=text, limit=first)
        )
        return await SimilarIdea.of(info, hints)

    @strawberry.field(
        permission_classes=[can("history")],
        description="Every event of an idea and of its experiments, oldest first.",
    )
    async def history(
        self,
        info: Info[Context, None],
        idea_id: strawberry.ID,
        first: int = 50,
        after: str | None = None,
    ) -> HistoryConnection:
        target = idea_id_arg(idea_id, "ideaId")
        size = page_size(first)
        position = 0
        if after is not None:
            try:
                position = int(views.decode_cursor(after, 1)[0])
            except (InvalidCursorError, ValueError):
                raise invalid("not a cursor of this history", "after") from None
        mapper = info.context.services.store.mapper
        entries, more = await info.context.services.database.read(
            lambda c: read_history(c, mapper, target, size, position)
        )
        edges = [
            HistoryEdge(cursor=views.encode_cursor(entry.position), node=HistoryEntry.of(entry))
            for entry in entries
        ]
        return HistoryConnection(
            page_info=page_info([edge.cursor for edge in edges], more), edges=edges
        )
