"""The Litestar application: ``create_app(settings)`` wires GraphQL, GraphiQL and health."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar, Request, get, head
from litestar.datastructures import State
from litestar.exceptions import InternalServerException
from litestar.response import Redirect, Response
from litestar.status_codes import (
    HTTP_200_OK,
    HTTP_400_BAD_REQUEST,
    HTTP_500_INTERNAL_SERVER_ERROR,
    HTTP_503_SERVICE_UNAVAILABLE,
)

from innovation.api.answers import Answers
from innovation.api.assets import graphiql_asset
from innovation.api.graphql import GRAPHQL_PATH, graphql_controller
from innovation.api.pages import ROUTES
from innovation.api.schema import DOCUMENTS_CACHED, build_schema, unavailable_message
from innovation.bootstrap import Clock, Services, bootstrap, utcnow
from innovation.config import ApiSettings, Settings, get_settings
from innovation.projections import releases as release_views
from innovation.releases.workers import ReleaseWorkers
from innovation.store.errors import said, unavailable, writes_stopped

log = logging.getLogger("innovation.api")


RETRY_AFTER_SECONDS = 5
"""What a 503 for an unavailable database tells the client to wait (``Retry-After``)."""

CLIENT_LEFT = "client disconnected prematurely"
"""Litestar's words when the client hangs up while sending its body: not a failure of ours."""


def internal_error(request: Request[Any, Any, Any], error: Exception) -> Response[dict[str, Any]]:
    """A failure no one meant: its traceback goes to the log, the client only learns it was ours.

    A client that hung up mid-body (a load balancer's timeout, a closed tab) is one INFO line:
    nobody is there to read the answer, and nothing on our side needs fixing.
    """
    if isinstance(error, InternalServerException) and error.detail == CLIENT_LEFT:
        log.info("%s %s: the client left before sending its body", request.method, request.url.path)
        return Response({"detail": CLIENT_LEFT}, status_code=HTTP_400_BAD_REQUEST)
    if unavailable(error):  # not a bug: say so, one line, and when to come back
        log.log(
            logging.WARNING if writes_stopped(error) is None else logging.ERROR,
            "%s %s: the database is unavailable: %s",
            request.method,
            request.url.path,
            said(error),
        )
        return Response(
            {"status_code": HTTP_503_SERVICE_UNAVAILABLE, "detail": unavailable_message(error)},
            status_code=HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    log.error("%s %s failed", request.method, request.url.path, exc_info=error)
    return Response(
        {"status_code": HTTP_500_INTERNAL_SERVER_ERROR, "detail": "Internal Server Error"},
        status_code=HTTP_500_INTERNAL_SERVER_ERROR,
    )


@get("/", include_in_schema=False)
async def home() -> Redirect:
    """The service's front door is GraphiQL: a browser opening the bare address lands there."""
    return Redirect(GRAPHQL_PATH)


@get("/health", include_in_schema=False)
async def health(state: State) -> Response[dict[str, Any]]:
    """Liveness and readiness for operators and load balancers: the database must answer."""
    status, body = await _health(state.services)
    return Response(body, status_code=status)


@head("/health", include_in_schema=False)
async def health_head(state: State) -> Response[None]:
    """The same check for monitors that ask with ``HEAD``: its status, without the body."""
    status, _ = await _health(state.services)
    return Response(None, status_code=status)


async def _health(services: Services) -> tuple[int, dict[str, Any]]:
    try:
        position = await services.store.last_position()
        deliveries = await services.database.read(release_views.delivery_counts)
    except Exception:
        return HTTP_503_SERVICE_UNAVAILABLE, {"status": "unavailable", "database": "unreachable"}
    body = {
        "status": "ok",
        "database": services.database.dialect,
        "position": position,
        "deliveries": deliveries,
    }
    stopped = services.database.stopped_writes.now()  # it reads, but writes may not get in
    if stopped is not None:
        return HTTP_503_SERVICE_UNAVAILABLE, body | {"status": "unavailable", "writes": stopped}
    return HTTP_200_OK, body


def answers_cache(api: ApiSettings) -> Answers:
    """The process's cache of query answers, sized by ``INNOVATION_ANSWER_CACHE_MB``."""
    return Answers(api.answer_cache_bytes, max_tokens=api.max_tokens, documents=DOCUMENTS_CACHED)


YOUNG_COLLECTION_EVERY = 10_000
"""How many more container objects than were freed the process makes between two collections
of its youngest generation (Python's default: 700).

A request leaves no garbage for the collector (``PlainFields`` breaks graphql-core's one cycle):
what it makes goes with its last reference. But while requests are in flight, a page of 100
ideas holds thousands of objects at once (rows, views, answers): every 700 the collector walked
what was alive and moved it to an older generation, whose collections then walked it again,
and full collections walked everything. Through ``innovation serve`` at 16 connections on the
bench's data set (``make bench-service``'s), 8 s of each, the collector's time a request with
Python's default: the page 152 us on SQLite and 405 on PostgreSQL (a tenth of its CPU there),
``submitIdea`` 41 and 49, ``idea(id)`` 0 and 22, with full collections of up to 15 ms on
SQLite and 35 on PostgreSQL. With this: at most 4 collections in each run, none for the page
on SQLite nor for ``idea(id)``, each under 6 ms, and at most 3 us a request."""


def settle_collector() -> None:
    """Tune the garbage collector for serving: what start-up made (the schema, the mappers,
    the modules) lives as long as the process, so it is frozen, and a full collection no longer
    walks it (about 100 ms, a stall for every request in flight, every few thousand requests);
    and the youngest generation is collected every ``YOUNG_COLLECTION_EVERY`` objects."""
    gc.freeze()
    _, middle, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_COLLECTION_EVERY, middle, oldest)


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock = utcnow,
    services: Services | None = None,
) -> Litestar:
    """The app; it opens its own services at start-up and closes them at shutdown.

    Given ``services`` (tests, or a process that embeds the app), it uses them as they are and
    leaves closing them to whoever opened them.
    """
    settings = services.settings if services is not None else settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        if services is not None:
            yield
            return
        opened = bootstrap(settings, clock=clock)
        app.state.services = opened
        workers = ReleaseWorkers(opened, scheduler=settings.releases.scheduler)
        workers.start()
        watching = asyncio.create_task(opened.tokens.watch(), name="tokens.watch")
        settle_collector()
        try:
            yield
        finally:
            watching.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watching
            await workers.stop()
            await opened.close()

    return Litestar(
        route_handlers=[
            home,
            health,
            health_head,
            *ROUTES,
            graphql_controller(
                build_schema(settings.api),
                answers_cache(settings.api),
                max_body=settings.api.max_body_bytes,
            ),
            graphiql_asset,
        ],
        lifespan=[lifespan],
        exception_handlers={HTTP_500_INTERNAL_SERVER_ERROR: internal_error},
        state=State({"services": services} if services is not None else {}),
        request_max_body_size=settings.api.max_body_bytes,
        openapi_config=None,
        debug=False,
    )
