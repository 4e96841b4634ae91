"""The service as ``innovation serve`` runs it, plus the ceilings the bench measures it against.

``uvicorn --factory bench.service.app:create`` serves ``innovation.api.app.create_app`` unchanged
and adds, under ``/bench/`` only (never in the product's schema):

* ``GET /bench/plain``: a plain Litestar JSON route, the framework's own floor;
* ``POST /bench/strawberry``: strawberry alone, resolving the product's own types (``Idea``,
  ``Experiment``, ``Metric``) for the page of 100 ideas from views held in memory, with
  in-memory loaders in place of the database ones;
* ``POST /bench/graphql``: the product's schema and controller (token, parsing, validation,
  limits, context) with one more mutation, ``noopSubmitIdea``, which takes ``submitIdea``'s
  input, builds its command and writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any, TypeVar

import strawberry
from litestar import Litestar, get
from litestar.datastructures import State
from strawberry import relay
from strawberry.dataloader import DataLoader
from strawberry.litestar import BaseContext, make_graphql_controller
from strawberry.tools import merge_types
from strawberry.types import Info

from innovation.api.app import answers_cache, create_app
from innovation.api.context import Context
from innovation.api.graphql import graphql_controller
from innovation.api.ideas import SubmitIdeaInput, SubmitIdeaPayload
from innovation.api.mutations import Mutation
from innovation.api.queues import page_info, window
from innovation.api.schema import InnovationSchema, Query, Subscription, build_schema
from innovation.api.types import Idea, IdeaConnection
from innovation.bootstrap import Services
from innovation.config import get_settings
from innovation.domain import ideas as rules
from innovation.projections import queues, views
from innovation.tokens import Principal

K = TypeVar("K")
V = TypeVar("V")
BENCH_GRAPHQL = "/bench/graphql"
PAGE = 100


@get("/bench/plain", include_in_schema=False)
async def plain() -> dict[str, Any]:
    """The framework's floor: a JSON answer that reads nothing."""
    return {"status": "ok"}


# -- strawberry's own ceiling -----------------------------------------------------------------


class Held:
    """The page of 100 ideas and everything it nests, read once and then served from memory."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, views.IdeaView]] = []
        self.has_next = False
        self.experiments: dict[str, list[views.ExperimentView]] = {}
        self.metrics: dict[str, list[views.MetricView]] = {}
        self.loaded = False

    async def load(self, services: Services) -> None:
        if self.loaded:
            return
        page = await services.database.read(
            partial(
                queues.idea_page,
                where=queues.IdeaFilter(),
                window=window(PAGE, None, None, None),
            )
        )
        self.rows, self.has_next = list(page.rows), page.has_next
        ids = [view.idea_id for _, view in self.rows]
        self.experiments = dict(
            await services.database.read(lambda c: views.experiments_of_ideas(c, ids))
        )
        pilots = [e.experiment_id for found in self.experiments.values() for e in found]
        self.metrics = dict(
            await services.database.read(lambda c: views.metrics_of_experiments(c, pilots))
        )
        self.loaded = True


def _memory(found: Mapping[Any, V], missing: Callable[[], V]) -> DataLoader[Any, V]:
    async def load(keys: Sequence[Any]) -> list[V]:
        return [found.get(key, missing()) for key in keys]

    return DataLoader(load_fn=load)


class MemoryLoaders:
    """What the types read their nesting from, answering from ``Held`` instead of the database:
    the experiments and metrics known with the page, as the product's page hands them over, and
    loaders for the rest."""

    def __init__(self, held: Held) -> None:
        ideas: dict[str, views.IdeaView | None] = {view.idea_id: view for _, view in held.rows}
        self.idea = _memory(ideas, lambda: None)
        self.experiments = _memory(held.experiments, list)
        self.metrics = _memory(held.metrics, list)
        self.known_experiments = {idea: held.experiments.get(idea, []) for idea in ideas}
        pilots = [pilot.experiment_id for found in held.experiments.values() for pilot in found]
        self.known_metrics = {pilot: held.metrics.get(pilot, []) for pilot in pilots}


@strawberry.type
class CeilingQuery:
    @strawberry.field
    async def ideas(self, info: Info[Any, None], first: int = PAGE) -> IdeaConnection:
        held: Held = info.context.held
        rows = held.rows[:first]
        return IdeaConnection(
            page_info=page_info([cursor for cursor, _ in rows], held.has_next),
            edges=[relay.Edge(cursor=cursor, node=Idea.of(view)) for cursor, view in rows],
        )


class InMemoryContext(BaseContext, kw_only=True):
    """What the types read (``info.context.loaders``), and the held page."""

    held: Held
    loaders: MemoryLoaders


def ceiling_controller(held: Held) -> type:
    """Strawberry's controller on a schema of the product's types, with no database behind."""

    async def getter(state: State) -> InMemoryContext:
        await held.load(state.services)
        return InMemoryContext(held=held, loaders=MemoryLoaders(held))

    schema = strawberry.Schema(query=CeilingQuery)
    return make_graphql_controller(schema, path="/bench/strawberry", context_getter=getter)


# -- the no-op mutation, through the product's stack ------------------------------------------


@strawberry.type
class NoopMutation:
    @strawberry.mutation(graphql_type=SubmitIdeaPayload)
    async def noop_submit_idea(self, info: Info[Context, None], input: SubmitIdeaInput) -> Any:
        """``submitIdea``'s input, checked and turned into its command; nothing is written."""
        principal: Principal | None = info.context.principal
        assert principal is not None
        rules.SubmitIdea(
            idea_id="00000000-0000-4000-8000-000000000000",
            title=input.title,
            summary=input.summary,
            provenance=input.provenance.to_domain(),
            themes=tuple(input.themes),
            uses_ai=input.uses_ai,
            uses_personal_data=input.uses_personal_data,
            scout=principal.actor,
        )
        return SubmitIdeaPayload(client_mutation_id=input.client_mutation_id)


def bench_graphql_controller() -> type:
    """The product's controller class on its schema plus the no-op, at ``/bench/graphql``."""
    product = build_schema(get_settings().api)
    schema = InnovationSchema(
        query=Query,
        mutation=merge_types("Mutation", (Mutation, NoopMutation)),
        subscription=Subscription,
        config=product.config,
        extensions=product.extensions,
        execution_context_class=product.execution_context_class,
    )
    schema.limit_rules = product.limit_rules
    api = get_settings().api
    controller = graphql_controller(schema, answers_cache(api), max_body=api.max_body_bytes)
    return type("BenchGraphQLController", (controller,), {"path": BENCH_GRAPHQL})


def create() -> Litestar:
    """``create_app()`` as served, with the bench's routes registered beside its own."""
    app = create_app()
    app.register(plain)
    app.register(ceiling_controller(Held()))
    app.register(bench_graphql_controller())
    return app
