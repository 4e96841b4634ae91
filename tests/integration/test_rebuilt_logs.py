"""Any log, rebuilt in pages of any size, gives the read models its commands built one by one.

Commands are drawn at random over a handful of ideas, experiments and deliveries and run
through the pipeline (what the domain refuses appends nothing); a release is assembled now and
then. The read models built command by command must equal a rebuild's, page size drawn too.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from typing import Any

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from innovation.domain import EVENT_TYPES
from innovation.domain.deliveries import QueueDigest, RecordFailure, RecordSent
from innovation.domain.errors import DomainError
from innovation.domain.experiments import (
    AddMetric,
    AmendExperiment,
    ConcludeExperiment,
    CorrectMeasurement,
    RecordMeasurement,
)
from innovation.domain.ideas import (
    AdvanceIdea,
    MarkReleased,
    MergeIdea,
    OverrideValidation,
    RecordEthicsReview,
    RejectIdea,
    ReopenIdea,
    RequestEthicsReview,
    ReviseIdea,
    ScoreIdea,
)
from innovation.domain.values import (
    Decision,
    Direction,
    MetricDefinition,
    Outcome,
    Provenance,
    Score,
    SourceKind,
    Stage,
    Verdict,
)
from innovation.projections.projector import FOLDS, snapshot_tables
from innovation.services import Actor
from innovation.services.errors import ServiceError
from innovation.store.tables import events
from tests.helpers import on_loop
from tests.integration.world import ETHICS, LEAD, World

METRICS = ("first-call resolution", "daily network alarms")


@dataclass
class Known:
    """The ids the log holds so far, for commands to name."""

    ideas: list[str] = field(default_factory=list)
    experiments: list[str] = field(default_factory=list)
    deliveries: list[str] = field(default_factory=list)


Step = tuple[str, int, int, float]
Build = Callable[[World, Known, int, int, float], Any]


def pick(ids: list[str], n: int) -> str | None:
    return ids[n % len(ids)] if ids else None


def _revise(world: World, known: Known, i: int, j: int, x: float) -> Any:
    idea_id = pick(known.ideas, i)
    if idea_id is None:
        return None
    changes: dict[str, Any] = [
        {"title": f"Revised title {x:.0f}"},
        {"themes": ("networks-cloud", "cybersecurity")[: j % 3]},
        {"uses_ai": bool(j % 2), "summary": "Now with a model in the loop."},
        {
            "provenance": Provenance(
                source_kind=SourceKind.STARTUP,
                organisation="A startup",
                country="FR",
                external=True,
            )
        },
    ][j % 4]
    return ReviseIdea(idea_id=idea_id, **changes)


def _on_idea(make: Callable[[str, int, float], Any]) -> Build:
    def build(world: World, known: Known, i: int, j: int, x: float) -> Any:
        idea_id = pick(known.ideas, i)
        return None if idea_id is None else make(idea_id, j, x)

    return build


def _on_experiment(make: Callable[[World, str, int, float], Any]) -> Build:
    def build(world: World, known: Known, i: int, j: int, x: float) -> Any:
        experiment_id = pick(known.experiments, i)
        return None if experiment_id is None else make(world, experiment_id, j, x)

    return build


def _on_delivery(make: Callable[[World, str, int], Any]) -> Build:
    def build(world: World, known: Known, i: int, j: int, x: float) -> Any:
        delivery_id = pick(known.deliveries, i)
        return None if delivery_id is None else make(world, delivery_id, j)

    return build


def _merge(world: World, known: Known, i: int, j: int, x: float) -> Any:
    duplicate, survivor = pick(known.ideas, i), pick(known.ideas, j)
    if duplicate is None or survivor is None or duplicate == survivor:
        return None
    return MergeIdea(idea_id=duplicate, into_idea_id=survivor)


def _queue(world: World, known: Known, i: int, j: int, x: float) -> Any:
    delivery_id = str(uuid.uuid4())
    known.deliveries.append(delivery_id)
    return QueueDigest(delivery_id=delivery_id, period="2024-H1", recipient=f"exec{j}@example.org")


STEPS: dict[str, Build] = {
    "revise": _revise,
    "screen": _on_idea(lambda idea, j, x: AdvanceIdea(idea_id=idea, to_stage=Stage.SCREENING)),
    "score": _on_idea(
        lambda idea, j, x: ScoreIdea(
            idea_id=idea,
            score=Score(reach=int(x), impact=2, confidence=0.5, effort=1 + j, strategic_fit=3),
        )
    ),
    "reject": _on_idea(lambda idea, j, x: RejectIdea(idea_id=idea, reason="not now")),
    "reopen": _on_idea(lambda idea, j, x: ReopenIdea(idea_id=idea, reason="asked again")),
    "merge": _merge,
    "override": _on_idea(lambda idea, j, x: OverrideValidation(idea_id=idea, reason="proven")),
    "release": _on_idea(lambda idea, j, x: MarkReleased(idea_id=idea, release_id="2024-H1")),
    "request ethics": _on_idea(lambda idea, j, x: RequestEthicsReview(idea_id=idea)),
    "record ethics": _on_idea(
        lambda idea, j, x: RecordEthicsReview(
            idea_id=idea, verdict=list(Verdict)[j % len(Verdict)], reviewers=("Ana",), note=None
        )
    ),
    "measure": _on_experiment(
        lambda world, experiment, j, x: RecordMeasurement(
            experiment_id=experiment,
            metric=METRICS[j % 2],
            value=x,
            measured_at=world.clock.now - timedelta(days=j),
            now=world.clock.now,
        )
    ),
    "correct": _on_experiment(
        lambda world, experiment, j, x: CorrectMeasurement(
            experiment_id=experiment,
            measurement=2 + j,
            value=x,
            measured_at=None if j % 2 else world.clock.now - timedelta(days=10 + j),
            reason="typo",
            now=world.clock.now,
        )
    ),
    "amend": _on_experiment(
        lambda world, experiment, j, x: AmendExperiment(
            experiment_id=experiment, pilot_site=f"Site {j}", reason="moved"
        )
    ),
    "add metric": _on_experiment(
        lambda world, experiment, j, x: AddMetric(
            experiment_id=experiment,
            metric=MetricDefinition(
                name=f"extra {j}",
                unit="calls",
                baseline=10.0,
                target=5.0,
                direction=Direction.LOWER_IS_BETTER,
            ),
        )
    ),
    "conclude": _on_experiment(
        lambda world, experiment, j, x: ConcludeExperiment(
            experiment_id=experiment,
            outcome=list(Outcome)[j % len(Outcome)],
            decision=list(Decision)[j % len(Decision)],
            note="done",
        )
    ),
    "queue digest": _queue,
    "send digest": _on_delivery(
        lambda world, delivery, j: RecordSent(delivery_id=delivery, at=world.clock.now)
    ),
    "fail digest": _on_delivery(
        lambda world, delivery, j: RecordFailure(
            delivery_id=delivery, at=world.clock.now, error="mailbox full", retry=bool(j % 2)
        )
    ),
}
"""Commands over known ids; ``submit``, ``start`` and ``assemble`` are run by ``take``."""


async def take(world: World, known: Known, step: Step) -> None:
    """Run one drawn step; a command the domain refuses leaves the log as it was."""
    name, i, j, x = step
    try:
        if name == "submit":
            uses = {"uses_ai": bool(j % 2), "uses_personal_data": bool(j % 3 == 0)}
            known.ideas.append(await world.submit(title=f"Idea {len(known.ideas)}", **uses))
        elif name == "start":
            idea_id = pick(known.ideas, i)
            if idea_id is not None:
                known.experiments.append(await world.start(idea_id, target=40 + x % 40))
        elif name == "assemble":
            world.clock.jump(days=120 + j)
            await world.services.releases.catch_up(now=world.clock.now)
        else:
            command = STEPS[name](world, known, i, j, x)
            if command is not None:
                actor: Actor = ETHICS if isinstance(command, RecordEthicsReview) else LEAD
                await world.run(command, actor)
    except (ServiceError, DomainError):
        pass


NAMES = sorted([*STEPS, "submit", "start", "assemble"])
steps = st.tuples(
    st.sampled_from(NAMES),
    st.integers(0, 7),
    st.integers(0, 7),
    st.floats(0, 1000, allow_nan=False).map(round),
)


async def every_kind(world: World, known: Known) -> None:
    """Append every kind of event the read models take, in one story."""
    shipped = await world.submit(title="Shipped", uses_ai=True)
    rejected = await world.submit(title="Rejected")
    merged = await world.submit(title="Merged")
    known.ideas += [shipped, rejected, merged]
    await world.screen(shipped)
    await world.score(shipped)
    iterated = await world.start(shipped)
    known.experiments.append(iterated)
    for name in ("add metric", "amend", "measure", "measure"):
        await take(world, known, (name, 0, 0, 70.0))
    await world.run(
        CorrectMeasurement(
            experiment_id=iterated, measurement=4, value=20, reason="typo", now=world.clock.now
        )
    )
    await world.conclude(iterated, Outcome.INCONCLUSIVE, Decision.ITERATE)
    validated = await world.start(shipped)
    known.experiments.append(validated)
    await world.measure(validated, METRICS[0], 90)
    await world.measure(validated, METRICS[1], 100)
    await world.conclude(validated, Outcome.VALIDATED, Decision.SCALE)
    await world.run(RequestEthicsReview(idea_id=shipped))
    await world.run(
        RecordEthicsReview(idea_id=shipped, verdict=Verdict.APPROVED, reviewers=("Ana",)), ETHICS
    )
    await world.run(ReviseIdea(idea_id=rejected, themes=("cybersecurity",), title="Renamed"))
    await world.run(RejectIdea(idea_id=rejected, reason="not now"))
    await world.run(ReopenIdea(idea_id=rejected, reason="asked again"))
    await world.run(MergeIdea(idea_id=merged, into_idea_id=rejected))
    world.clock.jump(days=200)  # past the end of the first semester
    await world.services.releases.catch_up(now=world.clock.now)
    await world.run(MarkReleased(idea_id=shipped, release_id="2024-H1"))
    for number, name in enumerate(("queue digest", "queue digest", "send digest", "fail digest")):
        await take(world, known, (name, number, 1, 0.0))


async def test_a_rebuild_in_pages_of_any_size_equals_the_read_models_built_command_by_command(
    world: World,
):
    known = Known()
    await every_kind(world, known)
    run = on_loop(asyncio.get_running_loop())
    database, services = world.services.database, world.services

    @settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(drawn=st.lists(steps, min_size=1, max_size=30), page_size=st.integers(1, 40))
    def check(drawn: list[Step], page_size: int) -> None:
        for step in drawn:
            run(take(world, known, step))
        live = run(database.read(snapshot_tables))

        rebuild = partial(
            services.projector.rebuild, recorder=services.store.recorder, page_size=page_size
        )
        run(database.write(rebuild))

        assert run(database.read(snapshot_tables)) == live

    await asyncio.to_thread(check)

    kinds = await database.read(
        lambda c: {row[0] for row in c.execute(sa.select(events.c.type).distinct())}
    )
    every = {kind.__struct_config__.tag for kind in EVENT_TYPES}
    assert every <= kinds, every - kinds


def test_every_kind_of_event_reaches_a_read_model_that_folds_it():
    assert set(EVENT_TYPES) == set(FOLDS)
