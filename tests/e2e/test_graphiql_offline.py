"""GraphiQL, served with its vendored assets, runs a query in a real browser with no internet."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

import pytest
import strawberry
from litestar import Litestar
from litestar.static_files import create_static_files_router
from playwright.async_api import Browser, Request
from strawberry.litestar import make_graphql_controller

from innovation.api.graphiql import GRAPHIQL_STATIC_DIR, render_graphiql
from tests.e2e.browser import run_graphiql_query, serve_app

STATIC_PATH = "/static/graphiql"


@strawberry.type
class Query:
    @strawberry.field
    def hello(self) -> str | None:
        return "world"


GraphQLController = make_graphql_controller(strawberry.Schema(query=Query), path="/graphql")


class OfflineGraphQLController(GraphQLController):  # type: ignore[misc,valid-type]
    @property
    def graphql_ide_html(self) -> str:
        return render_graphiql(static_path=STATIC_PATH)


def build_app() -> Litestar:
    return Litestar(
        route_handlers=[
            OfflineGraphQLController,
            create_static_files_router(path=STATIC_PATH, directories=[GRAPHIQL_STATIC_DIR]),
        ]
    )


def describe(request: Request) -> str:
    return f"{request.url} ({request.failure})"


def is_loopback(url: str) -> bool:
    """Loopback hosts, plus the browser-internal schemes that never touch the network."""
    parts = urlsplit(url)
    if parts.scheme in {"data", "blob", "about"}:
        return True
    if parts.hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(parts.hostname or "").is_loopback
    except ValueError:
        return False


@pytest.mark.browser
async def test_graphiql_runs_a_query_without_internet(browser: Browser) -> None:
    requested: list[str] = []
    async with serve_app(build_app()) as base_url:
        context = await browser.new_context()
        try:
            page = await context.new_page()
            page.on("request", lambda request: requested.append(request.url))
            failed: list[str] = []
            page.on("requestfailed", lambda request: failed.append(describe(request)))

            result = await run_graphiql_query(page, base_url, "{ hello }")
        finally:
            await context.close()

    assert '"world"' in result
    assert any(url.startswith(f"{base_url}{STATIC_PATH}/graphiql/") for url in requested)
    outside = [url for url in requested if not is_loopback(url)]
    assert not outside, f"requests left 127.0.0.1: {outside}"
    assert not failed, f"requests failed: {failed}"
