"""Two service processes on one database: a token revoked through one is refused by the other."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import httpx
import pytest

from innovation.api.app import create_app
from innovation.bootstrap import Services, bootstrap
from innovation.config import Settings
from innovation.store import Database, open_database
from innovation.tokens import Tokens, api_tokens, revoke_token
from tests.integration.test_token_cache import Ticks
from tests.integration.world import FakeClock

ME = {"query": "{ me { name } }"}
WITHIN = 2.0
"""Seconds within which a revocation made elsewhere is refused: eight looks of the watch."""


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


async def test_a_token_revoked_by_another_process_is_refused_as_soon_as_the_watch_sees_it(
    second_services: Services, database: Database, tokens: dict[str, str], ticks: Ticks
):
    """The CLI, or another server, revokes in a process of its own: this process's count of
    revocations never moves, and the remembered token would be trusted until it expired. The
    clock here never moves either, so only the watch can make it refused."""
    headers = {"Authorization": f"Bearer {tokens['executive']}"}
    async with await client_of(second_services, ticks) as second:
        assert (await second.post("/graphql", json=ME, headers=headers)).status_code == 200
        looked = asyncio.Event()
        watching = asyncio.create_task(second_services.tokens.watch(every=0.05, looked=looked))
        try:
            await asyncio.wait_for(looked.wait(), timeout=WITHIN)  # it knows the state before
            await database.write(  # as another process's revoke_token does, by its own SQL
                lambda c: c.execute(
                    api_tokens.update()
                    .where(api_tokens.c.name == "executive")
                    .values(revoked_at=FakeClock().now)
                )
            )

            async def refused() -> bool:
                answer = await second.post("/graphql", json=ME, headers=headers)
                return answer.status_code == 401

            async with asyncio.timeout(WITHIN):  # a bound, not a pause: polled until refused
                while not await refused():  # noqa: ASYNC110 - what changes is in the database
                    await asyncio.sleep(0.01)
        finally:
            watching.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watching
