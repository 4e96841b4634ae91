"""A log written by hand for release tests: each event gets the next position and its time."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from innovation.domain import experiments as exp
from innovation.domain import ideas as idea
from innovation.domain.assembly import assemble
from innovation.domain.periods import Cadence, Period
from innovation.domain.recorded import Recorded
from innovation.domain.releases import Assembly
from innovation.domain.values import (
    Decision,
    Direction,
    MetricDefinition,
    Outcome,
    Provenance,
    SourceKind,
    Stage,
    ValidationRoute,
)

H1 = Cadence().parse("2026-H1")
H2 = Cadence().parse("2026-H2")


class Log:
    """A log being written: each event gets the next position and the time it is given."""

    def __init__(self) -> None:
        self.records: list[Recorded[object]] = []
        self.versions: dict[str, int] = {}

    def add(self, stream: str, when: datetime, *events: object) -> None:
        for event in events:
            version = self.versions.get(stream, 0) + 1
            self.versions[stream] = version
            self.records.append(
                Recorded(
                    event=event,
                    position=len(self.records) + 1,
                    stream_id=stream,
                    version=version,
                    recorded_at=when,
                    occurred_at=when,
                    actor="lead:test",
                    correlation_id=uuid.UUID(int=len(self.records) + 1),
                )
            )

    @property
    def position(self) -> int:
        return len(self.records)

    def submit(
        self,
        idea_id: str,
        when: datetime,
        *,
        kind: SourceKind = SourceKind.STARTUP,
        country: str = "FR",
        external: bool = True,
        themes: tuple[str, ...] = ("customer-experience",),
        uses_ai: bool = False,
    ) -> None:
        self.add(
            f"idea-{idea_id}",
            when,
            idea.IdeaSubmitted(
                idea_id=idea_id,
                title=f"Idea {idea_id}",
                summary="A summary.",
                provenance=Provenance(
                    source_kind=kind, organisation="Org", country=country, external=external
                ),
                themes=themes,
                uses_ai=uses_ai,
                uses_personal_data=False,
                scout="scout:ana",
            ),
        )

    def screen(self, idea_id: str, when: datetime) -> None:
        self.add(
            f"idea-{idea_id}",
            when,
            idea.IdeaAdvanced(idea_id=idea_id, from_stage=Stage.SCOUTED, to_stage=Stage.SCREENING),
        )

    def validate_by_experiment(
        self, idea_id: str, started: datetime, concluded: datetime, observed: float
    ) -> None:
        experiment_id = f"exp-{idea_id}"
        self.add(
            f"idea-{idea_id}",
            started,
            idea.ExperimentAttached(idea_id=idea_id, experiment_id=experiment_id),
            idea.IdeaAdvanced(
                idea_id=idea_id, from_stage=Stage.SCREENING, to_stage=Stage.EXPERIMENTING
            ),
        )
        self.add(
            f"experiment-{experiment_id}",
            started,
            exp.ExperimentStarted(
                experiment_id=experiment_id,
                idea_id=idea_id,
                hypothesis="Alarms handled by people drop by two thirds.",
                pilot_site="Orange Belgium",
                starts_on=started.date(),
                ends_on=concluded.date(),
                metrics=(
                    MetricDefinition(
                        name="daily alarms",
                        unit="alarms",
                        baseline=900.0,
                        target=300.0,
                        direction=Direction.LOWER_IS_BETTER,
                    ),
                ),
            ),
        )
        self.add(
            f"experiment-{experiment_id}",
            concluded,
            exp.MeasurementRecorded(
                experiment_id=experiment_id,
                metric="daily alarms",
                value=observed,
                measured_at=concluded,
            ),
            exp.ExperimentConcluded(
                experiment_id=experiment_id,
                idea_id=idea_id,
                outcome=Outcome.VALIDATED,
                decision=Decision.SCALE,
                note=None,
                results=(),
            ),
        )
        self.add(
            f"idea-{idea_id}",
            concluded,
            idea.IdeaValidated(
                idea_id=idea_id, experiment_id=experiment_id, via=ValidationRoute.EXPERIMENT
            ),
        )

    def override(
        self,
        idea_id: str,
        when: datetime,
        reason: str = "Proven at a sister affiliate for two years already.",
    ) -> None:
        self.add(
            f"idea-{idea_id}",
            when,
            idea.IdeaValidated(
                idea_id=idea_id, experiment_id=None, via=ValidationRoute.OVERRIDE, reason=reason
            ),
        )


def day(month: int, dom: int, year: int = 2026) -> datetime:
    return datetime(year, month, dom, 10, 0, tzinfo=UTC)


def assembled(log: Log, period: Period = H1, cutoff: int | None = None) -> Assembly:
    return assemble(period, log.position if cutoff is None else cutoff, log.records)
