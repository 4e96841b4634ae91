"""A scout who submits an idea is shown the existing ideas that read alike, read after the write."""

from __future__ import annotations

from innovation.api.ids import global_id
from tests.e2e.conftest import Api
from tests.integration.world import World

SUBMIT = """
mutation($input: SubmitIdeaInput!) {
  submitIdea(input: $input) {
    idea { id title }
    similarIdeas { score idea { id title } }
    errors { code }
  }
}"""


async def test_a_submission_is_answered_with_the_ideas_that_read_alike(api: Api, world: World):
    speaker = await world.submit(
        title="Connected speaker with a voice assistant",
        summary="A home speaker that answers customers' questions by voice.",
    )
    await world.submit(
        title="Training managers in responsible AI",
        summary="Three modules certify managers across countries.",
    )

    data = await api.data(
        SUBMIT,
        {
            "input": {
                "title": "Voice assistants in connected home speakers",
                "summary": "Customers ask their speaker questions and get spoken answers.",
                "provenance": {
                    "sourceKind": "COMPETITOR",
                    "organisation": "Amazon",
                    "country": "US",
                },
                "themes": ["customer-experience"],
            }
        },
        as_="scout",
    )

    payload = data["submitIdea"]
    assert payload["errors"] == []
    hints = payload["similarIdeas"]
    assert hints[0]["idea"]["id"] == global_id("Idea", speaker)
    assert payload["idea"]["id"] not in [hint["idea"]["id"] for hint in hints]
    assert all(0 < hint["score"] <= 1 for hint in hints)
