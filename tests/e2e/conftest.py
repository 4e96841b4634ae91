"""End-to-end fixtures: the real app on a test database, one token per role, a GraphQL caller."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from litestar import Litestar

from innovation.api.app import create_app
from innovation.bootstrap import Services, bootstrap
from innovation.config import Settings
from innovation.store import Database
from innovation.tokens import ROLES, create_token
from tests.e2e.browser import browser, serve_app
from tests.integration.world import FakeClock, World

__all__ = ["browser"]

LIMITS = {
    "INNOVATION_API_MAX_DEPTH": "12",
    "INNOVATION_API_MAX_ALIASES": "10",
    "INNOVATION_API_MAX_TOKENS": "1000",
    "INNOVATION_API_MAX_BODY_BYTES": "20000",
    # Tests assemble releases themselves, at the fake clock's times.
    "INNOVATION_SCHEDULER": "off",
}


@pytest.fixture
def settings() -> Settings:
    return Settings.from_env(LIMITS)


@pytest.fixture
async def app_services(
    settings: Settings, database: Database, clock: FakeClock
) -> AsyncIterator[Services]:
    services = bootstrap(settings, clock=clock, database=database)
    try:
        yield services
    finally:
        await services.close()


@pytest.fixture
def world(app_services: Services, clock: FakeClock) -> World:
    """Writes straight through the app's own pipeline, to set the scene quickly."""
    return World(app_services, clock)


@pytest.fixture
def app(app_services: Services) -> Litestar:
    return create_app(services=app_services)


@pytest.fixture
async def tokens(database: Database) -> dict[str, str]:
    """One token per role, plus a second scout (``scout2``) for ownership rules."""
    made: dict[str, str] = {}
    for name, role in [*((role, role) for role in ROLES), ("scout2", "scout")]:
        _, secret = await database.write(
            lambda c, name=name, role=role: create_token(
                c, name=name, role=role, email=f"{name}@example.org", now=FakeClock().now
            )
        )
        made[name] = secret
    return made


@dataclass
class Api:
    client: httpx.AsyncClient
    tokens: dict[str, str]

    async def post(
        self, query: str, variables: dict[str, Any] | None = None, as_: str | None = "lead"
    ) -> httpx.Response:
        headers = {} if as_ is None else {"Authorization": f"Bearer {self.tokens[as_]}"}
        return await self.client.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )

    async def __call__(
        self, query: str, variables: dict[str, Any] | None = None, as_: str | None = "lead"
    ) -> dict[str, Any]:
        response = await self.post(query, variables, as_)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def data(
        self, query: str, variables: dict[str, Any] | None = None, as_: str = "lead"
    ) -> dict[str, Any]:
        body = await self(query, variables, as_)
        assert "errors" not in body, body["errors"]
        return body["data"]  # type: ignore[no-any-return]


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    """The app on this test's own event loop (Litestar's test client runs it on another)."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@pytest.fixture
def api(client: httpx.AsyncClient, tokens: dict[str, str]) -> Api:
    return Api(client, tokens)


@pytest.fixture
async def live_server(
    settings: Settings, database_url: str, tokens: dict[str, str]
) -> AsyncIterator[str]:
    """The app under uvicorn on loopback, opening its own services as in production."""
    live = dataclasses.replace(
        settings, database=dataclasses.replace(settings.database, url=database_url)
    )
    async with serve_app(create_app(live)) as base_url:
        yield base_url
