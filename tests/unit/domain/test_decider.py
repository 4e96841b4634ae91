"""Each aggregate is a decider: the same three functions any runner can drive."""

from __future__ import annotations

from innovation.domain import (
    ExperimentStarted,
    IdeaSubmitted,
    RejectIdea,
    Stage,
    experiments,
    ideas,
)
from tests.unit.domain.examples import IDEA, on_target, screening, started


def test_running_a_command_decides_against_the_replayed_past() -> None:
    events = ideas.decider.run(RejectIdea(idea_id=IDEA, reason="Too costly."), screening())

    assert events == ideas.decide(
        RejectIdea(idea_id=IDEA, reason="Too costly."), ideas.fold(screening())
    )


def test_folding_from_a_state_continues_where_it_stopped() -> None:
    history = screening()
    halfway = ideas.fold(history[:1])

    assert ideas.fold(history[1:], halfway) == ideas.fold(history)
    assert ideas.decider.fold(history).stage is Stage.SCREENING


def test_an_aggregate_ignores_the_events_of_another() -> None:
    idea = ideas.fold(screening())
    experiment = experiments.fold(on_target())

    assert ideas.evolve(idea, started()) is idea
    assert experiments.evolve(experiment, screening()[0]) is experiment
    assert isinstance(screening()[0], IdeaSubmitted)
    assert isinstance(on_target()[0], ExperimentStarted)


def test_a_fresh_aggregate_starts_empty_at_version_zero() -> None:
    assert ideas.initial_state().version == 0
    assert not ideas.initial_state().exists
    assert experiments.initial_state().version == 0
    assert not experiments.initial_state().exists
