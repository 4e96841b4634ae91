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


SPEAKER_INPUT = {
    "title": "Voice assistants in connected home speakers",
    "summary": "Customers ask their speaker questions and get spoken answers.",
    "provenance": {"sourceKind": "COMPETITOR", "organisation": "Amazon", "country": "US"},
    "themes": ["customer-experience"],
}
HINTS_IN_A_FRAGMENT = """
mutation($input: SubmitIdeaInput!) {
  submitIdea(input: $input) { idea { id } ...Hints }
}
fragment Hints on SubmitIdeaPayload { ... on SubmitIdeaPayload { similarIdeas { score } } }"""
NO_HINTS = """
mutation($input: SubmitIdeaInput!) { submitIdea(input: $input) { idea { id } errors { code } } }"""


async def test_hints_asked_for_inside_fragments_are_found(api: Api, world: World):
    await world.submit(
        title="Connected speaker with a voice assistant",
        summary="A home speaker that answers customers' questions by voice.",
    )
    data = await api.data(HINTS_IN_A_FRAGMENT, {"input": SPEAKER_INPUT}, as_="scout")
    assert len(data["submitIdea"]["similarIdeas"]) == 1


async def test_a_submission_that_does_not_ask_for_hints_does_not_look_for_them(
    api: Api, world: World, monkeypatch
):
    await world.submit(
        title="Connected speaker with a voice assistant",
        summary="A home speaker that answers customers' questions by voice.",
    )
    looked: list[str] = []
    monkeypatch.setattr(
        "innovation.api.ideas.similar_to_idea",
        lambda connection, idea_id, limit: looked.append(idea_id) or [],
    )
    data = await api.data(NO_HINTS, {"input": SPEAKER_INPUT}, as_="scout")
    assert data["submitIdea"]["errors"] == []
    assert looked == []
    await api.data(HINTS_IN_A_FRAGMENT, {"input": SPEAKER_INPUT | {"title": "Again"}}, as_="scout")
    assert len(looked) == 1
