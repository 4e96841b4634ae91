"""A mutation sent again with the same clientMutationId is answered again, not applied twice."""

from __future__ import annotations

from typing import Any

from innovation.api.ids import global_id
from tests.e2e.conftest import Api
from tests.integration.world import World

SUBMIT = """
mutation($input: SubmitIdeaInput!) {
  submitIdea(input: $input) { idea { id version } errors { code field } clientMutationId }
}"""

START = """
mutation($input: StartExperimentInput!) {
  startExperiment(input: $input) {
    experiment { id } idea { experiments { id } } errors { code field } clientMutationId
  }
}"""


def submission(key: str) -> dict[str, Any]:
    return {
        "input": {
            "title": "Alarm triage for the network operations centre",
            "summary": "Group alarms before an operator sees them.",
            "provenance": {"sourceKind": "EMPLOYEE", "organisation": "NOC", "country": "FR"},
            "themes": ["networks-cloud"],
            "clientMutationId": key,
        }
    }


def experiment_start(idea_id: str, key: str | None = None) -> dict[str, Any]:
    """``startExperiment``'s variables for a screened idea, resendable when ``key`` is given."""
    start: dict[str, Any] = {
        "ideaId": global_id("Idea", idea_id),
        "hypothesis": "Alarms fall by two thirds when triaged first.",
        "pilotSite": "Network operations centre",
        "startsOn": "2024-03-01",
        "endsOn": "2024-06-30",
        "metrics": [
            {
                "name": "daily alarms",
                "unit": "alarms",
                "baseline": 900,
                "target": 300,
                "direction": "LOWER_IS_BETTER",
            }
        ],
    }
    if key is not None:
        start["clientMutationId"] = key
    return {"input": start}


async def test_a_resent_submission_returns_the_same_idea_once(api: Api):
    first = await api.data(SUBMIT, submission("submit-1"), as_="scout")
    again = await api.data(SUBMIT, submission("submit-1"), as_="scout")
    other = await api.data(SUBMIT, submission("submit-2"), as_="scout")

    assert first["submitIdea"]["errors"] == again["submitIdea"]["errors"] == []
    assert again["submitIdea"]["idea"] == first["submitIdea"]["idea"]
    assert again["submitIdea"]["clientMutationId"] == "submit-1"
    assert other["submitIdea"]["idea"]["id"] != first["submitIdea"]["idea"]["id"]


async def test_a_resent_experiment_start_returns_the_same_experiment_once(api: Api, world: World):
    idea_id = await world.submit()
    await world.screen(idea_id)
    start = experiment_start(idea_id, "start-1")

    first = await api.data(START, start)
    again = await api.data(START, start)

    assert first["startExperiment"]["errors"] == again["startExperiment"]["errors"] == []
    experiment = first["startExperiment"]["experiment"]
    assert again["startExperiment"]["experiment"] == experiment
    assert again["startExperiment"]["idea"]["experiments"] == [experiment]


async def test_a_clientmutationid_resent_with_a_different_input_is_refused(api: Api):
    first = await api.data(SUBMIT, submission("submit-3"), as_="scout")
    changed = submission("submit-3")
    changed["input"]["title"] = "Alarm triage for every operations centre"

    refused = await api.data(SUBMIT, changed, as_="scout")
    identical = await api.data(SUBMIT, submission("submit-3"), as_="scout")
    ideas = await api.data("{ ideas { totalCount edges { node { title } } } }")

    [error] = refused["submitIdea"]["errors"]
    assert error["code"] == "VALIDATION"
    assert error["field"] == "clientMutationId"
    assert refused["submitIdea"]["idea"] is None
    assert identical["submitIdea"]["idea"] == first["submitIdea"]["idea"]
    assert ideas["ideas"]["totalCount"] == 1
    assert ideas["ideas"]["edges"][0]["node"]["title"] == submission("submit-3")["input"]["title"]


async def test_a_rejection_resent_with_another_reason_is_refused_and_an_identical_one_answered(
    api: Api, world: World
):
    reject = """
    mutation($input: RejectIdeaInput!) {
      rejectIdea(input: $input) { idea { stage } errors { code message field } }
    }"""
    idea_id = await world.submit()
    ask = {"ideaId": global_id("Idea", idea_id), "reason": "Too costly", "clientMutationId": "r1"}

    first = await api.data(reject, {"input": ask})
    reworded = await api.data(reject, {"input": {**ask, "reason": "Out of scope"}})
    resent = await api.data(reject, {"input": ask})

    assert first["rejectIdea"]["errors"] == resent["rejectIdea"]["errors"] == []
    [error] = reworded["rejectIdea"]["errors"]
    assert error["field"] == "clientMutationId"
    assert "clientMutationId" in error["message"]
