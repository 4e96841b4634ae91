"""The states a process keeps of the streams it appended to: a start to fold on from, never an
answer the log has not confirmed (``store.streams.KeptStates``)."""

from __future__ import annotations

import uuid
from functools import partial
from typing import Any

import pytest

from innovation.bootstrap import Services, bootstrap
from innovation.config import Settings
from innovation.domain.errors import ClosedSurvivorError
from innovation.domain.ideas import MergeIdea, RejectIdea
from innovation.domain.values import Stage
from innovation.services import EXPERIMENT, IDEA
from innovation.services import unit_of_work as uow_module
from innovation.store import Database, Loaded
from innovation.store.streams import KeptState
from tests.integration.command_path import CommandPath
from tests.integration.test_batch_left_work import in_one_batch
from tests.integration.world import FakeClock, World

METRIC = "first-call resolution"


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[Loaded[Any]]]:
    """Every stream the pipeline loads, by how: folded on from a kept state, or read whole
    (from its snapshot or its start)."""
    seen: dict[str, list[Loaded[Any]]] = {"kept": [], "whole": []}
    caught_up, load_stream = uow_module.caught_up, uow_module.load_stream

    def spied_caught_up(*args: Any, **kwargs: Any) -> Loaded[Any] | None:
        loaded = caught_up(*args, **kwargs)
        if loaded is not None:
            seen["kept"].append(loaded)
        return loaded

    def spied_load_stream(*args: Any, **kwargs: Any) -> Loaded[Any]:
        loaded = load_stream(*args, **kwargs)
        seen["whole"].append(loaded)
        return loaded

    monkeypatch.setattr(uow_module, "caught_up", spied_caught_up)
    monkeypatch.setattr(uow_module, "load_stream", spied_load_stream)
    return seen


async def from_the_log(world: World, experiment_id: str) -> Loaded[Any]:
    """The experiment's stream folded from its first event, snapshots and kept states aside."""
    decider = EXPERIMENT.decider
    path = CommandPath(world.services.store)
    return await path.load(
        EXPERIMENT.stream_id(experiment_id), decider.initial_state(), decider.evolve
    )


async def started_and_measured(world: World) -> str:
    idea_id = await world.submit()
    await world.screen(idea_id)
    experiment_id = await world.start(idea_id)
    await world.measure(experiment_id, METRIC, 51)
    return experiment_id


async def test_a_stream_appended_to_is_folded_on_from_the_state_its_process_kept(
    world: World, loads: dict[str, list[Loaded[Any]]]
):
    experiment_id = await started_and_measured(world)
    loads["kept"].clear()
    loads["whole"].clear()

    for value in (52, 53, 54, 55, 56, 57):
        await world.measure(experiment_id, METRIC, value)

    assert loads["whole"] == []
    assert [loaded.from_kept for loaded in loads["kept"]] == [2, 3, 4, 5, 6, 7]
    kept = world.services.pipeline.kept.get(EXPERIMENT.stream_id(experiment_id))
    logged = await from_the_log(world, experiment_id)
    assert kept is not None
    assert (kept.state, kept.version) == (logged.state, logged.version) == (kept.state, 8)


async def test_a_kept_state_whose_last_event_the_log_does_not_hold_is_passed_over(
    world: World, loads: dict[str, list[Loaded[Any]]]
):
    # Given a kept state the log never confirmed: an append that was rolled back, say
    experiment_id = await started_and_measured(world)
    stream_id = EXPERIMENT.stream_id(experiment_id)
    kept = world.services.pipeline.kept.get(stream_id)
    assert kept is not None
    untrue = EXPERIMENT.decider.initial_state()  # no experiment at all: would refuse a measure
    world.services.pipeline.kept.keep(stream_id, KeptState(untrue, kept.version, uuid.uuid4()))
    loads["kept"].clear()
    loads["whole"].clear()

    # When the next command on the stream loads it
    await world.measure(experiment_id, METRIC, 52)

    # Then the stream is read from the log, and the command decided on what the log holds
    assert loads["kept"] == []
    assert [loaded.version for loaded in loads["whole"]] == [2]
    logged = await from_the_log(world, experiment_id)
    assert logged.version == 3
    assert logged.state.readings[-1].value == 52


async def test_what_another_process_appended_is_folded_onto_the_kept_state(
    world: World, database: Database, clock: FakeClock, loads: dict[str, list[Loaded[Any]]]
):
    experiment_id = await started_and_measured(world)
    other = World(bootstrap(Settings.from_env({}), clock=clock, database=database), clock)
    await other.measure(experiment_id, METRIC, 60)
    await other.measure(experiment_id, METRIC, 61)
    loads["kept"].clear()
    loads["whole"].clear()

    await world.measure(experiment_id, METRIC, 62)

    assert [(loaded.from_kept, loaded.version) for loaded in loads["kept"]] == [(2, 4)]
    kept = world.services.pipeline.kept.get(EXPERIMENT.stream_id(experiment_id))
    logged = await from_the_log(world, experiment_id)
    assert kept is not None
    assert (kept.state, kept.version) == (logged.state, logged.version)
    values = [reading.value for reading in logged.state.readings]
    assert values == [51, 60, 61, 62]


async def test_a_command_that_writes_nothing_in_the_end_leaves_no_state_kept(
    world: World, loads: dict[str, list[Loaded[Any]]]
):
    # Given a survivor already rejected, and a new idea, its state kept at version 1
    survivor = await world.submit(title="Network alarm triage")
    await world.run(RejectIdea(idea_id=survivor, reason="already done elsewhere"))
    duplicate = await world.submit(title="Alarm triage for the network operations centre")
    stream_id = IDEA.stream_id(duplicate)

    # When merging it appends to its stream, then the survivor refuses to absorb it
    with pytest.raises(ClosedSurvivorError):
        await world.run(MergeIdea(idea_id=duplicate, into_idea_id=survivor))

    # Then the state kept is still the log's, and the next command folds on from it
    kept = world.services.pipeline.kept.get(stream_id)
    assert kept is not None
    assert (kept.version, kept.state.stage) == (1, Stage.SCOUTED)
    await world.screen(duplicate)
    assert [loaded.from_kept for loaded in loads["kept"]][-1] == 1
    decider = IDEA.decider
    logged = await CommandPath(world.services.store).load(
        stream_id, decider.initial_state(), decider.evolve
    )
    assert (logged.version, logged.state.stage) == (2, Stage.SCREENING)


async def test_a_batch_reads_ahead_the_streams_it_kept_from_their_kept_versions_on(
    world: World, services: Services, backend: str, monkeypatch: pytest.MonkeyPatch
):
    if backend != "postgresql":
        pytest.skip("PostgreSQL reads a write batch's streams ahead in one statement")
    experiments = [await started_and_measured(world) for _ in range(3)]
    for value in (52, 53, 54):  # the first experiment's stream is the longest
        await world.measure(experiments[0], METRIC, value)
    recorder = services.store.recorder
    read_ahead = recorder.read_ahead
    read: list[dict[str, Any]] = []

    def spied(connection: Any, stream_ids: list[str], *rest: Any) -> Any:
        found = read_ahead(connection, stream_ids, *rest)
        read.append(found)
        return found

    monkeypatch.setattr(recorder, "read_ahead", spied)
    writes = [partial(world.measure, experiment, METRIC, 60) for experiment in experiments]

    outcomes = await in_one_batch(services.database, writes)

    assert not [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
    (ahead,) = read
    firsts = {
        stream_id: [record.version for record in records]
        for stream_id, (_snapshot, records) in ahead.items()
    }
    streams = [EXPERIMENT.stream_id(experiment) for experiment in experiments]
    assert firsts == {streams[0]: [5], streams[1]: [2], streams[2]: [2]}
    for experiment in experiments:
        logged = await from_the_log(world, experiment)
        kept = services.pipeline.kept.get(EXPERIMENT.stream_id(experiment))
        assert kept is not None
        assert (kept.state, kept.version) == (logged.state, logged.version)
        assert logged.state.readings[-1].value == 60
