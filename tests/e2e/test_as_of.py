"""An idea asked for as of a past moment: every nested field stands at that moment too."""

from __future__ import annotations

from innovation.api.ids import global_id
from innovation.domain.ideas import RecordEthicsReview, RequestEthicsReview
from innovation.domain.values import Decision, Outcome, Verdict
from tests.e2e.conftest import Api
from tests.integration.world import ETHICS, World

AS_OF = """
query($id: ID!, $asOf: DateTime) {
  idea(id: $id, asOf: $asOf) {
    stage
    stageHistory { toStage }
    scoreHistory { score { reach } }
    runningExperiment { status }
    experiments {
      status outcome concludedAt
      metrics { name latestValue measurementCount targetMet latestMeasurements { value } }
      idea { stage }
    }
    ethics { status reviews { kind verdict } }
  }
}"""


async def test_nested_fields_of_an_idea_as_of_a_past_moment_show_nothing_that_came_later(
    api: Api, world: World
):
    # Given an idea in a running pilot with one measurement, under ethics review
    idea_id = await world.submit(uses_ai=True)
    await world.screen(idea_id)
    await world.score(idea_id, reach=1000)
    experiment_id = await world.start(idea_id)
    await world.measure(experiment_id, "first-call resolution", 55)
    await world.run(RequestEthicsReview(idea_id=idea_id))
    then = world.clock.now
    # and, months later, more measurements, a new score, a verdict and a conclusion
    world.clock.jump(days=180)
    await world.measure(experiment_id, "first-call resolution", 64)
    await world.measure(experiment_id, "daily network alarms", 290)
    await world.score(idea_id, reach=5000)
    await world.run(
        RecordEthicsReview(idea_id=idea_id, verdict=Verdict.APPROVED, reviewers=("Ana",)), ETHICS
    )
    await world.conclude(experiment_id, Outcome.VALIDATED, Decision.SCALE)

    # When the idea is asked for as of the first moment
    data = await api.data(AS_OF, {"id": global_id("Idea", idea_id), "asOf": then.isoformat()})

    # Then nothing in it shows what happened after
    running = {
        "status": "RUNNING",
        "outcome": None,
        "concludedAt": None,
        "metrics": [
            {
                "name": "first-call resolution",
                "latestValue": 55.0,
                "measurementCount": 1,
                "targetMet": False,
                "latestMeasurements": [{"value": 55.0}],
            },
            {
                "name": "daily network alarms",
                "latestValue": None,
                "measurementCount": 0,
                "targetMet": False,
                "latestMeasurements": [],
            },
        ],
        "idea": {"stage": "EXPERIMENTING"},
    }
    assert data["idea"] == {
        "stage": "EXPERIMENTING",
        "stageHistory": [
            {"toStage": "SCOUTED"},
            {"toStage": "SCREENING"},
            {"toStage": "EXPERIMENTING"},
        ],
        "scoreHistory": [{"score": {"reach": 1000}}],
        "runningExperiment": {"status": "RUNNING"},
        "experiments": [running],
        "ethics": {"status": "REQUESTED", "reviews": [{"kind": "REQUESTED", "verdict": None}]},
    }


async def test_an_idea_asked_for_without_as_of_shows_everything_up_to_now(api: Api, world: World):
    idea_id, _ = await world.validated_idea()

    data = await api.data(AS_OF, {"id": global_id("Idea", idea_id), "asOf": None})

    assert data["idea"]["stage"] == "VALIDATED"
    assert data["idea"]["runningExperiment"] is None
    [experiment] = data["idea"]["experiments"]
    assert experiment["status"] == "CONCLUDED"
    assert experiment["outcome"] == "VALIDATED"
    assert [metric["latestValue"] for metric in experiment["metrics"]] == [64.0, 290.0]
