"""Handlers of the experiment's commands; starting and concluding also decide on the idea."""

from __future__ import annotations

from innovation.domain import EXPERIMENT, IDEA
from innovation.domain import experiments as rules
from innovation.domain.experiments import (
    AddMetric,
    AmendExperiment,
    ConcludeExperiment,
    CorrectMeasurement,
    RecordMeasurement,
    StartExperiment,
)
from innovation.domain.ideas import ApplyConclusion, BeginExperiment
from innovation.services.unit_of_work import Handler, UnitOfWork


def start_experiment(uow: UnitOfWork, command: StartExperiment, expected: int | None) -> None:
    """The idea must be ready for it (and is moved to EXPERIMENTING); then the pilot starts."""
    begin = BeginExperiment(idea_id=command.idea_id, experiment_id=command.experiment_id)
    uow.decide(IDEA, command.idea_id, begin)
    uow.decide(EXPERIMENT, command.experiment_id, command, expected)


def record_measurement(uow: UnitOfWork, command: RecordMeasurement, expected: int | None) -> None:
    uow.decide(EXPERIMENT, command.experiment_id, command, expected)


def decide_on_experiment(
    uow: UnitOfWork,
    command: CorrectMeasurement | AmendExperiment | AddMetric,
    expected: int | None,
) -> None:
    """Commands that concern the experiment alone."""
    uow.decide(EXPERIMENT, command.experiment_id, command, expected)


def conclude_experiment(uow: UnitOfWork, command: ConcludeExperiment, expected: int | None) -> None:
    """Conclude the pilot, then carry its decision to the idea: scale, iterate or stop."""
    concluded = uow.decide(EXPERIMENT, command.experiment_id, command, expected)
    if not concluded:
        return
    experiment = uow.load(EXPERIMENT, command.experiment_id).state
    apply = ApplyConclusion(
        idea_id=experiment.idea_id,
        experiment_id=command.experiment_id,
        outcome=command.outcome,
        decision=command.decision,
        targets_met=rules.targets_met(experiment),
        note=command.note,
    )
    uow.decide(IDEA, experiment.idea_id, apply)


HANDLERS: dict[type, Handler] = {
    StartExperiment: start_experiment,
    RecordMeasurement: record_measurement,
    CorrectMeasurement: decide_on_experiment,
    AmendExperiment: decide_on_experiment,
    AddMetric: decide_on_experiment,
    ConcludeExperiment: conclude_experiment,
}
