"""Queries: everything reads the projections' views; ``asOf`` questions replay through them too."""

from __future__ import annotations

import inspect
import uuid
from datetime import datetime
from functools import partial
from typing import Annotated

import strawberry
from sqlalchemy.engine import Connection
from strawberry import relay
from strawberry.relay.types import GlobalIDValueError
from strawberry.types import Info

from innovation.api.context import Context
from innovation.api.enums import ExperimentStatus, OutcomeType, Role
from innovation.api.ids import raw_id
from innovation.api.loaders import Nested, nesting, read_nested
from innovation.api.log_types import HistoryConnection, HistoryEdge, HistoryEntry, Pipeline
from innovation.api.permissions import can
from innovation.api.queues import (
    LONG_PAGE_HELP,
    IdeaFilter,
    IdeaOrder,
    SortDirection,
    aware,
    invalid,
    numbered_window,
    page_info,
    window,
)
from innovation.api.reads import idea_reads
from innovation.api.selections import counted_alone, names_at, selected_at
from innovation.api.types import (
    Experiment,
    ExperimentConnection,
    Idea,
    IdeaConnection,
    Me,
    SimilarIdea,
)
from innovation.domain.errors import InvalidInputError
from innovation.projections import nested, queues, views
from innovation.projections.as_of import idea_at, pipeline_at
from innovation.projections.history import history as read_history
from innovation.projections.paging import InvalidCursorError, Page, encode_cursor
from innovation.projections.search import similar_ideas
from innovation.projections.views import MetricView
from innovation.store.gathered import gathered


def idea_id_arg(value: str, field: str = "id") -> str:
    try:
        return raw_id(value, "Idea", field)
    except InvalidInputError as error:
        raise invalid(error.message, field) from None


@strawberry.input
class ExperimentFilter:
    idea_id: strawberry.ID | None = None
    status: ExperimentStatus | None = None
    outcome: OutcomeType | None = None  # type: ignore[valid-type]


PAGE_HELP = "How many from the start (or after `after`); 20 unless `last` is given. 0 to 100."


@strawberry.type
class Query:
    @strawberry.field(
        permission_classes=[can("node")],
        description="Any object by its global id (an idea or an experiment); null if none.",
    )
    async def node(self, info: Info[Context, None], id: strawberry.ID) -> relay.Node | None:
        # A resolver of our own: relay.node() cannot be built into more than one schema. The id
        # is read here rather than by the GlobalID scalar, whose refusal names no field.
        try:
            global_id = relay.GlobalID.from_id(id)
        except GlobalIDValueError:
            raise invalid(f"{id!r} is not an id this API hands out", "id") from None
        try:
            global_id.resolve_type(info)
        except GlobalIDValueError:
            raise invalid(f"{global_id.type_name} is not a type with ids", "id") from None
        try:  # every idea's and experiment's id is a UUID, written as the API writes them
            node_id = str(uuid.UUID(global_id.node_id))
        except ValueError:
            return None  # names nothing, and is not looked up (a NUL would fail PostgreSQL)
        found = relay.GlobalID(global_id.type_name, node_id).resolve_node(info, required=False)
        return await found if inspect.isawaitable(found) else found

    @strawberry.field(
        permission_classes=[can("themes")],
        description="The themes an idea may carry, as configured (INNOVATION_THEMES).",
    )
    def themes(self, info: Info[Context, None]) -> list[str]:
        return list(info.context.services.settings.pipeline.themes)

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
        if moment is not None:
            return Idea.maybe(await idea_at(info.context.services.store, idea_id, moment))
        loaders = info.context.loaders
        depth = nesting(info, ())
        if depth == 0:
            return Idea.maybe(await loaders.idea.load(idea_id))

        # Shared with the requests asking for ideas at once (``Gathered``): one statement for all.
        found = await gathered(
            info.context.services.database,
            ("ideas_and_below", depth),
            partial(nested.ideas_and_below, depth=depth),
        ).get(idea_id)
        if found is None:
            loaders.idea.prime(idea_id, None)
            return None
        loaders.idea.prime(idea_id, found.idea)
        loaders.prime_nested([idea_id], Nested({idea_id: found.experiments}, found.metrics))
        return Idea.maybe(found.idea)

    @strawberry.field(
        permission_classes=[can("ideas")],
        description="Ideas, newest scouted first unless orderBy says otherwise; merged "
        "duplicates included unless the filter leaves them out.",
    )
    async def ideas(
        self,
        info: Info[Context, None],
        filter: IdeaFilter | None = None,
        order_by: IdeaOrder | None = None,
        first: Annotated[int | None, strawberry.argument(description=PAGE_HELP)] = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> IdeaConnection:
        where = (filter or IdeaFilter()).to_query(info)
        order = order_by or IdeaOrder()
        slice_ = window(first, after, last, before)
        if counted_alone(info) and after is None and before is None:
            # No page to read: with a theme, a walk of the newest ideas can take longer than
            # the count (11 of 12.6 ms for a theme's totalCount on the bench's data set).
            if where.theme:
                await _theme_known(info, where.theme)
            alone = IdeaConnection(page_info=page_info([], False), edges=[])
            alone.count_filter = where
            return alone
        depth = nesting(info, ("edges", "node"))
        # Only the columns the answer asks for: the bench's page of 100 ideas took 4.25 ms
        # against 4.98 reading its ideas whole (medians, in turn request by request).
        fields = idea_reads(names_at(info, ("edges", "node")))
        cursors = "cursor" in names_at(info, ("edges",))

        def read(connection: Connection) -> tuple[Page, Nested | None]:
            page = queues.idea_page(
                connection,
                where=where,
                window=slice_,
                order=order.field.value,
                descending=order.direction is SortDirection.DESC,
                fields=fields,
                cursors=cursors,
            )
            # An idea the read model counts no experiment for has none to read: on the bench's
            # data set, four of its eight orders of the page find none among their first 100.
            having = [view.idea_id for _, view in page.rows if view.experiment_count != 0]
            return page, read_nested(connection, having, depth)

        database = info.context.services.database
        # A text filter may look through much of the index: a reader thread's work.
        reading = database.read if where.text else database.glance
        try:
            # the ideas and what they nest as of one moment, as the page's answer tells them
            page, nested = await reading(read, one_snapshot=depth > 0)
        except InvalidCursorError as error:
            raise invalid(str(error), "before" if before and not after else "after") from None
        if not page.rows and where.theme:
            await _theme_known(info, where.theme)
        loaders = info.context.loaders
        if fields is None:
            for _, view in page.rows:
                loaders.idea.prime(view.idea_id, view)
        else:  # a partial view answers only reads of the fields it holds
            loaders.known_ideas.update((view.idea_id, (view, fields)) for _, view in page.rows)
        if nested is not None:
            loaders.prime_nested([view.idea_id for _, view in page.rows], nested)
        connection = IdeaConnection(
            page_info=page_info(
                [cursor for cursor, _ in page.rows], page.has_next, page.has_previous
            ),
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
        first: Annotated[int | None, strawberry.argument(description=PAGE_HELP)] = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> ExperimentConnection:
        given = filter or ExperimentFilter()
        where = queues.ExperimentFilter(
            idea_id=idea_id_arg(given.idea_id, "filter.ideaId") if given.idea_id else None,
            status=given.status.value if given.status else None,
            outcome=str(given.outcome) if given.outcome else None,
        )
        slice_ = window(first, after, last, before)
        if counted_alone(info) and after is None and before is None:
            return ExperimentConnection(
                count_filter=where, page_info=page_info([], False), edges=[]
            )
        cursors = "cursor" in names_at(info, ("edges",))
        with_metrics = bool(selected_at(info, ("edges", "node", "metrics")))

        def read(connection: Connection) -> tuple[Page, dict[str, list[MetricView]] | None]:
            page = queues.experiment_page(connection, where=where, window=slice_, cursors=cursors)
            ids = [view.experiment_id for _, view in page.rows]
            # Read with the page, answered at once: loaded experiment by experiment, a page of
            # 100 experiments with their metrics took 18.6 ms at the bench's scale, 9.4 without.
            read_too = with_metrics and ids
            return page, views.metrics_of_experiments(connection, ids) if read_too else None

        try:
            page, metrics = await info.context.services.database.glance(
                read, one_snapshot=with_metrics
            )
        except InvalidCursorError as error:
            raise invalid(str(error), "before" if before and not after else "after") from None
        if metrics is not None:
            known = info.context.loaders.known_metrics
            for _, view in page.rows:
                known[view.experiment_id] = metrics.get(view.experiment_id, [])
        return ExperimentConnection(
            count_filter=where,
            page_info=page_info(
                [cursor for cursor, _ in page.rows], page.has_next, page.has_previous
            ),
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
        first: Annotated[int | None, strawberry.argument(description=LONG_PAGE_HELP)] = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> HistoryConnection:
        target = idea_id_arg(idea_id, "ideaId")
        w = numbered_window(first, after, last, before, "this history")
        mapper = info.context.services.store.mapper
        entries, more = await info.context.services.database.glance(
            lambda c: read_history(c, mapper, target, w.size, w.since, w.until, w.backwards)
        )
        edges = [
            HistoryEdge(cursor=encode_cursor(entry.position), node=HistoryEntry.of(entry))
            for entry in entries
        ]
        has_next, has_previous = w.has_next_and_previous(more)
        return HistoryConnection(
            page_info=page_info([edge.cursor for edge in edges], has_next, has_previous),
            edges=edges,
        )


async def _theme_known(info: Info[Context, None], theme: str) -> None:
    """Refuse, naming the field, a theme that is neither configured nor carried by any idea:
    a misspelt one ("cyber-security") would only ever find nothing, which reads as "no such
    ideas". Asked only when a page came back empty."""
    services = info.context.services
    configured = services.settings.pipeline.themes
    if theme in configured:
        return
    if await services.database.glance(partial(queues.carried, theme=theme)):
        return  # configured once and dropped since: its ideas still carry it
    raise invalid(
        f"{theme!r} is not a theme: the themes are {', '.join(configured)}", "filter.theme"
    )
