"""A lead's upkeep through the API: a rejected idea reopened, a running pilot moved, re-dated,
re-worded and given a metric; each change is an event that the history shows."""

from __future__ import annotations

from typing import Any

from innovation.api.ids import global_id
from innovation.domain.ideas import MergeIdea, RejectIdea
from tests.e2e.conftest import Api
from tests.integration.world import World

REOPEN = """
mutation($input: ReopenIdeaInput!) {
  reopenIdea(input: $input) { idea { stage rejectionReason } errors { code field message } }
}"""

AMEND = """
mutation($input: AmendExperimentInput!) {
  amendExperiment(input: $input) {
    experiment { hypothesis pilotSite startsOn endsOn } errors { code field message }
  }
}"""

ADD_METRIC = """
mutation($input: AddMetricInput!) {
  addMetric(input: $input) {
    experiment { metrics { name targetMet measurementCount } } errors { code field message }
  }
}"""

HISTORY = """
query($id: ID!) { history(ideaId: $id) { edges { node { type description } } } }
"""

HANDLING = {
    "name": "handling time",
    "unit": "s",
    "baseline": 300,
    "target": 240,
    "direction": "LOWER_IS_BETTER",
}


async def history(api: Api, idea_id: str) -> list[dict[str, Any]]:
    data = await api.data(HISTORY, {"id": global_id("Idea", idea_id)})
    return [edge["node"] for edge in data["history"]["edges"]]


async def a_pilot(world: World) -> tuple[str, str]:
    idea_id = await world.submit()
    await world.screen(idea_id)
    return idea_id, await world.start(idea_id)


async def test_a_lead_reopens_a_rejected_idea_and_the_history_keeps_both(api: Api, world: World):
    idea_id = await world.submit()
    await world.run(RejectIdea(idea_id=idea_id, reason="Out of scope this year."))
    reopen = {"ideaId": global_id("Idea", idea_id), "reason": "Back in scope after the review."}

    data = await api.data(REOPEN, {"input": reopen})

    payload = data["reopenIdea"]
    assert payload["errors"] == []
    assert payload["idea"] == {"stage": "SCREENING", "rejectionReason": None}
    entries = await history(api, idea_id)
    assert [e["type"] for e in entries][-2:] == ["idea.rejected", "idea.reopened"]
    assert "Back in scope" in entries[-1]["description"]


async def test_an_idea_that_was_not_rejected_is_not_reopened(api: Api, world: World):
    idea_id = await world.submit()
    reopen = {"ideaId": global_id("Idea", idea_id), "reason": "Nothing to undo."}

    data = await api.data(REOPEN, {"input": reopen})

    [error] = data["reopenIdea"]["errors"]
    assert error["code"] == "INVALID_TRANSITION"
    assert data["reopenIdea"]["idea"] is None


async def test_a_lead_changes_a_running_pilot_and_the_history_says_why(api: Api, world: World):
    idea_id, experiment_id = await a_pilot(world)
    hypothesis = "Agents who see the right sheet at once transfer fewer calls."
    amend = {
        "experimentId": global_id("Experiment", experiment_id),
        "hypothesis": hypothesis,
        "pilotSite": "Orange Belgium contact centre",
        "endsOn": "2024-06-30",
        "reason": "The Luxembourg centre closes for works.",
    }

    data = await api.data(AMEND, {"input": amend})

    payload = data["amendExperiment"]
    assert payload["errors"] == []
    assert payload["experiment"]["hypothesis"] == hypothesis
    assert payload["experiment"]["pilotSite"] == "Orange Belgium contact centre"
    assert payload["experiment"]["endsOn"] == "2024-06-30"
    entries = await history(api, idea_id)
    assert entries[-1]["type"] == "experiment.amended"
    assert "closes for works" in entries[-1]["description"]


async def test_a_pilot_cannot_end_before_it_starts(api: Api, world: World):
    _, experiment_id = await a_pilot(world)
    amend = {
        "experimentId": global_id("Experiment", experiment_id),
        "endsOn": "2020-01-01",
        "reason": "A slip of the keyboard.",
    }

    data = await api.data(AMEND, {"input": amend})

    [error] = data["amendExperiment"]["errors"]
    assert (error["code"], error["field"]) == ("VALIDATION", "endsOn")


async def test_a_lead_adds_a_metric_before_the_first_measurement_only(api: Api, world: World):
    idea_id, experiment_id = await a_pilot(world)
    add = {"experimentId": global_id("Experiment", experiment_id), "metric": HANDLING}

    data = await api.data(ADD_METRIC, {"input": add})

    payload = data["addMetric"]
    assert payload["errors"] == []
    names = [metric["name"] for metric in payload["experiment"]["metrics"]]
    assert names[-1] == "handling time"
    assert (await history(api, idea_id))[-1]["type"] == "experiment.metric_added"

    await world.measure(experiment_id, "handling time", 250)
    later = {**add, "metric": {**HANDLING, "name": "transfers"}}
    refused = await api.data(ADD_METRIC, {"input": later})
    [error] = refused["addMetric"]["errors"]
    assert error["code"] == "INVALID_TRANSITION"


async def test_the_history_names_ideas_and_experiments_by_the_ids_the_api_hands_out(
    api: Api, world: World
):
    idea_id, experiment_id = await world.validated_idea()
    duplicate = await world.submit(title="Product sheets pushed to agents during calls")
    await world.run(MergeIdea(idea_id=duplicate, into_idea_id=idea_id))
    shown = {
        "idea": global_id("Idea", idea_id),
        "experiment": global_id("Experiment", experiment_id),
    }

    said = {entry["type"]: entry["description"] for entry in await history(api, idea_id)}
    merged = await history(api, duplicate)

    assert said["idea.experiment_attached"] == f"experiment {shown['experiment']} started"
    assert said["idea.validated"] == f"validated by experiment {shown['experiment']}"
    assert said["idea.duplicate_absorbed"] == (
        f"absorbed duplicate idea {global_id('Idea', duplicate)}"
    )
    assert merged[-1]["description"] == f"merged into idea {shown['idea']}"
    assert not any(raw in text for text in said.values() for raw in (idea_id, experiment_id))
