"""Numbers within sane ranges and a scout who cannot speak for another, through the API."""

from __future__ import annotations

from typing import Any

from innovation.api.ids import global_id
from tests.e2e.conftest import Api
from tests.e2e.test_text_hygiene import submission
from tests.integration.world import World

SCORE = """
mutation($input: ScoreIdeaInput!) {
  scoreIdea(input: $input) { idea { score { effort } } errors { code field message } }
}"""

MEASURE = """
mutation($input: RecordMeasurementInput!) {
  recordMeasurement(input: $input) { metric { latestValue } errors { code field message } }
}"""

SUBMIT = """
mutation($input: SubmitIdeaInput!) {
  submitIdea(input: $input) { idea { scout } errors { code field message } }
}"""


def scoring(idea_id: str, effort: float) -> dict[str, Any]:
    return {
        "input": {
            "ideaId": global_id("Idea", idea_id),
            "reach": 27000,
            "impact": 2,
            "confidence": 0.8,
            "effort": effort,
            "strategicFit": 5,
        }
    }


async def test_an_effort_of_1e308_person_months_is_refused(api: Api, world: World):
    idea_id = await world.submit()

    data = await api.data(SCORE, scoring(idea_id, 1e308))

    [error] = data["scoreIdea"]["errors"]
    assert (error["code"], error["field"]) == ("VALIDATION", "effort")
    assert "1,000" in error["message"]
    accepted = await api.data(SCORE, scoring(idea_id, 1_000))
    assert accepted["scoreIdea"]["idea"]["score"]["effort"] == 1_000


async def test_a_measurement_far_beyond_any_real_value_is_refused(api: Api, world: World):
    idea_id = await world.submit()
    await world.screen(idea_id)
    experiment_id = await world.start(idea_id)
    measurement = {
        "experimentId": global_id("Experiment", experiment_id),
        "metric": "first-call resolution",
        "value": 1e300,
    }

    data = await api.data(MEASURE, {"input": measurement})

    [error] = data["recordMeasurement"]["errors"]
    assert (error["code"], error["field"]) == ("VALIDATION", "value")


async def test_a_scout_who_names_another_scout_is_refused(api: Api):
    data = await api.data(SUBMIT, submission(scout="scout:scout2"), as_="scout")

    [error] = data["submitIdea"]["errors"]
    assert (error["code"], error["field"]) == ("FORBIDDEN", "scout")
    assert data["submitIdea"]["idea"] is None


async def test_a_scout_may_name_themselves_and_a_lead_may_name_a_scout(api: Api):
    own = await api.data(SUBMIT, submission(scout="scout:scout"), as_="scout")
    for_them = await api.data(SUBMIT, submission(scout="scout:scout2"), as_="lead")

    assert own["submitIdea"]["idea"] == {"scout": "scout:scout"}
    assert for_them["submitIdea"]["idea"] == {"scout": "scout:scout2"}
