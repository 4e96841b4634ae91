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
works as well, for a page that depends on the request. The service serves the assets through
``api/assets.py`` rather than Litestar's static files router: compressed, tagged, and ``304``
when a browser already has them.
"""

from __future__ import annotations

import html
import json
from functools import cache
from pathlib import Path

__all__ = ["EXAMPLES", "GRAPHIQL_STATIC_DIR", "GRAPHIQL_TEMPLATE", "WELCOME", "render_graphiql"]

GRAPHIQL_STATIC_DIR: Path = Path(__file__).parent / "static" / "graphiql"
"""The vendored npm files, one folder per package, with ``manifest.json`` listing them."""

GRAPHIQL_TEMPLATE: Path = Path(__file__).parent / "templates" / "graphiql.html"

STATIC_PATH_PLACEHOLDER = "{{ static_path }}"
EXAMPLES_PLACEHOLDER = "{{ examples }}"

WELCOME = """\
# innovation: the pipeline's GraphQL API.
#
# Put your token in the Headers tab below:
#
#   {"Authorization": "Bearer <token>"}
#
# The schema and the docs load as soon as it is there, and this tab becomes
# an example for your role. Run with Ctrl-Enter; Ctrl-Space completes.
{
  me {
    name
    role
  }
}
"""
"""What the page opens with before it knows who is calling (it is served without a token)."""

_LEAD = """\
# A lead's queue: ideas to screen, then running experiments.
# Decide with scoreIdea, advanceIdea, rejectIdea, startExperiment.
query LeadQueue {
  ideas(filter: {stages: [SCOUTED, SCREENING]}, first: 10) {
    totalCount
    edges { node { id title stage scout score { rice strategicFit } } }
  }
  experiments(first: 5) {
    edges { node { id hypothesis pilotSite status } }
  }
}
"""

EXAMPLES: dict[str, str] = {
    "SCOUT": """\
# Ideas as a scout sees them; submit one with submitIdea, reword it with reviseIdea.
query Ideas {
  me { name role }
  ideas(first: 10) {
    totalCount
    edges { node { id title stage scout provenance { organisation country } } }
  }
}
""",
    "LEAD": _LEAD,
    "ADMIN": _LEAD,
    "ETHICS": """\
# Ideas that use AI or personal data, and where their ethics review stands.
# Record the council's verdict with recordEthicsReview.
query EthicsQueue {
  ideas(filter: {stages: [SCREENING, EXPERIMENTING, VALIDATED]}, first: 20) {
    edges { node { id title usesAi usesPersonalData ethics { status passesGate } } }
  }
}
""",
    "EXECUTIVE": """\
# The pipeline today and the next release.
query Overview {
  pipeline { ideas externalShare byStage { key count } }
  nextRelease { period daysLeft candidates { title organisation country } }
  releases(first: 2) { edges { node { period publishedAt } } }
}
""",
}
"""The tab the page opens with once it knows the caller's role (``me.role``): one that works."""


@cache
def _template() -> str:
    """Read once: the page is served on every browser visit to the GraphQL path."""
    return GRAPHIQL_TEMPLATE.read_text(encoding="utf-8")


@cache
def render_graphiql(*, static_path: str = "/static/graphiql") -> str:
    """The GraphiQL page with its assets served from ``static_path`` (where the router mounts).

    The GraphQL and subscription URLs are derived in the browser from ``location``; the static
    path and the example tabs (JSON, safe inside a ``<script>``) are the values filled in.
    """
    prefix = html.escape(static_path.rstrip("/"), quote=True)
    examples = json.dumps({"welcome": WELCOME, "byRole": EXAMPLES}).replace("</", "<\\/")
    return (
        _template().replace(STATIC_PATH_PLACEHOLDER, prefix).replace(EXAMPLES_PLACEHOLDER, examples)
    )
