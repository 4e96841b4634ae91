"""A small world for service tests: the real pipeline on a test database, with a fake clock."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from innovation.bootstrap import Services, bootstrap
from innovation.config import Settings
from innovation.domain.experiments import ConcludeExperiment, RecordMeasurement, StartExperiment
from innovation.domain.ideas import (
    AdvanceIdea,
    MergeIdea,
    OverrideValidation,
    RecordEthicsReview,
    RejectIdea,
    RequestEthicsReview,
    ReviseIdea,
    ScoreIdea,
    SubmitIdea,
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
from innovation.services import Actor
from innovation.services import Outcome as Done
from innovation.store import open_database

LEAD = Actor("lead:lea", "lead")
SCOUT = Actor("scout:sam", "scout")
ETHICS = Actor("ethics:council", "ethics")


def submission(
    title: str = "Conversation analytics for call-centre agents",
    summary: str = "Pushes the right product sheet to the agent while the customer talks.",
    *,
    scout: str = SCOUT.name,
    source: SourceKind = SourceKind.PARTNER,
    organisation: str = "Orange Luxembourg",
    country: str = "LU",
    external: bool = True,
    themes: tuple[str, ...] = ("customer-experience",),
    uses_ai: bool = False,
    uses_personal_data: bool = False,
    url: str | None = None,
) -> SubmitIdea:
    """A new idea's submission, with an id of its own."""
    return SubmitIdea(
        idea_id=str(uuid.uuid4()),
        title=title,
        summary=summary,
        provenance=Provenance(
            source_kind=source,
            organisation=organisation,
            country=country,
            external=external,
            url=url,
        ),
        themes=themes,
        uses_ai=uses_ai,
        uses_personal_data=uses_personal_data,
        scout=scout,
    )


@dataclass
class FakeClock:
    """Starts on a fixed day and moves only when told to (each command reads it once)."""

    now: datetime = field(default_factory=lambda: datetime(2024, 1, 8, 9, 0, tzinfo=UTC))
    step: timedelta = timedelta(minutes=1)

    def __call__(self) -> datetime:
        current = self.now
        self.now += self.step
        return current

    def jump(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class World:
    services: Services
    clock: FakeClock

    async def run(self, command: Any, actor: Actor = LEAD, **options: Any) -> Done:
        """Run ``command`` now, as the fake clock says (or at ``at=`` when given)."""
        options.setdefault("at", self.clock())
        return await self.services.pipeline.execute(command, actor, **options)

    async def submit(self, *args: Any, actor: Actor = SCOUT, **fields: Any) -> str:
        """Submit an idea as ``actor`` (``submission`` takes the rest); its id."""
        command = submission(*args, scout=actor.name, **fields)
        await self.run(command, actor)
        return command.idea_id

    async def screen(self, idea_id: str) -> None:
        await self.run(AdvanceIdea(idea_id=idea_id, to_stage=Stage.SCREENING))

    async def score(self, idea_id: str, reach: int = 1000, confidence: float = 0.8) -> None:
        await self.run(
            ScoreIdea(
                idea_id=idea_id,
                score=Score(
                    reach=reach, impact=2, confidence=confidence, effort=3, strategic_fit=4
                ),
            )
        )

    async def start(self, idea_id: str, target: float = 60.0) -> str:
        experiment_id = str(uuid.uuid4())
        await self.run(
            StartExperiment(
                experiment_id=experiment_id,
                idea_id=idea_id,
                hypothesis="Agents who see the right sheet at once solve more calls first time.",
                pilot_site="Orange Luxembourg contact centre",
                starts_on=self.clock.now.date(),
                ends_on=self.clock.now.date() + timedelta(days=89),
                metrics=(
                    MetricDefinition(
                        name="first-call resolution",
                        unit="%",
                        baseline=50.0,
                        target=target,
                        direction=Direction.HIGHER_IS_BETTER,
                    ),
                    MetricDefinition(
                        name="daily network alarms",
                        unit="alarms",
                        baseline=900.0,
                        target=300.0,
                        direction=Direction.LOWER_IS_BETTER,
                    ),
                ),
            )
        )
        return experiment_id

    async def measure(self, experiment_id: str, metric: str, value: float) -> None:
        await self.run(
            RecordMeasurement(
                experiment_id=experiment_id,
                metric=metric,
                value=value,
                measured_at=self.clock.now,
                now=self.clock.now,
            )
        )

    async def conclude(
        self, experiment_id: str, outcome: Outcome, decision: Decision, note: str | None = None
    ) -> Done:
        return await self.run(
            ConcludeExperiment(
                experiment_id=experiment_id, outcome=outcome, decision=decision, note=note
            )
        )

    async def validated_idea(self, **submit: Any) -> tuple[str, str]:
        """An idea taken through a successful pilot: (idea id, experiment id)."""
        idea_id = await self.submit(**submit)
        await self.screen(idea_id)
        await self.score(idea_id)
        experiment_id = await self.start(idea_id)
        await self.measure(experiment_id, "first-call resolution", 64)
        await self.measure(experiment_id, "daily network alarms", 290)
        await self.conclude(experiment_id, Outcome.VALIDATED, Decision.SCALE, "it works")
        return idea_id, experiment_id

    async def everything(self) -> None:
        """A bit of every command, for tests that compare whole read models."""
        validated, _ = await self.validated_idea(uses_ai=True)
        await self.run(RequestEthicsReview(idea_id=validated))
        await self.run(
            RecordEthicsReview(
                idea_id=validated,
                verdict=Verdict.APPROVED,
                reviewers=("Ana", "Ben"),
                note="fair",
            ),
            ETHICS,
        )
        await self.run(ReviseIdea(idea_id=validated, summary="Now also suggests the next step."))
        stopped = await self.submit(
            title="Connected speaker with a voice assistant", source=SourceKind.EMPLOYEE
        )
        await self.screen(stopped)
        experiment = await self.start(stopped)
        await self.measure(experiment, "first-call resolution", 41)
        await self.conclude(experiment, Outcome.INVALIDATED, Decision.STOP, "nobody used it")
        iterated = await self.submit(
            title="Generative assistant for business customers", country="FR"
        )
        await self.screen(iterated)
        experiment = await self.start(iterated)
        await self.conclude(experiment, Outcome.INCONCLUSIVE, Decision.ITERATE, "too few users")
        duplicate = await self.submit(title="Call-centre conversation analytics", actor=LEAD)
        await self.run(MergeIdea(idea_id=duplicate, into_idea_id=iterated))
        rejected = await self.submit(title="Fax gateway for the cloud", external=False)
        await self.run(RejectIdea(idea_id=rejected, reason="no customer asked for it"))
        overridden = await self.submit(title="Network alarm triage", themes=("networks-cloud",))
        await self.screen(overridden)
        await self.score(overridden, reach=50_000)
        await self.run(
            OverrideValidation(
                idea_id=overridden, reason="Proven in the NOC already, no pilot needed."
            )
        )


def another_process(database_url: str) -> World:
    """A world with services of its own on the same database, as another process has them."""
    services = bootstrap(
        Settings.from_env({}), clock=FakeClock(), database=open_database(database_url)
    )
    return World(services, FakeClock())
