"""Limits and guards: each one refuses a request just over it and accepts one just under."""

from __future__ import annotations

import json

import pytest
from graphql.language import Lexer, Source, TokenKind

from innovation.config import Settings
from tests.e2e.conftest import Api

ME = "{ me { name } }"


def nested(levels: int) -> str:
    """A query ``levels`` fields deep: ideas > edges > node > experiments > idea > ... > id."""
    chain = ["ideas", "edges", "node"]
    while len(chain) < levels - 1:
        chain.append("experiments" if chain[-1] in ("node", "idea") else "idea")
    chain.append("id")
    query = ""
    for name in reversed(chain):
        query = f"{name} {{ {query} }}" if query else name
    return "{ " + query + " }"


def token_count(document: str) -> int:
    lexer = Lexer(Source(document))
    count = 0
    while lexer.advance().kind != TokenKind.EOF:
        count += 1
    return count


def with_tokens(count: int) -> str:
    """A valid query of exactly ``count`` lexical tokens, padded with values in a list."""

    def document(values: int) -> str:
        stages = " ".join(["SCOUTED"] * values)
        return "{ ideas(filter: {stages: [" + stages + "]}) { edges { node { id } } } }"

    padded = document(1 + count - token_count(document(1)))
    assert token_count(padded) == count
    return padded


def codes(body: dict) -> list[str]:
    return [error["message"] for error in body.get("errors", [])]


async def test_query_depth_is_limited(api: Api, settings: Settings):
    depth = settings.api.max_depth  # strawberry counts from 0 at the root field

    under = await api(nested(depth + 1))
    over = await api(nested(depth + 2))

    assert "errors" not in under, under
    assert any("exceeds maximum operation depth" in m for m in codes(over)), over
    assert over.get("data") is None


async def test_aliases_are_limited(api: Api, settings: Settings):
    limit = settings.api.max_aliases

    def aliased(count: int) -> str:
        return "{ " + " ".join(f"a{i}: me {{ name }}" for i in range(count)) + " }"

    under = await api(aliased(limit))
    over = await api(aliased(limit + 1))

    assert "errors" not in under
    assert any("aliases" in m for m in codes(over)), over


async def test_documents_are_limited_in_tokens(api: Api, settings: Settings):
    limit = settings.api.max_tokens

    under = await api(with_tokens(limit))
    over = await api(with_tokens(limit + 1))

    assert "errors" not in under, codes(under)
    assert any("tokens" in m for m in codes(over)), over


async def test_request_bodies_are_limited_in_size(api: Api, settings: Settings):
    limit = settings.api.max_body_bytes

    def body_of(size: int) -> bytes:
        empty = json.dumps({"query": ME + " #"}).encode()
        padded = json.dumps({"query": ME + " #" + "x" * (size - len(empty))}).encode()
        assert len(padded) == size
        return padded

    headers = {"Authorization": f"Bearer {api.tokens['lead']}", "Content-Type": "application/json"}
    under = await api.client.post("/graphql", content=body_of(limit), headers=headers)
    over = await api.client.post("/graphql", content=body_of(limit + 1), headers=headers)

    assert under.status_code == 200, under.text
    assert over.status_code == 413


async def test_batched_requests_are_refused(api: Api):
    response = await api.client.post(
        "/graphql",
        json=[{"query": ME}, {"query": ME}],
        headers={"Authorization": f"Bearer {api.tokens['lead']}"},
    )

    assert response.status_code == 400
    assert "atching" in response.text


async def test_mutations_over_get_are_refused_and_queries_are_served(api: Api):
    headers = {"Authorization": f"Bearer {api.tokens['lead']}"}
    mutation = 'mutation { rejectIdea(input: {ideaId: "x", reason: "no"}) { errors { code } } }'

    refused = await api.client.get("/graphql", params={"query": mutation}, headers=headers)
    served = await api.client.get("/graphql", params={"query": ME}, headers=headers)

    assert refused.status_code in (400, 405)
    assert served.status_code == 200
    assert served.json()["data"]["me"]["name"] == "lead"


async def test_introspection_needs_a_token(api: Api):
    introspection = "{ __schema { queryType { name } } }"

    anonymous = await api.post(introspection, as_=None)
    authenticated = await api(introspection)

    assert anonymous.status_code == 401
    assert authenticated["data"]["__schema"]["queryType"]["name"] == "Query"


async def test_an_unexpected_failure_reaches_the_client_without_details(
    api: Api, monkeypatch: pytest.MonkeyPatch
):
    from innovation.projections import queues

    def broken(*args, **kwargs):
        raise RuntimeError('SELECT secret FROM "events" -- at innovation/projections/queues.py')

    monkeypatch.setattr(queues, "idea_page", broken)

    body = await api("{ ideas { edges { node { id } } } }")

    assert codes(body) == ["Unexpected error."]
    text = json.dumps(body)
    assert "SELECT" not in text
    assert "Traceback" not in text
    assert ".py" not in text


async def test_a_bad_argument_is_named(api: Api):
    body = await api("{ ideas(first: 500) { edges { node { id } } } }")
    cursor = await api('{ ideas(after: "bm90IGEgY3Vyc29y") { edges { node { id } } } }')

    [error] = body["errors"]
    assert error["extensions"] == {
        "code": "BAD_USER_INPUT",
        "errorCode": "VALIDATION",
        "field": "first",
    }
    assert cursor["errors"][0]["extensions"]["field"] == "after"
