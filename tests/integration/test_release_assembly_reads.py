"""The release service reads the log narrowly (the folded types, then the shown experiments'
streams) and still publishes the bundle the whole log gives, on both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from innovation.bootstrap import Services
from innovation.domain.assembly import MEASURED, assemble
from innovation.domain.experiments import AddMetric, AmendExperiment, CorrectMeasurement
from innovation.domain.values import Decision, Direction, MetricDefinition, Outcome
from innovation.releases import service as release_service
from innovation.store import type_name
from tests.integration.world import LEAD, World

AFTER_H1 = datetime(2024, 6, 30, 23, 0, tzinfo=UTC)


async def piloted_with_every_experiment_event(world: World) -> str:
    """An idea validated by a pilot that gained a metric, moved site and had a reading fixed."""
    idea_id = await world.submit(title="Predictive maintenance of radio sites")
    await world.screen(idea_id)
    experiment_id = await world.start(idea_id)
    await world.run(
        AddMetric(
            experiment_id=experiment_id,
            metric=MetricDefinition(
                name="truck rolls",
                unit="rolls",
                baseline=100.0,
                target=80.0,
                direction=Direction.LOWER_IS_BETTER,
            ),
        )
    )
    await world.run(
        AmendExperiment(
            experiment_id=experiment_id, pilot_site="Orange Romania", reason="moved east"
        )
    )
    await world.measure(experiment_id, "first-call resolution", 40)  # version 4
    await world.measure(experiment_id, "daily network alarms", 280)
    await world.measure(experiment_id, "truck rolls", 75)
    await world.run(
        CorrectMeasurement(
            experiment_id=experiment_id,
            measurement=4,
            value=66,
            reason="read from the wrong dashboard",
            now=world.clock.now,
        )
    )
    await world.conclude(experiment_id, Outcome.VALIDATED, Decision.SCALE, "it works")
    return idea_id


async def test_a_release_read_narrowly_is_the_bundle_of_the_whole_log(
    world: World, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(release_service, "STREAMS_PER_READ", 1)  # a query per experiment
    await world.everything()
    await world.validated_idea(title="Self-install kits for fibre")
    piloted = await piloted_with_every_experiment_event(world)

    release = await services.releases.assemble("2024-H1", actor=LEAD, now=AFTER_H1)
    log = services.store
    whole = [log.recorded(record) async for record in log.replay(up_to=release.bundle.cutoff)]
    period = services.releases.cadence.parse("2024-H1")

    assert assemble(period, release.bundle.cutoff, whole).bundle == release.bundle
    shown = next(item for item in release.bundle.items if item.idea_id == piloted)
    assert shown.pilot_site == "Orange Romania"
    assert [metric.observed for metric in shown.metrics] == [66.0, 280.0, 75.0]
    assert len([item for item in release.bundle.items if item.metrics]) >= 2
    assert {type_name(kind) for kind in MEASURED} <= {
        type_name(type(recorded.event)) for recorded in whole
    }


async def test_a_preview_read_narrowly_is_the_assembly_of_the_whole_log(
    world: World, services: Services
) -> None:
    await world.everything()
    await piloted_with_every_experiment_event(world)
    now = world.clock.now + timedelta(days=1)

    preview = await services.releases.preview(now)
    log = services.store
    whole = [log.recorded(record) async for record in log.replay(up_to=preview.cutoff)]

    assert assemble(preview.period, preview.cutoff, whole) == preview.assembly
    assert preview.assembly.bundle.items


async def test_a_published_release_assembled_again_up_to_its_publication_is_the_same_bundle(
    world: World, services: Services
) -> None:
    """What the service bench times again (``dataset --retime``): the same work, the same
    bundle, though later writes (the shipping, another idea) stand after it in the log."""
    await world.everything()
    await piloted_with_every_experiment_event(world)
    releases = services.releases
    published = await releases.assemble("2024-H1", actor=LEAD, now=AFTER_H1)
    await world.submit(title="Spotted after the release")
    later = (await releases.assembly(releases.cadence.parse("2024-H1")))[0].bundle

    again = (
        await releases.assembly(releases.cadence.parse("2024-H1"), upto=published.position - 1)
    )[0].bundle

    assert again == published.bundle
    assert published.bundle.items
    assert later.items != published.bundle.items  # at the end of the log, it shows other ideas
