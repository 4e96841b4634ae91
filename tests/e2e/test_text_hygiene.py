"""Through the API, hidden characters in text and markup in an address are refused, naming the
field, and nothing is stored. What no stored text can hold (a NUL, which PostgreSQL's text
refuses outright; half of a UTF-16 surrogate pair, which JSON lets through but nothing can
encode) is answered as a refusal or as nothing found wherever it is sent, never as a failure."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from tests.e2e.conftest import Api

SUBMIT = """
mutation($input: SubmitIdeaInput!) {
  submitIdea(input: $input) { idea { title summary } errors { code field message } }
}"""


def submission(**changes: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "title": "Sovereign AI for business customers",
        "summary": "A hosted assistant built on European models.",
        "provenance": {"sourceKind": "STARTUP", "organisation": "Mistral AI", "country": "FR"},
        "themes": ["generative-ai"],
    }
    return {"input": fields | changes}


@pytest.mark.parametrize(
    "title",
    ["Sovereign \x1b[31mAI\x1b[0m", "Sovereign\x00 AI", "Sovereign \u202eIA", "\ufeffSovereign AI"],
    ids=["ANSI", "NUL", "RLO", "BOM"],
)
async def test_a_title_with_hidden_characters_is_refused(api: Api, title: str):
    data = await api.data(SUBMIT, submission(title=title), as_="scout")

    [error] = data["submitIdea"]["errors"]
    assert (error["code"], error["field"]) == ("VALIDATION", "title")
    assert data["submitIdea"]["idea"] is None


async def test_a_lone_surrogate_is_refused_not_a_server_error(api: Api):
    body = {"query": SUBMIT, "variables": submission(summary="Half a pair: \ud83d.")}
    response = await api.client.post(
        "/graphql",
        content=json.dumps(body),  # the surrogate travels as the JSON escape \ud83d
        headers={
            "Authorization": f"Bearer {api.tokens['scout']}",
            "Content-Type": "application/json",
        },
    )

    assert response.status_code == 200, response.text
    [error] = response.json()["data"]["submitIdea"]["errors"]
    assert (error["code"], error["field"]) == ("VALIDATION", "summary")


async def test_an_address_carrying_markup_is_refused(api: Api):
    provenance = {
        "sourceKind": "STARTUP",
        "organisation": "Mistral AI",
        "country": "FR",
        "url": 'https://mistral.ai/"><script>alert(1)</script>',
    }

    data = await api.data(SUBMIT, submission(provenance=provenance), as_="scout")

    [error] = data["submitIdea"]["errors"]
    assert (error["code"], error["field"]) == ("VALIDATION", "provenance.url")


async def test_text_is_stored_composed_and_long_text_keeps_its_lines(api: Api):
    summary = "First, the pilot.\n\tThen the roll-out."

    data = await api.data(SUBMIT, submission(title="Cafe\u0301 analytics", summary=summary))

    assert data["submitIdea"]["errors"] == []
    assert data["submitIdea"]["idea"] == {"title": "Café analytics", "summary": summary}


async def post_escaped(api: Api, query: str, variables: dict[str, Any], role: str) -> Any:
    """Sent as JSON escapes (``\\ud800``), as a client's JSON encoder writes them."""
    response = await api.client.post(
        "/graphql",
        content=json.dumps({"query": query, "variables": variables}),
        headers={"Authorization": f"Bearer {api.tokens[role]}", "Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text
    return response.json()


async def test_half_a_surrogate_pair_in_a_query_is_refused_naming_the_argument(api: Api):
    body = await post_escaped(
        api, "query($id: ID!) { idea(id: $id) { title } }", {"id": "\ud800"}, "lead"
    )

    [error] = body["errors"]
    assert (error["extensions"]["code"], error["extensions"]["field"]) == ("BAD_USER_INPUT", "id")


@pytest.mark.parametrize("mutation", ["submitIdea", "assembleRelease"])
async def test_a_client_mutation_id_that_is_not_text_is_refused_and_nothing_written(
    api: Api, mutation: str
):
    if mutation == "submitIdea":
        document, variables = SUBMIT, submission(clientMutationId="key-\udc00")
    else:
        document = "mutation($input: AssembleReleaseInput!) { assembleRelease(input: $input) {"
        document += " release { period } errors { code field message } } }"
        variables = {"input": {"period": "2024-H1", "clientMutationId": "key-\udc00"}}
    before = await api.data("{ pipeline { ideas } releases(first: 1) { edges { cursor } } }")

    body = await post_escaped(api, document, variables, "admin")
    after = await api.data("{ pipeline { ideas } releases(first: 1) { edges { cursor } } }")

    [error] = body["data"][mutation]["errors"]
    assert (error["code"], error["field"]) == ("VALIDATION", "clientMutationId")
    assert after == before


async def test_a_nul_in_an_id_or_a_filter_finds_nothing_or_is_refused_naming_the_field(api: Api):
    submitted = await api.data(SUBMIT, submission(), as_="scout")
    idea = submitted["submitIdea"]["idea"]
    found = await api.data("{ ideas(first: 1) { edges { node { id } } } }")
    global_id = found["ideas"]["edges"][0]["node"]["id"]
    kind, raw = base64.b64decode(global_id).decode().split(":")
    shouted = base64.b64encode(f"{kind}:{raw.upper()}".encode()).decode()
    nul = base64.b64encode(b"Idea:\x00").decode()
    node = "query($id: ID!) { node(id: $id) { id ... on Idea { title } } }"
    listed = "query($f: IdeaFilter) { ideas(filter: $f) { totalCount } }"

    assert await api.data(node, {"id": nul}) == {"node": None}
    assert (await api.data(node, {"id": shouted}))["node"]["title"] == idea["title"]
    for field, value in (("theme", "generative-ai\x00"), ("scout", "\x00")):
        refused = await api(listed, {"f": {field: value}})
        [error] = refused["errors"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT", refused
        assert error["extensions"]["field"] == f"filter.{field}"
