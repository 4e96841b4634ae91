"""Through the API, hidden characters in text and markup in an address are refused, naming the
field, and nothing is stored."""

from __future__ import annotations

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
