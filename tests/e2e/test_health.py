"""``/health``: what operators, load balancers and uptime monitors ask, with GET or HEAD."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from innovation.bootstrap import Services
from innovation.domain.deliveries import RecordFailure
from innovation.projections import releases as release_views
from innovation.releases.shipping import shipping_reader
from tests.integration.world import LEAD, World


async def test_health_says_the_database_answers_and_where_the_log_stands(
    client: httpx.AsyncClient, app_services: Services, world: World
):
    await world.submit()

    got = await client.get("/health")
    headed = await client.head("/health")

    assert got.status_code == headed.status_code == 200
    assert got.json() == {
        "status": "ok",
        "database": app_services.database.dialect,
        "position": await app_services.store.last_position(),
        "deliveries": {"pending": 0, "failed": 0},
    }
    assert headed.content == b""


async def test_health_counts_the_digests_waiting_to_be_sent_and_those_given_up(
    client: httpx.AsyncClient, app_services: Services, world: World
):
    await world.validated_idea(title="Alarm triage for the network centre")
    h1_end = datetime(2024, 6, 30, 22, 0, tzinfo=UTC)
    await app_services.releases.assemble("2024-H1", actor=LEAD, now=h1_end + timedelta(hours=1))
    reader = shipping_reader(app_services.pipeline, lambda: ("a@example.org", "b@example.org"))
    async with asyncio.timeout(30):
        await app_services.readers.run_until(reader, await app_services.store.last_position())
    [first, _] = await app_services.database.read(release_views.deliveries)
    refused = RecordFailure(
        delivery_id=first.delivery_id, at=world.clock.now, error="550 no such mailbox", retry=False
    )
    await world.run(refused)  # a permanent refusal: given up

    body = (await client.get("/health")).json()

    assert body["deliveries"] == {"pending": 1, "failed": 1}


async def test_health_is_503_for_both_methods_when_the_database_does_not_answer(
    client: httpx.AsyncClient, app_services: Services, monkeypatch: pytest.MonkeyPatch
):
    async def unreachable() -> int:
        raise OSError("connection refused")

    monkeypatch.setattr(app_services.store, "last_position", unreachable)

    got = await client.get("/health")
    headed = await client.head("/health")

    assert got.status_code == headed.status_code == 503
    assert got.json() == {"status": "unavailable", "database": "unreachable"}
    assert headed.content == b""
