"""Ready-made commands, events and histories for the domain tests; override what a test is about."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from innovation.domain import (
    Direction,
    Event,
    ExperimentAttached,
    ExperimentStarted,
    IdeaAdvanced,
    IdeaMerged,
    IdeaRejected,
    IdeaReleased,
    IdeaSubmitted,
    IdeaValidated,
    MeasurementRecorded,
    MetricDefinition,
    Provenance,
    Score,
    SourceKind,
    Stage,
    StartExperiment,
    SubmitIdea,
    ValidationRoute,
)

IDEA = "idea-call-assist"
OTHER_IDEA = "idea-voice-bot"
EXPERIMENT = "exp-luxembourg"
OTHER_EXPERIMENT = "exp-belgium"
RELEASE = "2026-H1"


def provenance(**changes: Any) -> Provenance:
    fields: dict[str, Any] = {
        "source_kind": SourceKind.PARTNER,
        "organisation": "Orange Luxembourg",
        "country": "LU",
        "url": "https://example.org/call-analysis",
        "external": True,
    }
    return Provenance(**(fields | changes))


def submit(**changes: Any) -> SubmitIdea:
    fields: dict[str, Any] = {
        "idea_id": IDEA,
        "title": "Live call assistant for advisers",
        "summary": "Listen to customer calls and push the right product sheet to the adviser.",
        "provenance": provenance(),
        "themes": ("customer-experience", "generative-ai"),
        "uses_ai": False,
        "uses_personal_data": False,
        "scout": "scout-ana",
    }
    return SubmitIdea(**(fields | changes))


def submitted(**changes: Any) -> IdeaSubmitted:
    """The event ``submit(**changes)`` produces when its input is already clean."""
    command = submit(**changes)
    return IdeaSubmitted(
        idea_id=command.idea_id,
        title=command.title,
        summary=command.summary,
        provenance=command.provenance,
        themes=command.themes,
        uses_ai=command.uses_ai,
        uses_personal_data=command.uses_personal_data,
        scout=command.scout,
    )


def score(**changes: Any) -> Score:
    fields: dict[str, Any] = {
        "reach": 27_000,
        "impact": 2,
        "confidence": 0.8,
        "effort": 6,
        "strategic_fit": 4,
    }
    return Score(**(fields | changes))


def metric(**changes: Any) -> MetricDefinition:
    fields: dict[str, Any] = {
        "name": "network alarms per day",
        "unit": "alarms",
        "baseline": 1_000.0,
        "target": 400.0,
        "direction": Direction.LOWER_IS_BETTER,
    }
    return MetricDefinition(**(fields | changes))


SATISFACTION = MetricDefinition(
    name="customer satisfaction",
    unit="points",
    baseline=7.2,
    target=8.0,
    direction=Direction.HIGHER_IS_BETTER,
)

HANDLING = MetricDefinition(
    name="handling time", unit="s", baseline=300, target=240, direction=Direction.LOWER_IS_BETTER
)
"""A metric the examples' pilot does not start with, for adding it later."""


def start(**changes: Any) -> StartExperiment:
    fields: dict[str, Any] = {
        "experiment_id": EXPERIMENT,
        "idea_id": IDEA,
        "hypothesis": "Advisers answer faster when the assistant suggests the procedure.",
        "pilot_site": "Luxembourg affiliate",
        "starts_on": date(2026, 3, 1),
        "ends_on": date(2026, 6, 30),
        "metrics": (metric(), SATISFACTION),
    }
    return StartExperiment(**(fields | changes))


def started(**changes: Any) -> ExperimentStarted:
    command = start(**changes)
    return ExperimentStarted(
        experiment_id=command.experiment_id,
        idea_id=command.idea_id,
        hypothesis=command.hypothesis,
        pilot_site=command.pilot_site,
        starts_on=command.starts_on,
        ends_on=command.ends_on,
        metrics=command.metrics,
    )


def measured(metric_name: str, value: float, day: int = 15) -> MeasurementRecorded:
    return MeasurementRecorded(
        experiment_id=EXPERIMENT,
        metric=metric_name,
        value=value,
        measured_at=datetime(2026, 4, day, 12, 0, tzinfo=UTC),
    )


def on_target() -> list[Event]:
    """An experiment whose every metric met its target."""
    return [
        started(),
        measured("network alarms per day", 300.0),
        measured("customer satisfaction", 8.4),
    ]


def unlisted(value: str) -> Any:
    """A value outside an enumeration, as a command built without the API's checks may hold."""
    return value


# Idea histories, one per stage


def advanced(from_stage: Stage, to_stage: Stage, reason: str | None = None) -> IdeaAdvanced:
    return IdeaAdvanced(idea_id=IDEA, from_stage=from_stage, to_stage=to_stage, reason=reason)


def scouted(**changes: Any) -> list[Event]:
    return [submitted(**changes)]


def screening(**changes: Any) -> list[Event]:
    return [*scouted(**changes), advanced(Stage.SCOUTED, Stage.SCREENING)]


def experimenting(experiment_id: str = EXPERIMENT, **changes: Any) -> list[Event]:
    """In experiment ``experiment_id``, started from screening."""
    return [
        *screening(**changes),
        ExperimentAttached(idea_id=IDEA, experiment_id=experiment_id),
        advanced(Stage.SCREENING, Stage.EXPERIMENTING),
    ]


def experimenting_without_experiment(**changes: Any) -> list[Event]:
    """Moved into experimenting by hand, no experiment attached yet."""
    return [*screening(**changes), advanced(Stage.SCREENING, Stage.EXPERIMENTING)]


def validated(**changes: Any) -> list[Event]:
    return [
        *experimenting(**changes),
        IdeaValidated(idea_id=IDEA, experiment_id=EXPERIMENT, via=ValidationRoute.EXPERIMENT),
    ]


def released(**changes: Any) -> list[Event]:
    return [*validated(**changes), IdeaReleased(idea_id=IDEA, release_id=RELEASE)]


def rejected(**changes: Any) -> list[Event]:
    return [*screening(**changes), IdeaRejected(idea_id=IDEA, reason="Too costly to run.")]


def merged(**changes: Any) -> list[Event]:
    return [*scouted(**changes), IdeaMerged(idea_id=IDEA, into_idea_id=OTHER_IDEA)]


History = Callable[..., list[Event]]
"""A ready-made idea history; keyword arguments change the submission."""

CLOSED: dict[str, History] = {"rejected": rejected, "merged": merged}
"""Histories of ideas that left the pipeline for good."""
