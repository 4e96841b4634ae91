"""Answers to queries carry an ETag of (document, variables, caller, log position) and repeat."""

from __future__ import annotations

import json

import pytest
from litestar import Litestar

from innovation.api import graphql
from innovation.api.answers import Answers, Positions
from innovation.api.direct import Direct
from innovation.bootstrap import Services
from innovation.services import Actor
from innovation.store import Database
from tests.e2e.conftest import Api
from tests.e2e.test_dataloaders import counting
from tests.e2e.test_resending import SUBMIT, submission
from tests.helpers import post_messages
from tests.integration.world import World

TITLES = "{ ideas(first: 10) { edges { node { title } } } }"
MINE = "{ ideas(first: 10, filter: {mine: true}) { edges { node { title scout } } } }"


async def titles(api: Api) -> tuple[list[str], str]:
    response = await api.post(TITLES)
    assert response.status_code == 200, response.text
    edges = response.json()["data"]["ideas"]["edges"]
    return [edge["node"]["title"] for edge in edges], response.headers["etag"]


async def test_a_write_between_two_reads_changes_the_answer_and_its_etag(api: Api, world: World):
    await world.submit(title="Conversation analytics for call-centre agents")
    before, before_tag = await titles(api)
    again, again_tag = await titles(api)

    await world.submit(title="Fibre fault prediction from line telemetry")
    after, after_tag = await titles(api)

    assert again == before
    assert again_tag == before_tag
    assert after == [
        "Fibre fault prediction from line telemetry",
        "Conversation analytics for call-centre agents",
    ]
    assert after_tag != before_tag


async def test_one_caller_never_receives_another_callers_answer_or_etag(api: Api, world: World):
    await world.submit(title="Scouted by the first scout", actor=Actor("scout:scout", "scout"))
    await world.submit(title="Scouted by the second scout", actor=Actor("scout:scout2", "scout"))

    first = await api.post(MINE, as_="scout")
    second = await api.post(MINE, as_="scout2")
    first_again = await api.post(MINE, as_="scout")
    second_with_firsts_tag = await api.client.post(
        "/graphql",
        json={"query": MINE},
        headers={
            "Authorization": f"Bearer {api.tokens['scout2']}",
            "If-None-Match": first.headers["etag"],
        },
    )

    def scouts(response) -> list[str]:  # noqa: ANN001
        return [edge["node"]["scout"] for edge in response.json()["data"]["ideas"]["edges"]]

    assert scouts(first) == scouts(first_again) == ["scout:scout"]
    assert scouts(second) == ["scout:scout2"]
    assert first.headers["etag"] != second.headers["etag"]
    assert second_with_firsts_tag.status_code == 200
    assert scouts(second_with_firsts_tag) == ["scout:scout2"]


async def test_a_matching_if_none_match_is_answered_304_without_a_body(api: Api, world: World):
    await world.submit()
    _, etag = await titles(api)
    headers = {"Authorization": f"Bearer {api.tokens['lead']}", "If-None-Match": etag}

    posted = await api.client.post("/graphql", json={"query": TITLES}, headers=headers)
    got = await api.client.get("/graphql", params={"query": TITLES}, headers=headers)

    assert posted.status_code == 304
    assert posted.content == b""
    assert posted.headers["etag"] == etag
    assert got.status_code == 304
    assert got.content == b""


async def test_a_stale_etag_gets_the_new_answer(api: Api, world: World):
    await world.submit(title="Conversation analytics for call-centre agents")
    _, stale = await titles(api)
    await world.submit(title="Fibre fault prediction from line telemetry")

    response = await api.client.post(
        "/graphql",
        json={"query": TITLES},
        headers={"Authorization": f"Bearer {api.tokens['lead']}", "If-None-Match": stale},
    )

    assert response.status_code == 200
    assert len(response.json()["data"]["ideas"]["edges"]) == 2
    assert response.headers["etag"] != stale


async def test_a_repeated_query_is_answered_from_the_cache_after_one_look_at_the_log(
    api: Api, world: World, database: Database
):
    await world.submit()
    first = await api.post(TITLES)

    with counting(database) as statements:
        again = await api.post(TITLES)

    assert again.content == first.content
    assert again.headers["etag"] == first.headers["etag"]
    # At most the log's end (PostgreSQL reads it through the driver, unseen here); no read model.
    assert len(statements) <= 1, statements
    assert not any("ideas_view" in statement for statement in statements), statements


async def test_a_kept_answer_is_sent_as_the_controller_sends_it_without_running_anything(
    api: Api, world: World, monkeypatch: pytest.MonkeyPatch
):
    await world.submit()
    first = await api.post(TITLES)

    async def never(*_: object, **__: object) -> None:
        raise AssertionError("the controller ran")

    monkeypatch.setattr(Direct, "execute", never)
    monkeypatch.setattr(graphql, "context_getter", never)  # no handler arguments either
    again = await api.post(TITLES)
    not_modified = await api.client.post(
        "/graphql",
        json={"query": TITLES, "variables": {}},
        headers={
            "Authorization": f"Bearer {api.tokens['lead']}",
            "If-None-Match": first.headers["etag"],
        },
    )

    assert again.status_code == 200
    assert again.content == first.content
    assert again.headers.multi_items() == first.headers.multi_items()
    assert not_modified.status_code == 304
    assert not_modified.content == b""
    assert not_modified.headers["etag"] == first.headers["etag"]


async def test_a_body_in_pieces_is_answered_from_the_cache_as_a_whole_one(
    app: Litestar, api: Api, world: World
):
    await world.submit()
    first = await api.post(TITLES)
    body = json.dumps({"query": TITLES, "variables": {}}).encode()
    pieces = [body[:7], body[7:20], body[20:]]
    incoming = [
        {"type": "http.request", "body": piece, "more_body": n < len(pieces) - 1}
        for n, piece in enumerate(pieces)
    ]
    sent = await post_messages(
        app,
        incoming,
        [
            (b"content-type", b"application/json"),
            (b"authorization", f"Bearer {api.tokens['lead']}".encode()),
        ],
    )

    assert sent[0]["status"] == 200
    assert (b"etag", first.headers["etag"].encode()) in sent[0]["headers"]
    assert b"".join(message.get("body", b"") for message in sent[1:]) == first.content


async def test_a_miss_looks_up_the_token_and_the_logs_end_once(
    api: Api, world: World, app_services: Services, monkeypatch: pytest.MonkeyPatch
):
    await world.submit()
    looked: list[str] = []
    tokens, lookup = type(app_services.tokens).principal, Positions._lookup

    async def principal(self: object, secret: str) -> object:
        looked.append("token")
        return await tokens(self, secret)  # type: ignore[arg-type]

    async def end(self: Positions) -> int | None:
        looked.append("end")
        return await lookup(self)

    monkeypatch.setattr(type(app_services.tokens), "principal", principal)
    monkeypatch.setattr(Positions, "_lookup", end)
    response = await api.post(TITLES)

    assert response.status_code == 200
    assert "etag" in response.headers
    assert looked == ["token", "end"]


async def test_a_mutation_carries_no_etag_and_is_never_served_twice(api: Api):
    query = await api.post(TITLES, as_="scout")
    first = await api.post(SUBMIT, submission("first"), as_="scout")
    second = await api.post(SUBMIT, submission("second"), as_="scout")

    assert "etag" in query.headers
    assert "etag" not in first.headers
    assert "etag" not in second.headers
    created = [response.json()["data"]["submitIdea"]["idea"]["id"] for response in (first, second)]
    assert created[0] != created[1]


async def test_an_answer_about_the_caller_alone_keeps_its_etag_across_writes(
    api: Api, world: World
):
    before = await api.post("{ __typename me { name role } }")
    await world.submit()
    after = await api.post("{ __typename me { name role } }")
    ideas = await api.post("{ __typename me { name } ideas(first: 1) { totalCount } }")

    assert after.content == before.content
    assert after.headers["etag"] == before.headers["etag"]
    assert "etag" in ideas.headers
    assert ideas.json()["data"]["ideas"]["totalCount"] == 1


@pytest.mark.parametrize(
    "query",
    [
        "{ nextRelease { period daysLeft } }",
        "{ ideas(first: 1) { edges { node { nope } } } }",
        "query { me { name } } query Other { themes }",
    ],
    ids=["follows-the-clock", "has-errors", "names-no-operation"],
)
async def test_an_answer_that_is_not_a_function_of_the_log_carries_no_etag(api: Api, query: str):
    response = await api.post(query)

    assert response.status_code == 200
    assert "etag" not in response.headers


def test_kept_answers_stay_within_their_byte_budget():
    answers = Answers(1000, max_tokens=100, documents=8)

    for n in range(40):
        answers.keep(f'"{n}"', b"x" * 100)
    answers.keep('"large"', b"x" * 200)

    assert answers.size <= 1000
    assert len(answers) == 10
    assert answers.get('"39"') is not None
    assert answers.get('"0"') is None
    assert answers.get('"large"') is None


async def test_on_postgresql_an_end_with_a_position_still_in_flight_is_not_cached(
    api: Api, world: World, backend: str, database_url: str
):
    if backend != "postgresql":
        pytest.skip("SQLite commits positions in order: its end is always settled")
    import asyncpg

    await world.submit()
    holder = await asyncpg.connect(database_url.replace("postgresql+asyncpg", "postgresql"))
    try:
        in_flight = holder.transaction()
        await in_flight.start()
        await holder.fetchval("SELECT nextval(pg_get_serial_sequence('events', 'position'))")
        while_open = await api.post(TITLES)
        await in_flight.rollback()
        after_rollback = await api.post(TITLES)
    finally:
        await holder.close()

    assert while_open.status_code == 200
    assert "etag" not in while_open.headers
    assert "etag" in after_rollback.headers  # the position rolled back for good stops nothing
