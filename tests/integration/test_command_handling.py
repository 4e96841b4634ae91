"""Command handlers: load, decide, append, project in one transaction, with who, when and why."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from innovation.bootstrap import bootstrap
from innovation.config import Settings
from innovation.domain.errors import ClosedSurvivorError, InvalidTransitionError, TargetsNotMetError
from innovation.domain.ideas import AdvanceIdea, MergeIdea, RejectIdea, ReviseIdea
from innovation.domain.values import Decision, Outcome, Stage
from innovation.projections import views
from innovation.projections.experiments import experiments_view
from innovation.services import (
    EXPERIMENT,
    IDEA,
    CommandIdReusedError,
    ConflictError,
    ForbiddenError,
)
from innovation.services.errors import UnknownThemeError
from innovation.services.unit_of_work import snapshot_spec
from innovation.store import ConcurrencyError, Database
from tests.helpers import collect
from tests.integration.command_path import CommandPath
from tests.integration.world import LEAD, SCOUT, FakeClock, World


async def read_idea(world: World, idea_id: str):
    return await world.services.database.read(lambda c: views.idea(c, idea_id))


async def test_a_submitted_idea_is_readable_right_after_the_write(world: World):
    idea_id = await world.submit(themes=("customer-experience", "generative-ai"))

    row = await read_idea(world, idea_id)

    assert row.stage == "SCOUTED"
    assert row.provenance.organisation == "Orange Luxembourg"
    assert sorted(row.themes) == ["customer-experience", "generative-ai"]
    assert row.ethics_status == "NOT_REQUIRED"


async def test_every_event_records_actor_time_correlation_and_causation(world: World):
    command_id = uuid.uuid4()
    correlation = uuid.uuid4()
    idea_id = await world.submit()
    moment = world.clock.now

    done = await world.run(
        AdvanceIdea(idea_id=idea_id, to_stage=Stage.SCREENING),
        LEAD,
        command_id=command_id,
        correlation_id=correlation,
    )

    [recorded] = done.envelopes
    assert recorded.actor == "lead:lea"
    assert recorded.occurred_at == moment
    assert recorded.correlation_id == correlation
    assert recorded.causation_id == command_id
    log = world.services.store
    [stored] = await log.database.read(
        lambda c: log.recorder.read_stream(c, f"idea-{idea_id}", from_version=2)
    )
    assert log.mapper.recorded(stored) == recorded


async def test_a_command_happens_at_the_time_its_caller_gives(world: World):
    idea_id = await world.submit()
    long_ago = datetime(2023, 11, 22, 18, 0, tzinfo=UTC)

    done = await world.run(AdvanceIdea(idea_id=idea_id, to_stage=Stage.SCREENING), at=long_ago)

    assert [recorded.occurred_at for recorded in done.envelopes] == [long_ago]


async def test_a_command_returns_the_streams_versions_and_positions_it_changed(world: World):
    idea_id = await world.submit()
    await world.screen(idea_id)
    experiment_id = await world.start(idea_id)

    done = await world.conclude(experiment_id, Outcome.INVALIDATED, Decision.STOP)

    assert done.versions == {f"experiment-{experiment_id}": 2, f"idea-{idea_id}": 5}
    assert done.positions == sorted(done.positions)
    assert len(done.positions) == 2
    assert not done.replayed


async def test_starting_an_experiment_moves_the_idea_and_opens_the_pilot(world: World):
    idea_id = await world.submit()
    await world.screen(idea_id)

    experiment_id = await world.start(idea_id)

    assert (await read_idea(world, idea_id)).stage == "EXPERIMENTING"
    experiment = await world.services.database.read(lambda c: views.experiment(c, experiment_id))
    assert experiment.status == "RUNNING"
    assert experiment.idea_id == idea_id


async def test_a_pilot_that_met_its_targets_and_scales_validates_the_idea(world: World):
    idea_id, experiment_id = await world.validated_idea()

    row = await read_idea(world, idea_id)
    metrics = await world.services.database.read(
        lambda c: views.metrics_of_experiments(c, [experiment_id])
    )

    assert row.stage == "VALIDATED"
    assert row.validated_via == "EXPERIMENT"
    first_call, alarms = metrics[experiment_id]
    assert (first_call.latest_value, first_call.change_pct) == (64, pytest.approx(28.0))
    assert alarms.change_pct == pytest.approx(-67.777, abs=0.01)
    assert first_call.target_met
    assert alarms.target_met


async def test_claiming_validation_when_targets_were_missed_writes_nothing(world: World):
    idea_id = await world.submit()
    await world.screen(idea_id)
    experiment_id = await world.start(idea_id)
    await world.measure(experiment_id, "first-call resolution", 52)
    before = await world.services.store.last_position()

    with pytest.raises(TargetsNotMetError):
        await world.conclude(experiment_id, Outcome.VALIDATED, Decision.SCALE)

    assert await world.services.store.last_position() == before
    assert (await read_idea(world, idea_id)).stage == "EXPERIMENTING"


async def test_when_the_second_aggregate_refuses_neither_is_written(world: World):
    survivor = await world.submit(title="Network alarm triage")
    await world.run(RejectIdea(idea_id=survivor, reason="already done elsewhere"))
    duplicate = await world.submit(title="Alarm triage for the network operations centre")
    before = await world.services.store.last_position()

    with pytest.raises(ClosedSurvivorError):
        await world.run(MergeIdea(idea_id=duplicate, into_idea_id=survivor))

    assert await world.services.store.last_position() == before
    assert (await read_idea(world, duplicate)).stage == "SCOUTED"


async def test_an_experiment_cannot_start_on_an_idea_that_was_not_screened(world: World):
    idea_id = await world.submit()

    with pytest.raises(InvalidTransitionError):
        await world.start(idea_id)

    count = await world.services.database.read(
        lambda c: c.execute(sa.select(sa.func.count()).select_from(experiments_view)).scalar()
    )
    assert count == 0


async def test_a_stale_expected_version_is_a_conflict_and_is_not_retried(world: World):
    idea_id = await world.submit()

    with pytest.raises(ConflictError) as conflict:
        await world.run(AdvanceIdea(idea_id=idea_id, to_stage=Stage.SCREENING), expected_version=0)

    assert conflict.value.actual == 1
    assert conflict.value.field == "expectedVersion"
    await world.run(AdvanceIdea(idea_id=idea_id, to_stage=Stage.SCREENING), expected_version=1)


class RacingDatabase:
    """Lets a competitor commit between the first attempt of a command and its retry."""

    def __init__(self, inner, competitor) -> None:
        self.inner = inner
        self.competitor = competitor
        self.attempts = 0
        self.dialect = inner.dialect

    async def write(self, job):
        self.attempts += 1
        if self.attempts == 1:
            await self.competitor()
            raise ConcurrencyError("idea-x", 1, 2)  # what the append would have seen
        return await self.inner.write(job)

    async def read(self, job):
        return await self.inner.read(job)


async def test_a_concurrent_change_is_retried_once_when_the_command_still_holds(world: World):
    idea_id = await world.submit()
    pipeline = world.services.pipeline
    inner = pipeline.database

    async def competitor() -> None:
        racing, pipeline.database = pipeline.database, inner
        try:
            await world.score(idea_id)  # unrelated to the move: the move still holds
        finally:
            pipeline.database = racing

    racing = pipeline.database = RacingDatabase(inner, competitor)
    await world.run(AdvanceIdea(idea_id=idea_id, to_stage=Stage.SCREENING))

    assert racing.attempts == 2
    assert (await read_idea(world, idea_id)).stage == "SCREENING"


async def test_a_concurrent_change_that_invalidates_the_command_is_a_conflict(world: World):
    idea_id = await world.submit()
    pipeline = world.services.pipeline
    inner = pipeline.database

    async def competitor() -> None:
        pipeline.database = inner
        await world.run(RejectIdea(idea_id=idea_id, reason="not for us"))

    pipeline.database = RacingDatabase(inner, competitor)
    with pytest.raises(ConflictError):
        await world.run(AdvanceIdea(idea_id=idea_id, to_stage=Stage.SCREENING))

    assert (await read_idea(world, idea_id)).stage == "REJECTED"


async def test_scouts_may_revise_only_their_own_ideas(world: World):
    mine = await world.submit(actor=SCOUT)
    theirs = await world.submit(actor=LEAD)

    await world.run(ReviseIdea(idea_id=mine, title="A sharper title for my idea"), SCOUT)
    with pytest.raises(ForbiddenError):
        await world.run(ReviseIdea(idea_id=theirs, title="Not mine to change"), SCOUT)
    await world.run(ReviseIdea(idea_id=theirs, title="Leads may revise any idea"), LEAD)

    assert (await read_idea(world, mine)).title == "A sharper title for my idea"


async def test_a_theme_outside_the_configured_list_is_refused_naming_the_field(world: World):
    with pytest.raises(UnknownThemeError) as refused:
        await world.submit(themes=("quantum-teleportation",))

    assert refused.value.field == "themes"
    assert "customer-experience" in refused.value.message


async def test_an_unknown_theme_given_twice_is_named_once(world: World):
    from innovation.domain.errors import InvalidInputsError

    with pytest.raises(InvalidInputsError) as refused:
        await world.submit(themes=("flying-cars", "cybersecurity", "flying-cars"))

    assert [(error.field, error.message.partition(":")[0]) for error in refused.value.errors] == [
        ("themes", "unknown theme 'flying-cars'"),
        ("themes[2]", "themes[2] repeats the theme 'flying-cars'"),
    ]


async def test_an_unknown_theme_is_reported_beside_the_domain_s_refusals_and_nothing_is_written(
    world: World,
):
    from innovation.domain.errors import InvalidInputsError

    with pytest.raises(InvalidInputsError) as refused:
        await world.submit(title="x", themes=("quantum-teleportation",))

    assert [error.field for error in refused.value.errors] == ["themes", "title"]
    from innovation.projections import queues

    written = await world.services.database.read(
        lambda connection: queues.count_ideas(connection, queues.IdeaFilter())
    )
    assert written == 0


async def test_a_repeated_command_id_is_answered_without_being_applied_again(world: World):
    idea_id = await world.submit()
    command_id = uuid.uuid4()
    move = AdvanceIdea(idea_id=idea_id, to_stage=Stage.SCREENING)

    first = await world.run(move, command_id=command_id)
    again = await world.run(move, command_id=command_id)

    assert len(first.envelopes) == 1
    assert again.replayed
    assert again.envelopes == []
    assert await CommandPath(world.services.store).stream_version(f"idea-{idea_id}") == 2


async def test_a_command_id_reused_for_another_request_is_refused_by_any_process(
    world: World, database: Database, clock: FakeClock
):
    # Given a command applied by one process, with the digest of what its caller asked
    idea_id = await world.submit()
    command_id = uuid.uuid4()
    move = AdvanceIdea(idea_id=idea_id, to_stage=Stage.SCREENING)
    await world.run(move, command_id=command_id, request_digest="asked-first")
    other = World(bootstrap(Settings.from_env({}), clock=clock, database=database), clock)

    # When another process receives the same command id, for a different and for the same request
    with pytest.raises(CommandIdReusedError):
        await other.run(
            RejectIdea(idea_id=idea_id, reason="Out of scope"),
            command_id=command_id,
            request_digest="asked-second",
        )
    again = await other.run(move, command_id=command_id, request_digest="asked-first")

    # Then the different one is refused, the same one answered, and nothing is written twice
    assert again.replayed
    assert await CommandPath(world.services.store).stream_version(f"idea-{idea_id}") == 2


async def test_streams_are_snapshotted_and_loaded_from_their_snapshot(world: World):
    idea_id = await world.submit()
    for reach in range(1, 7):
        await world.score(idea_id, reach=reach)  # 7 events: a snapshot at version 5

    snapshot = await world.services.database.read(
        lambda c: world.services.store.recorder.read_snapshot(c, f"idea-{idea_id}")
    )
    loaded = await CommandPath(world.services.store).load(
        f"idea-{idea_id}", IDEA.decider.initial_state(), IDEA.decider.evolve, snapshot_spec(IDEA)
    )

    assert snapshot is not None
    assert snapshot.version == 5
    assert loaded.from_snapshot == 5
    assert loaded.state.score.reach == 6
    assert loaded.state == IDEA.decider.fold(
        world.services.store.mapper.to_event(e)
        for e in await collect(world.services.store.replay())
        if e.stream_id == f"idea-{idea_id}"
    )
    assert snapshot_spec(EXPERIMENT).name == "experiment"
