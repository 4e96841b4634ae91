"""The service bench's ceilings answer the shapes the bench measures against, whole."""

from __future__ import annotations

import json

import httpx
import pytest
from litestar import Litestar

from bench.profile import PATHS as PROFILED
from bench.profile import bodies, url_path
from bench.service.app import Held, bench_graphql_controller, ceiling_controller
from bench.service.run import CEILING_PAGE, PAGE
from innovation.api.app import create_app
from innovation.bootstrap import Services
from tests.e2e.conftest import Api
from tests.integration.world import World


@pytest.fixture
def app(app_services: Services) -> Litestar:
    app = create_app(services=app_services)
    app.register(ceiling_controller(Held()))
    app.register(bench_graphql_controller())
    return app


async def test_strawberrys_ceiling_answers_the_page_as_the_product_does(
    api: Api, client: httpx.AsyncClient, world: World
):
    for n in range(3):
        idea_id = await world.submit(title=f"Alarm triage for network centre {n}")
        await world.screen(idea_id)
        await world.measure(await world.start(idea_id), "first-call resolution", 60 + n)
    await world.submit(title="An idea without experiments yet")

    ceiling = await client.post("/bench/strawberry", json={"query": CEILING_PAGE})
    product = await api.data(PAGE, {"order": "SCOUTED_AT", "direction": "DESC"})

    body = ceiling.json()
    assert "errors" not in body, body["errors"]
    assert body["data"] == product
    nested = [node["node"]["experiments"] for node in product["ideas"]["edges"]]
    assert sorted(len(experiments) for experiments in nested) == [0, 1, 1, 1]
    assert all(pilot[0]["metrics"] for pilot in nested if pilot)


@pytest.mark.parametrize("path", PROFILED)
async def test_what_make_profile_sends_is_answered_without_errors(
    api: Api, world: World, path: str
):
    """``make profile`` graphs a path only while its bodies are answered: wrk counts a body
    with GraphQL errors as failed, and a run with failures is not reported."""
    tried = await world.submit(title="Alarm triage for the network centre")
    await world.screen(tried)
    running = await world.start(tried)
    await world.measure(running, "first-call resolution", 61)
    ideas = [tried, await world.submit(title="An idea without experiments yet")]
    measured = [(running, "first-call resolution")]
    sent = [json.loads(line.replace("{n}", "1")) for line in bodies(path, "test", ideas, measured)]

    for request in sent:
        response = await api.client.post(
            url_path(path), json=request, headers={"Authorization": f"Bearer {api.tokens['admin']}"}
        )
        assert response.status_code == 200, response.text
        answer = response.json()
        assert "errors" not in answer, answer
        assert answer["data"], answer

    assert len(sent) == {
        "page": 8,
        "idea": 2,
        "themed": 4,
        "worded": 4,
        "counted": 3,
        "staged": 4,
    }.get(path, 1)
