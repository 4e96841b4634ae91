"""Measurements through the API: dated within the pilot so far, and corrected by a lead with
everything derived from them (latest value, change, target met, history) following."""

from __future__ import annotations

from typing import Any

from innovation.api.ids import global_id
from innovation.projections import views
from tests.e2e.conftest import Api
from tests.integration.world import World

FIRST_CALL = "first-call resolution"

RECORD = """
mutation($input: RecordMeasurementInput!) {
  recordMeasurement(input: $input) {
    metric { latestValue } errors { code field message }
  }
}"""

CORRECT = """
mutation($input: CorrectMeasurementInput!) {
  correctMeasurement(input: $input) {
    metric {
      latestValue changePct targetMet measurementCount
      latestMeasurements { number value measuredAt }
    }
    errors { code field message }
  }
}"""

HISTORY = """
query($id: ID!) { history(ideaId: $id) { edges { node { type description } } } }
"""


async def a_pilot(world: World) -> tuple[str, str]:
    idea_id = await world.submit()
    await world.screen(idea_id)
    return idea_id, await world.start(idea_id)


def measurement(experiment_id: str, measured_at: str) -> dict[str, Any]:
    return {
        "input": {
            "experimentId": global_id("Experiment", experiment_id),
            "metric": FIRST_CALL,
            "value": 61,
            "measuredAt": measured_at,
        }
    }


async def test_a_measurement_from_the_future_is_refused(api: Api, world: World):
    _, experiment_id = await a_pilot(world)

    data = await api.data(RECORD, measurement(experiment_id, "2999-01-01T00:00:00+00:00"))

    [error] = data["recordMeasurement"]["errors"]
    assert (error["code"], error["field"]) == ("VALIDATION", "measuredAt")
    assert data["recordMeasurement"]["metric"] is None


async def test_a_measurement_from_before_the_pilot_is_refused(api: Api, world: World):
    _, experiment_id = await a_pilot(world)
    before = world.clock.now.replace(year=world.clock.now.year - 1).isoformat()

    data = await api.data(RECORD, measurement(experiment_id, before))

    [error] = data["recordMeasurement"]["errors"]
    assert (error["code"], error["field"]) == ("VALIDATION", "measuredAt")


async def test_a_lead_corrects_a_measurement_and_what_follows_from_it_changes(
    api: Api, world: World
):
    idea_id, experiment_id = await a_pilot(world)
    await world.measure(experiment_id, FIRST_CALL, 61)  # target 60: met
    correction = {
        "input": {
            "experimentId": global_id("Experiment", experiment_id),
            "measurement": 2,
            "value": 55,
            "reason": "The dashboard counted transfers as resolved.",
        }
    }

    data = await api.data(CORRECT, correction)

    payload = data["correctMeasurement"]
    assert payload["errors"] == []
    metric = payload["metric"]
    assert (metric["latestValue"], metric["changePct"], metric["targetMet"]) == (55, 10, False)
    assert metric["measurementCount"] == 1
    assert [(m["number"], m["value"]) for m in metric["latestMeasurements"]] == [(2, 55)]
    history = await api.data(HISTORY, {"id": global_id("Idea", idea_id)})
    entries = [edge["node"] for edge in history["history"]["edges"]]
    types = [entry["type"] for entry in entries]
    assert "experiment.measurement_recorded" in types
    assert "experiment.measurement_corrected" in types
    assert any("transfers as resolved" in entry["description"] for entry in entries)


async def test_a_correction_of_a_measurement_that_does_not_exist_names_the_field(
    api: Api, world: World
):
    _, experiment_id = await a_pilot(world)
    correction = {
        "input": {
            "experimentId": global_id("Experiment", experiment_id),
            "measurement": 9,
            "value": 55,
            "reason": "A typo in the spreadsheet.",
        }
    }

    data = await api.data(CORRECT, correction)

    [error] = data["correctMeasurement"]["errors"]
    assert (error["code"], error["field"]) == ("VALIDATION", "measurement")


async def test_a_measurement_answers_with_what_was_asked_and_reads_nothing_else(
    api: Api, world: World, monkeypatch
):
    _, experiment_id = await a_pilot(world)
    reads: list[str] = []
    metric, experiment = views.metric, views.experiment

    def counted(name, read):  # noqa: ANN001, ANN202
        def counting(connection, **keys):  # noqa: ANN001, ANN003, ANN202
            reads.append(name)
            return read(connection, **keys)

        return counting

    monkeypatch.setattr(views, "metric", counted("metric", metric))
    monkeypatch.setattr(views, "experiment", counted("experiment", experiment))
    asked = {
        "errors { code }": [],
        "metric { latestValue }": ["metric"],
        "experiment { id } ...on RecordMeasurementPayload { m: metric { name } }": [
            "metric",
            "experiment",
        ],
    }
    for selection, read in asked.items():
        reads.clear()
        document = (
            "mutation($input: RecordMeasurementInput!) {"
            f" recordMeasurement(input: $input) {{ {selection} }} }}"
        )
        data = await api.data(document, measurement(experiment_id, world.clock.now.isoformat()))
        assert sorted(reads) == sorted(read), selection
    assert data["recordMeasurement"]["experiment"]["id"] == global_id("Experiment", experiment_id)
    assert data["recordMeasurement"]["m"]["name"] == FIRST_CALL
