"""Refusals in the API's own words: its ids, plain English, and every invalid field at once."""

from __future__ import annotations

import uuid
from typing import Any

from innovation.api.ids import global_id
from innovation.domain.values import Decision, Outcome
from tests.e2e.conftest import Api
from tests.integration.world import World

SUBMIT = """
mutation($input: SubmitIdeaInput!) {
  submitIdea(input: $input) { idea { id } errors { code message field } }
}"""

START = """
mutation($input: StartExperimentInput!) {
  startExperiment(input: $input) { experiment { id } errors { code message field } }
}"""

MEASURE = """
mutation($input: RecordMeasurementInput!) {
  recordMeasurement(input: $input) { experiment { id } errors { code message field } }
}"""


def pilot(idea_id: str, **fields: Any) -> dict[str, Any]:
    """A startExperiment input for the idea, with ``fields`` changed."""
    metric = {
        "name": "calls",
        "unit": "calls",
        "baseline": 1,
        "target": 2,
        "direction": "HIGHER_IS_BETTER",
    }
    pilot = {
        "ideaId": global_id("Idea", idea_id),
        "hypothesis": "More calls are solved at once.",
        "pilotSite": "Lyon",
        "startsOn": "2024-03-01",
        "endsOn": "2024-04-01",
        "metrics": [metric],
    }
    return {"input": {**pilot, **fields}}


async def test_a_submission_with_three_bad_fields_is_answered_with_three_errors_with_their_paths(
    api: Api,
):
    data = await api.data(
        SUBMIT,
        {
            "input": {
                "title": "x",
                "summary": "A summary that is long enough to pass.",
                "provenance": {"sourceKind": "STARTUP", "organisation": " ", "country": "XX"},
                "themes": ["generative-ai"],
            }
        },
        as_="scout",
    )

    payload = data["submitIdea"]
    assert payload["idea"] is None
    assert [(error["code"], error["field"]) for error in payload["errors"]] == [
        ("VALIDATION", "title"),
        ("VALIDATION", "provenance.organisation"),
        ("VALIDATION", "provenance.country"),
    ]
    assert all(error["message"] for error in payload["errors"])


async def test_a_refusal_names_ideas_and_experiments_by_the_ids_the_api_hands_out(
    api: Api, world: World
):
    idea_id = await world.submit()
    await world.screen(idea_id)
    running = await world.start(idea_id)

    data = await api.data(START, pilot(idea_id, hypothesis="A second pilot at the same time."))

    [error] = data["startExperiment"]["errors"]
    assert global_id("Idea", idea_id) in error["message"]
    assert global_id("Experiment", running) in error["message"]
    assert idea_id not in error["message"]
    assert running not in error["message"]


async def test_a_concluded_experiment_is_named_by_its_global_id(api: Api, world: World):
    idea_id = await world.submit()
    await world.screen(idea_id)
    experiment_id = await world.start(idea_id)
    await world.conclude(experiment_id, Outcome.INCONCLUSIVE, Decision.ITERATE)

    data = await api.data(
        MEASURE,
        {
            "input": {
                "experimentId": global_id("Experiment", experiment_id),
                "metric": "first-call resolution",
                "value": 58,
            }
        },
    )

    [error] = data["recordMeasurement"]["errors"]
    assert error["message"] == (
        f"experiment {global_id('Experiment', experiment_id)} is already concluded"
    )


async def test_an_id_of_the_wrong_kind_is_refused_in_plain_english(api: Api):
    experiment = global_id("Experiment", str(uuid.uuid4()))

    body = await api("query($id: ID!) { idea(id: $id) { id } }", {"id": experiment})
    made_up = await api('{ idea(id: "nonsense") { id } }')

    [error] = body["errors"]
    assert error["message"] == "expected the id of an idea, not of an experiment"
    [error] = made_up["errors"]
    assert error["message"] == "'nonsense' is not the id of an idea"


async def test_a_pilot_with_three_bad_fields_is_answered_with_three_errors(api: Api, world: World):
    idea_id = await world.submit()
    await world.screen(idea_id)

    data = await api.data(START, pilot(idea_id, hypothesis=" ", pilotSite=" ", endsOn="2024-02-01"))

    assert data["startExperiment"]["experiment"] is None
    assert [error["field"] for error in data["startExperiment"]["errors"]] == [
        "hypothesis",
        "pilotSite",
        "endsOn",
    ]


SCORE = """
mutation($input: ScoreIdeaInput!) {
  scoreIdea(input: $input) { idea { id } errors { code message field } }
}"""


async def test_a_score_out_of_its_scales_names_each_field_as_the_input_does(api: Api, world: World):
    idea_id = await world.submit()
    await world.screen(idea_id)
    score = {"reach": -1, "impact": 7, "confidence": 2, "effort": 0, "strategicFit": 9}

    data = await api.data(SCORE, {"input": {"ideaId": global_id("Idea", idea_id), **score}})

    errors = data["scoreIdea"]["errors"]
    assert [(error["code"], error["field"]) for error in errors] == [
        ("VALIDATION", name) for name in score
    ]
    assert [error["message"].split()[0] for error in errors] == list(score)
    inputs = await api.data('{ __type(name: "ScoreIdeaInput") { inputFields { name } } }')
    assert set(score) <= {field["name"] for field in inputs["__type"]["inputFields"]}
