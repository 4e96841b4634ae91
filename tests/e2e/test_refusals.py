"""Each refusal code, as a client meets it: the payload's errors name it, and nothing is written."""

from __future__ import annotations

import uuid
from typing import Any

from innovation.api.ids import global_id
from innovation.domain.ideas import MergeIdea, ReviseIdea
from tests.e2e.conftest import Api
from tests.integration.world import World

ADVANCE = """
mutation($input: AdvanceIdeaInput!) {
  advanceIdea(input: $input) { idea { stage } errors { code message field } }
}"""

REVISE = """
mutation($input: ReviseIdeaInput!) {
  reviseIdea(input: $input) { idea { title } errors { code message field } }
}"""

MERGE = """
mutation($input: MergeIdeaInput!) {
  mergeIdea(input: $input) { idea { stage } into { stage } errors { code message field } }
}"""

IDEA = "query($id: ID!) { idea(id: $id) { title stage version } }"


def refusal(payload: dict[str, Any]) -> tuple[str, str | None]:
    [error] = payload["errors"]
    assert error["message"]
    return error["code"], error["field"]


async def idea(api: Api, idea_id: str) -> dict[str, Any]:
    return (await api.data(IDEA, {"id": global_id("Idea", idea_id)}))["idea"]


async def test_a_theme_outside_the_list_is_refused_as_validation(api: Api):
    submit = """
    mutation($input: SubmitIdeaInput!) {
      submitIdea(input: $input) { idea { id } similarIdeas { score } errors { code message field } }
    }"""
    data = await api.data(
        submit,
        {
            "input": {
                "title": "Drones that inspect antenna masts",
                "summary": "Fly a drone up the mast instead of a technician.",
                "provenance": {
                    "sourceKind": "STARTUP",
                    "organisation": "SkyCheck",
                    "country": "FR",
                },
                "themes": ["space-tourism"],
            }
        },
        as_="scout",
    )

    assert data["submitIdea"]["idea"] is None
    assert data["submitIdea"]["similarIdeas"] == []
    assert refusal(data["submitIdea"]) == ("VALIDATION", "themes")
    ideas = await api.data("{ ideas { totalCount } }")
    assert ideas["ideas"]["totalCount"] == 0


async def test_an_idea_never_submitted_is_refused_as_not_found(api: Api):
    missing = str(uuid.uuid4())

    data = await api.data(
        ADVANCE, {"input": {"ideaId": global_id("Idea", missing), "toStage": "SCREENING"}}
    )

    assert data["advanceIdea"]["idea"] is None
    assert refusal(data["advanceIdea"]) == ("NOT_FOUND", "ideaId")


async def test_merging_into_an_idea_never_submitted_names_into_idea_id(api: Api, world: World):
    duplicate = await world.submit()
    missing = global_id("Idea", str(uuid.uuid4()))

    data = await api.data(
        MERGE, {"input": {"ideaId": global_id("Idea", duplicate), "intoIdeaId": missing}}
    )

    assert refusal(data["mergeIdea"]) == ("NOT_FOUND", "intoIdeaId")
    assert data["mergeIdea"]["errors"][0]["message"] == f"there is no idea {missing}"
    assert (await idea(api, duplicate))["stage"] == "SCOUTED"


async def test_a_scout_moving_an_idea_is_refused_as_forbidden(api: Api, world: World):
    idea_id = await world.submit()

    data = await api.data(
        ADVANCE,
        {"input": {"ideaId": global_id("Idea", idea_id), "toStage": "SCREENING"}},
        as_="scout",
    )

    assert data["advanceIdea"]["idea"] is None
    assert refusal(data["advanceIdea"])[0] == "FORBIDDEN"
    assert (await idea(api, idea_id))["stage"] == "SCOUTED"


async def test_skipping_screening_is_refused_as_an_invalid_transition(api: Api, world: World):
    idea_id = await world.submit()

    data = await api.data(
        ADVANCE, {"input": {"ideaId": global_id("Idea", idea_id), "toStage": "EXPERIMENTING"}}
    )

    assert data["advanceIdea"]["idea"] is None
    assert refusal(data["advanceIdea"])[0] == "INVALID_TRANSITION"
    assert (await idea(api, idea_id))["stage"] == "SCOUTED"


async def test_merging_into_a_merged_idea_names_the_field_and_the_idea_it_went_into(
    api: Api, world: World
):
    survivor = await world.submit(title="Quantum-safe encryption for business VPNs")
    merged = await world.submit(title="Quantum-resistant links for ministries")
    await world.run(MergeIdea(idea_id=merged, into_idea_id=survivor))
    duplicate = await world.submit(title="Post-quantum keys for government links")

    data = await api.data(
        MERGE,
        {
            "input": {
                "ideaId": global_id("Idea", duplicate),
                "intoIdeaId": global_id("Idea", merged),
            }
        },
    )

    assert data["mergeIdea"]["idea"] is None
    assert refusal(data["mergeIdea"]) == ("INVALID_TRANSITION", "intoIdeaId")
    [error] = data["mergeIdea"]["errors"]
    assert error["message"] == (
        f"idea {global_id('Idea', merged)} cannot take in a duplicate: it was merged into "
        f"idea {global_id('Idea', survivor)}; merge into that one instead"
    )
    # nothing half written: the duplicate did not close into the survivor's survivor either
    assert (await idea(api, duplicate))["stage"] == "SCOUTED"


async def test_a_revision_on_a_stale_version_is_refused_as_a_conflict(api: Api, world: World):
    idea_id = await world.submit(title="Alarm triage for the operations centre")
    read = await idea(api, idea_id)
    await world.run(ReviseIdea(idea_id=idea_id, title="Someone else's sharper title"))

    data = await api.data(
        REVISE,
        {
            "input": {
                "ideaId": global_id("Idea", idea_id),
                "expectedVersion": read["version"],
                "title": "My title, written on what I read",
            }
        },
    )

    assert data["reviseIdea"]["idea"] is None
    assert refusal(data["reviseIdea"]) == ("CONFLICT", "expectedVersion")
    [error] = data["reviseIdea"]["errors"]
    # named by the id the client sent, as every refusal names it, never by the stored UUID
    assert error["message"] == (
        f"idea {global_id('Idea', idea_id)} is at version {read['version'] + 1}, "
        f"not {read['version']}: read it again"
    )
    assert (await idea(api, idea_id))["title"] == "Someone else's sharper title"


async def test_an_idea_and_the_pipeline_as_of_a_past_moment_are_replayed(api: Api, world: World):
    idea_id = await world.submit(title="Alarm triage for the operations centre")
    submitted_at = await world.services.store.last_position()
    then = world.clock.now
    world.clock.jump(days=30)
    await world.run(ReviseIdea(idea_id=idea_id, title="Alarm triage, now with root causes"))
    await world.screen(idea_id)
    await world.submit(title="A second idea, scouted later")

    data = await api.data(
        """
        query($id: ID!, $asOf: DateTime!) {
          then: idea(id: $id, asOf: $asOf) {
            title stage version asOfPosition ethics { passesGate }
          }
          now: idea(id: $id) { title stage version asOfPosition }
          pipeline(asOf: $asOf) { ideas byStage { key count } }
        }""",
        {"id": global_id("Idea", idea_id), "asOf": then.isoformat()},
    )

    assert data["then"] == {
        "title": "Alarm triage for the operations centre",
        "stage": "SCOUTED",
        "version": 1,
        "asOfPosition": submitted_at,
        "ethics": {"passesGate": True},
    }
    assert data["now"]["title"] == "Alarm triage, now with root causes"
    assert data["now"]["stage"] == "SCREENING"
    assert data["now"]["asOfPosition"] is None
    assert data["pipeline"] == {"ideas": 1, "byStage": [{"key": "SCOUTED", "count": 1}]}
