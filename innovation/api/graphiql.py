"""A GraphiQL page that loads every script and stylesheet from this package, so it works offline.

strawberry's own page fetches React and GraphiQL from unpkg.com and stays on "Loading..."
without internet. ``templates/graphiql.html`` is strawberry's page with those URLs pointed at
``static/graphiql/`` (vendored from npm by ``python .ci/vendor_graphiql.py``).

Plugging it in: strawberry's Litestar controller answers a browser's ``GET`` on the GraphQL
path with ``await self.render_graphql_ide(request)``, which returns ``self.graphql_ide_html``
(a property of ``strawberry.http.base.BaseView``). Override that property in a subclass of the
controller made by ``make_graphql_controller`` and serve the assets next to it::

    from litestar import Litestar
    from litestar.static_files import create_static_files_router
    from strawberry.litestar import make_graphql_controller

    from innovation.api.graphiql import GRAPHIQL_STATIC_DIR, render_graphiql

    GraphQLController = make_graphql_controller(schema, path="/graphql")


    class GraphQL(GraphQLController):
        @property
        def graphql_ide_html(self) -> str:
            return render_graphiql(static_path="/static/graphiql")


    app = Litestar(
        route_handlers=[
            GraphQL,
            create_static_files_router(
                path="/static/graphiql", directories=[GRAPHIQL_STATIC_DIR]
            ),
        ]
    )

Overriding ``async def render_graphql_ide(self, request: Request) -> Response[str]`` instead
works as well, for a page that depends on the request.
"""

from __future__ import annotations

import html
from functools import cache
from pathlib import Path

__all__ = ["GRAPHIQL_STATIC_DIR", "GRAPHIQL_TEMPLATE", "render_graphiql"]

GRAPHIQL_STATIC_DIR: Path = Path(__file__).parent / "static" / "graphiql"
"""The vendored npm files, one folder per package, with ``manifest.json`` listing them."""

GRAPHIQL_TEMPLATE: Path = Path(__file__).parent / "templates" / "graphiql.html"

STATIC_PATH_PLACEHOLDER = "{{ static_path }}"


@cache
def _template() -> str:
    """Read once: the page is served on every browser visit to the GraphQL path."""
    return GRAPHIQL_TEMPLATE.read_text(encoding="utf-8")


@cache
def render_graphiql(*, static_path: str = "/static/graphiql") -> str:
    """The GraphiQL page with its assets served from ``static_path`` (where the router mounts).

    strawberry 0.341 serves its ``graphiql.html`` as it is, with no placeholder of its own
    (the GraphQL and subscription URLs are derived in the browser from ``location``), so the
    static path is the only value to fill in.
    """
    prefix = html.escape(static_path.rstrip("/"), quote=True)
    return _template().replace(STATIC_PATH_PLACEHOLDER, prefix)
