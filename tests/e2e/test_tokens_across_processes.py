"""Two service processes on one database: a token revoked through one is refused by the other."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from innovation.api.app import create_app
from innovation.bootstrap import Services, bootstrap
from innovation.config import Settings
from innovation.store import Database, open_database
from innovation.tokens import Tokens, revoke_token
from tests.integration.test_token_cache import Ticks
from tests.integration.world import FakeClock

ME = {"query": "{ me { name } }"}


@pytest.fixture
def ticks() -> Ticks:
    return Ticks()


@pytest.fixture
async def second_services(
    settings: Settings, database_url: str, clock: FakeClock
) -> AsyncIterator[Services]:
    """A second process's services: its own connections and its own remembered tokens."""
    services = bootstrap(settings, clock=clock, database=open_database(database_url))
    try:
        yield services
    finally:
        await services.close()


async def client_of(services: Services, ticks: Ticks) -> httpx.AsyncClient:
    services.tokens = Tokens(services.database, seconds=5, clock=ticks)
    transport = httpx.ASGITransport(app=create_app(services=services))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def test_a_token_revoked_through_one_process_is_refused_by_the_other_after_its_ttl(
    app_services: Services,
    second_services: Services,
    database: Database,
    tokens: dict[str, str],
    ticks: Ticks,
):
    headers = {"Authorization": f"Bearer {tokens['executive']}"}
    async with (
        await client_of(app_services, ticks) as first,
        await client_of(second_services, ticks) as second,
    ):
        assert (await first.post("/graphql", json=ME, headers=headers)).status_code == 200
        assert (await second.post("/graphql", json=ME, headers=headers)).status_code == 200

        await database.write(lambda c: revoke_token(c, "executive", FakeClock().now))
        at_once = await first.post("/graphql", json=ME, headers=headers)
        ticks.now += 5
        later = await second.post("/graphql", json=ME, headers=headers)

    assert at_once.status_code == 401
    assert later.status_code == 401
