"""The Litestar application: ``create_app(settings)`` wires GraphQL, GraphiQL and health."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar, get
from litestar.datastructures import State
from litestar.response import Response
from litestar.static_files import create_static_files_router
from litestar.status_codes import HTTP_503_SERVICE_UNAVAILABLE

from innovation.api.graphiql import GRAPHIQL_STATIC_DIR
from innovation.api.graphql import STATIC_PATH, graphql_controller
from innovation.api.schema import build_schema
from innovation.bootstrap import Clock, Services, bootstrap, utcnow
from innovation.config import Settings, get_settings
from innovation.store import Database


@get("/health", include_in_schema=False)
async def health(state: State) -> Response[dict[str, Any]]:
    """Liveness and readiness for operators and load balancers: the database must answer."""
    services: Services = state.services
    try:
        position = await services.store.last_position()
    except Exception:
        return Response(
            {"status": "unavailable", "database": "unreachable"},
            status_code=HTTP_503_SERVICE_UNAVAILABLE,
        )
    return Response({"status": "ok", "database": services.database.dialect, "position": position})


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock = utcnow,
    database: Database | None = None,
) -> Litestar:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        services = bootstrap(settings, clock=clock, database=database)
        app.state.services = services
        try:
            yield
        finally:
            await services.close()

    return Litestar(
        route_handlers=[
            health,
            graphql_controller(build_schema(settings.api)),
            create_static_files_router(path=STATIC_PATH, directories=[GRAPHIQL_STATIC_DIR]),
        ],
        lifespan=[lifespan],
        request_max_body_size=settings.api.max_body_bytes,
        openapi_config=None,
        debug=False,
    )
