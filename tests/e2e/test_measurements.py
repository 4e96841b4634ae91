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


async def test_a_measurement_answers_with_what_was_asked_and_reads_nothing_back(
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
    # the experiment and its metrics as the command's write batch left them: nothing read back
    asked = {
        "errors { code }": [],
        "metric { latestValue }": [],
        "experiment { id } ...on RecordMeasurementPayload { m: metric { name } }": [],
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


SERIES = """
query($id: ID!, $first: Int, $after: String, $last: Int, $before: String, $asOf: DateTime) {
  idea(id: $id, asOf: $asOf) { experiments { metrics { name
    measurements(first: $first, after: $after, last: $last, before: $before) {
      edges { cursor node { number value measuredAt } }
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    }
  } } }
}"""


async def series(api: Api, idea_id: str, **window: Any) -> dict[str, Any]:
    """The page of first-call resolution's measurements that ``window`` asks for."""
    data = await api.data(SERIES, {"id": global_id("Idea", idea_id), **window})
    [experiment] = data["idea"]["experiments"]
    [metric] = [m for m in experiment["metrics"] if m["name"] == FIRST_CALL]
    return metric["measurements"]


def numbers_and_values(page: dict[str, Any]) -> list[tuple[int, float]]:
    return [(edge["node"]["number"], edge["node"]["value"]) for edge in page["edges"]]


async def test_every_measurement_of_a_metric_is_paged_in_the_order_recorded(api: Api, world: World):
    idea_id, experiment_id = await a_pilot(world)
    for value in (50, 52, 54):
        await world.measure(experiment_id, FIRST_CALL, value)
        world.clock.jump(days=7)
    then = world.clock.now
    await world.measure(experiment_id, "daily network alarms", 300)  # another metric
    for value in (56, 58, 61):
        world.clock.jump(days=7)
        await world.measure(experiment_id, FIRST_CALL, value)
    await api.data(
        CORRECT,
        {
            "input": {
                "experimentId": global_id("Experiment", experiment_id),
                "measurement": 3,
                "value": 53,
                "reason": "Misread.",
            }
        },
    )

    first = await series(api, idea_id, first=4)
    rest = await series(api, idea_id, first=4, after=first["pageInfo"]["endCursor"])
    last = await series(api, idea_id, last=2)
    before = await series(api, idea_id, last=2, before=last["pageInfo"]["startCursor"])
    everything = await series(api, idea_id)
    earlier = await series(api, idea_id, asOf=then.isoformat())
    earlier_last = await series(api, idea_id, asOf=then.isoformat(), last=2)

    assert numbers_and_values(first) == [(2, 50), (3, 53), (4, 54), (6, 56)]  # 5: alarms
    assert (first["pageInfo"]["hasNextPage"], first["pageInfo"]["hasPreviousPage"]) == (
        True,
        False,
    )
    assert numbers_and_values(rest) == [(7, 58), (8, 61)]
    assert (rest["pageInfo"]["hasNextPage"], rest["pageInfo"]["hasPreviousPage"]) == (False, True)
    assert numbers_and_values(last) == [(7, 58), (8, 61)]
    assert numbers_and_values(before) == [(4, 54), (6, 56)]
    assert before["pageInfo"]["hasPreviousPage"] is True
    assert len(everything["edges"]) == 6
    assert numbers_and_values(earlier) == [(2, 50), (3, 52), (4, 54)]  # before the correction
    assert earlier["pageInfo"]["hasNextPage"] is False
    assert numbers_and_values(earlier_last) == [(3, 52), (4, 54)]
    assert earlier_last["pageInfo"]["hasPreviousPage"] is True


async def test_a_cursor_that_is_not_a_measurement_s_is_refused_naming_the_field(
    api: Api, world: World
):
    idea_id, _ = await a_pilot(world)

    answer = await api(SERIES, {"id": global_id("Idea", idea_id), "after": "nonsense"})

    [error] = answer["errors"]
    assert (error["extensions"]["code"], error["extensions"]["field"]) == (
        "BAD_USER_INPUT",
        "after",
    )
