"""``/health``: what operators, load balancers and uptime monitors ask, with GET or HEAD."""

from __future__ import annotations

import httpx
import pytest

from innovation.bootstrap import Services
from tests.integration.world import World


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
    }
    assert headed.content == b""


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
