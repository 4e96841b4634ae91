"""A JSON POST run directly answers exactly what strawberry's own path answers.

Each request is sent twice to the same app on the same log: once as served (``Direct`` runs it),
once with ``Direct`` declining every document, so strawberry's view and extension runner run it.
Status, body and the headers clients read must be the same, errors and their logging included.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest

from innovation.api.direct import Direct
from innovation.api.ids import global_id
from innovation.config import Settings
from tests.e2e.conftest import LIMITS, Api
from tests.e2e.test_resending import SUBMIT, submission
from tests.integration.world import World

PAGE = """
query Page($first: Int!, $after: String) {
  ideas(first: $first, after: $after) {
    edges { cursor node { ...Shown experiments { hypothesis metrics { name } } } }
    pageInfo { hasNextPage endCursor }
  }
}
fragment Shown on Idea { id title stage score { rice } }
"""

TWO_OPERATIONS = "query A { me { name role } } query B { pipeline { ideas byStage { count } } }"

REQUESTS: list[tuple[str, dict[str, Any], str]] = [
    # (what, body, as whom)
    ("typename", {"query": "{ __typename }"}, "lead"),
    ("me", {"query": "{ me { name role email } }"}, "executive"),
    ("page", {"query": PAGE, "variables": {"first": 2}}, "lead"),
    ("page, null variables", {"query": PAGE, "variables": None}, "lead"),
    ("second operation", {"query": TWO_OPERATIONS, "operationName": "B"}, "lead"),
    ("first operation", {"query": TWO_OPERATIONS, "operationName": "A"}, "scout"),
    ("no operation named", {"query": TWO_OPERATIONS}, "lead"),
    ("unknown operation", {"query": TWO_OPERATIONS, "operationName": "C"}, "lead"),
    ("variable of the wrong type", {"query": PAGE, "variables": {"first": "two"}}, "lead"),
    ("variable missing", {"query": PAGE, "variables": {}}, "lead"),
    ("over the page limit", {"query": PAGE, "variables": {"first": 100000}}, "lead"),
    ("clock", {"query": "{ nextRelease { period daysLeft } }"}, "executive"),
    ("not an id", {"query": '{ history(ideaId: "nope") { edges { cursor } } }'}, "lead"),
    ("submission", {"query": SUBMIT, "variables": submission("direct-1")}, "scout"),
    ("resent submission", {"query": SUBMIT, "variables": submission("direct-1")}, "scout"),
    ("refused submission", {"query": SUBMIT, "variables": submission("")}, "executive"),
    (
        "bad input",
        {"query": SUBMIT, "variables": {"input": {**submission("x")["input"], "title": ""}}},
        "scout",
    ),
    ("syntax error", {"query": "{ ideas { "}, "lead"),
    ("unknown field", {"query": "{ ideas { edges { nosuch } } }"}, "lead"),
    ("subscription over http", {"query": "subscription { events { type } }"}, "lead"),
    ("extensions", {"query": "{ __typename }", "extensions": {"persisted": 1}}, "lead"),
    ("query not a string", {"query": 3}, "lead"),
    ("variables not an object", {"query": PAGE, "variables": [1]}, "lead"),
]


@pytest.fixture
def settings() -> Settings:
    """No answers kept: the second request of each pair must run, not be answered from memory."""
    return Settings.from_env({**LIMITS, "INNOVATION_ANSWER_CACHE_MB": "0"})


async def both_ways(
    client: httpx.AsyncClient, token: str, body: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> tuple[httpx.Response, httpx.Response]:
    headers = {"Authorization": f"Bearer {token}"}
    direct = await client.post("/graphql", json=body, headers=headers)
    with monkeypatch.context() as patch:
        patch.setattr(Direct, "prepared", lambda *_: None)
        strawberry = await client.post("/graphql", json=body, headers=headers)
    return direct, strawberry


def read(response: httpx.Response) -> tuple[int, Any, dict[str, str | None]]:
    try:
        body = response.json()
    except ValueError:
        body = response.text
    shown = ("content-type", "etag", "cache-control", "www-authenticate")
    return response.status_code, body, {name: response.headers.get(name) for name in shown}


@pytest.mark.parametrize(("what", "body", "as_"), REQUESTS, ids=[r[0] for r in REQUESTS])
async def test_a_request_is_answered_the_same_directly_and_by_strawberry(
    api: Api,
    world: World,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    what: str,
    body: dict[str, Any],
    as_: str,
):
    idea_id, _ = await world.validated_idea()
    await world.submit(title="Open-source network digital twin", country="DE")

    with caplog.at_level(logging.INFO, logger="innovation"):
        direct, strawberry = await both_ways(api.client, api.tokens[as_], body, monkeypatch)
    logged = [(r.levelname, r.getMessage()) for r in caplog.records if r.name == "innovation.api"]
    half = len(logged) // 2

    assert read(direct) == read(strawberry), what
    assert logged[:half] == logged[half:], what
    assert global_id("Idea", idea_id)  # the scene holds a validated idea for the page to show


async def test_an_unexpected_error_is_masked_and_logged_the_same_both_ways(
    api: Api, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
):
    from innovation.projections import queues

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the read model is gone")

    monkeypatch.setattr(queues, "idea_page", broken)
    body = {"query": "{ ideas { edges { node { id } } } }"}

    with caplog.at_level(logging.ERROR, logger="innovation"):
        direct, strawberry = await both_ways(api.client, api.tokens["lead"], body, monkeypatch)

    assert read(direct) == read(strawberry)
    assert direct.json()["errors"][0]["extensions"] == {"code": "INTERNAL_SERVER_ERROR"}
    failures = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(failures) == 2
    assert all("the read model is gone" in str(r.exc_info[1]) for r in failures if r.exc_info)


async def test_a_document_is_run_directly_once_it_validates(
    api: Api, monkeypatch: pytest.MonkeyPatch
):
    """The comparison above means something only if the first request did run directly."""
    ran: list[str] = []
    execute = Direct.execute

    async def counted(self: Direct, prepared: Any, query: str, *args: Any) -> Any:
        ran.append(query)
        return await execute(self, prepared, query, *args)

    monkeypatch.setattr(Direct, "execute", counted)

    await api.data("{ __typename }")
    await api("{ ideas { edges { nosuch } } }")

    assert ran == ["{ __typename }"]
