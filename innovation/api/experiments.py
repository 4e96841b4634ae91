"""Mutations on experiments: start a pilot, measure, conclude; or validate an idea without one."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime
from functools import partial
from typing import Any

import strawberry
from strawberry.types import Info

from innovation.api.building import built
from innovation.api.commands import (
    Answer,
    answer_with_idea,
    asks_for,
    command,
    command_input,
    experiment_id,
    idea_id,
    mutate,
    new_id,
    not_blank,
    payload,
    read_experiment,
    read_idea,
    read_metric,
)
from innovation.api.context import Context
from innovation.api.enums import DecisionType, DirectionType, OutcomeType
from innovation.api.metrics import Metric
from innovation.api.permissions import LEADS
from innovation.api.types import Experiment, Idea
from innovation.domain import experiments as rules
from innovation.domain import ideas as idea_rules
from innovation.domain.values import MetricDefinition
from innovation.projections import views


@strawberry.input(description="A metric of an experiment, fixed when it starts.")
class MetricInput:
    name: str
    unit: str
    baseline: float
    target: float
    direction: DirectionType  # type: ignore[valid-type]

    def to_domain(self) -> MetricDefinition:
        return built(MetricDefinition, self)


@command_input(versioned=False)
class StartExperimentInput:
    idea_id: strawberry.ID
    hypothesis: str
    pilot_site: str
    starts_on: date
    ends_on: date
    metrics: list[MetricInput]
    client_mutation_id: str | None = None


@command_input()
class RecordMeasurementInput:
    experiment_id: strawberry.ID
    metric: str
    value: float
    measured_at: datetime | None = strawberry.field(default=None, description="Default: now.")


@command_input()
class CorrectMeasurementInput:
    experiment_id: strawberry.ID
    measurement: int = strawberry.field(description="The wrong measurement's `number`.")
    value: float
    measured_at: datetime | None = strawberry.field(
        default=None, description="Default: the wrong measurement's own date."
    )
    reason: str = strawberry.field(description="Why it was wrong; kept in the history.")


@command_input()
class AmendExperimentInput:
    experiment_id: strawberry.ID
    hypothesis: str | None = strawberry.field(default=None, description="Default: unchanged.")
    pilot_site: str | None = strawberry.field(default=None, description="Default: unchanged.")
    starts_on: date | None = strawberry.field(default=None, description="Default: unchanged.")
    ends_on: date | None = strawberry.field(default=None, description="Default: unchanged.")
    reason: str = strawberry.field(description="Why the pilot changes; kept in the history.")


@command_input()
class AddMetricInput:
    experiment_id: strawberry.ID
    metric: MetricInput


@command_input()
class ConcludeExperimentInput:
    experiment_id: strawberry.ID
    outcome: OutcomeType  # type: ignore[valid-type]
    decision: DecisionType  # type: ignore[valid-type]
    note: str | None = None


@command_input()
class OverrideValidationInput:
    idea_id: strawberry.ID
    reason: str = strawberry.field(
        description="Why no experiment is needed (20 characters or more)."
    )


StartExperimentPayload = payload("StartExperimentPayload", experiment=Experiment, idea=Idea)
RecordMeasurementPayload = payload("RecordMeasurementPayload", experiment=Experiment, metric=Metric)
CorrectMeasurementPayload = payload(
    "CorrectMeasurementPayload", experiment=Experiment, metric=Metric
)
AmendExperimentPayload = payload("AmendExperimentPayload", experiment=Experiment)
AddMetricPayload = payload("AddMetricPayload", experiment=Experiment)
ConcludeExperimentPayload = payload("ConcludeExperimentPayload", experiment=Experiment, idea=Idea)
OverrideValidationPayload = payload("OverrideValidationPayload", idea=Idea)


async def start_experiment(info: Info[Context, None], input: StartExperimentInput) -> Any:
    def build(now: datetime) -> rules.StartExperiment:
        return rules.StartExperiment(
            experiment_id=new_id(info, "experiment", input.client_mutation_id),
            idea_id=idea_id(input.idea_id),
            hypothesis=input.hypothesis,
            pilot_site=input.pilot_site,
            starts_on=input.starts_on,
            ends_on=input.ends_on,
            metrics=tuple(metric.to_domain() for metric in input.metrics),
        )

    async def answer(command: rules.StartExperiment) -> Answer:
        return {
            "experiment": await read_experiment(info, command.experiment_id),
            "idea": await read_idea(info, command.idea_id),
        }

    return await mutate(info, input, StartExperimentPayload, build, answer)


async def record_measurement(info: Info[Context, None], input: RecordMeasurementInput) -> Any:
    def build(now: datetime) -> rules.RecordMeasurement:
        return rules.RecordMeasurement(
            experiment_id=experiment_id(input.experiment_id),
            metric=input.metric,
            value=input.value,
            measured_at=input.measured_at or now,
            now=now,
        )

    return await mutate(info, input, RecordMeasurementPayload, build, answer_with_metric(info))


def answer_with_metric(
    info: Info[Context, None],
) -> Callable[[rules.RecordMeasurement | rules.CorrectMeasurement], Awaitable[Answer]]:
    """The payload of a measurement: its experiment and its metric as they stand now, each
    read only when the caller asked for it."""

    async def answer(command: rules.RecordMeasurement | rules.CorrectMeasurement) -> Answer:
        database = info.context.services.database
        known = command.experiment_id
        found = None
        if asks_for(info, "metric"):
            if isinstance(command, rules.RecordMeasurement):
                name: str | None = command.metric.strip()
            else:
                name = await database.glance(
                    partial(
                        views.metric_of_measurement, experiment_id=known, number=command.measurement
                    )
                )
            if name is not None:
                found = await read_metric(info, known, name)
        experiment = await read_experiment(info, known) if asks_for(info, "experiment") else None
        return {"experiment": experiment, "metric": None if found is None else Metric.of(found)}

    return answer


async def correct_measurement(info: Info[Context, None], input: CorrectMeasurementInput) -> Any:
    def build(now: datetime) -> rules.CorrectMeasurement:
        return rules.CorrectMeasurement(
            experiment_id=experiment_id(input.experiment_id),
            measurement=input.measurement,
            value=input.value,
            measured_at=input.measured_at,
            reason=input.reason,
            now=now,
        )

    return await mutate(info, input, CorrectMeasurementPayload, build, answer_with_metric(info))


async def amend_experiment(info: Info[Context, None], input: AmendExperimentInput) -> Any:
    def build(now: datetime) -> rules.AmendExperiment:
        return rules.AmendExperiment(
            experiment_id=experiment_id(input.experiment_id),
            hypothesis=input.hypothesis,
            pilot_site=input.pilot_site,
            starts_on=input.starts_on,
            ends_on=input.ends_on,
            reason=input.reason,
        )

    return await mutate(info, input, AmendExperimentPayload, build, answer_with_experiment(info))


async def add_metric(info: Info[Context, None], input: AddMetricInput) -> Any:
    def build(now: datetime) -> rules.AddMetric:
        return rules.AddMetric(
            experiment_id=experiment_id(input.experiment_id), metric=input.metric.to_domain()
        )

    return await mutate(info, input, AddMetricPayload, build, answer_with_experiment(info))


def answer_with_experiment(
    info: Info[Context, None],
) -> Callable[[rules.AmendExperiment | rules.AddMetric], Awaitable[Answer]]:
    """The payload of a change to a pilot: the experiment as it stands now."""

    async def answer(command: rules.AmendExperiment | rules.AddMetric) -> Answer:
        return {"experiment": await read_experiment(info, command.experiment_id)}

    return answer


async def conclude_experiment(info: Info[Context, None], input: ConcludeExperimentInput) -> Any:
    def build(now: datetime) -> rules.ConcludeExperiment:
        return rules.ConcludeExperiment(
            experiment_id=experiment_id(input.experiment_id),
            outcome=input.outcome,
            decision=input.decision,
            note=not_blank(input.note),
        )

    async def answer(command: rules.ConcludeExperiment) -> Answer:
        experiment = await read_experiment(info, command.experiment_id)
        idea = await read_idea(info, experiment.idea_id) if experiment else None
        return {"experiment": experiment, "idea": idea}

    return await mutate(info, input, ConcludeExperimentPayload, build, answer)


async def override_validation(info: Info[Context, None], input: OverrideValidationInput) -> Any:
    def build(now: datetime) -> idea_rules.OverrideValidation:
        return idea_rules.OverrideValidation(idea_id=idea_id(input.idea_id), reason=input.reason)

    return await mutate(info, input, OverrideValidationPayload, build, answer_with_idea(info))


@strawberry.type
class ExperimentMutations:
    """Pilots: start, measure, conclude; or validate without one."""

    start_experiment = command(
        start_experiment,
        StartExperimentPayload,
        LEADS,
        "Start a pilot on a screened idea, with its metrics.",
    )
    record_measurement = command(
        record_measurement,
        RecordMeasurementPayload,
        LEADS,
        "Record a measurement of one of an experiment's metrics.",
    )
    correct_measurement = command(
        correct_measurement,
        CorrectMeasurementPayload,
        LEADS,
        "Correct a wrong measurement, with a reason; the history keeps both.",
    )
    amend_experiment = command(
        amend_experiment,
        AmendExperimentPayload,
        LEADS,
        "Change a running pilot's hypothesis, site or dates, saying why.",
    )
    add_metric = command(
        add_metric,
        AddMetricPayload,
        LEADS,
        "Add a metric to a running pilot before its first measurement.",
    )
    conclude_experiment = command(
        conclude_experiment,
        ConcludeExperimentPayload,
        LEADS,
        "Conclude a pilot and decide: SCALE (validates the idea), ITERATE or STOP.",
    )
    override_validation = command(
        override_validation,
        OverrideValidationPayload,
        LEADS,
        "Validate an idea without an experiment, with a written reason.",
    )
