"""Given past events, when a command is decided, then these new events appear or this error is
raised. The aggregate is the one the command belongs to."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, get_args

import pytest

from innovation.domain import (
    Decider,
    DomainError,
    ErrorCode,
    Event,
    ExperimentCommand,
    IdeaCommand,
    InvalidInputError,
    experiments,
    ideas,
)

DECIDERS: dict[type, Decider[Any, Any, Any]] = {
    **{command: ideas.decider for command in get_args(IdeaCommand)},
    **{command: experiments.decider for command in get_args(ExperimentCommand)},
}


def given(*histories: Event | list[Event]) -> Given:
    """Past events of one stream; lists (ready-made histories) are spliced in."""
    events: list[Event] = []
    for item in histories:
        events.extend(item if isinstance(item, list) else [item])
    return Given(tuple(events))


@dataclass(frozen=True)
class Given:
    past: tuple[Event, ...]

    def when(self, command: Any) -> When:
        return When(self.past, command)


@dataclass(frozen=True)
class When:
    past: tuple[Event, ...]
    command: Any

    def then(self, expected: list[Event] | type[DomainError], **attributes: Any) -> Any:
        """Expect these events (returning the state they lead to) or this error (returning it)."""
        decider = DECIDERS[type(self.command)]
        state = decider.fold(self.past)
        if isinstance(expected, list):
            produced = decider.decide(self.command, state)
            assert produced == expected
            after = decider.fold(produced, state)
            assert after.version == state.version + len(produced)
            return after
        with pytest.raises(expected) as caught:
            decider.decide(self.command, state)
        error = caught.value
        assert error.code in set(ErrorCode)
        assert_describes(error, self.command, state)
        for name, value in attributes.items():
            assert getattr(error, name) == value, f"{name}: {getattr(error, name)!r} != {value!r}"
        return error


STATE_ATTRIBUTES = {
    "stage": "stage",
    "from_stage": "stage",
    "running": "running_experiment",
    "release_id": "release_id",
}
"""Attributes of a refusal that report where the aggregate stood, and the state field they copy."""


def assert_describes(error: DomainError, command: Any, state: Any) -> None:
    """A refusal has a message, names the field it blames, and reports the ids it was about and
    where the aggregate stood, as the command and the state say."""
    assert isinstance(error.message, str)
    assert error.message
    assert str(error) == error.message
    if isinstance(error, InvalidInputError):
        assert error.field
        assert error.field in error.message
    for name in ("idea_id", "experiment_id"):
        if hasattr(error, name) and hasattr(command, name):
            assert getattr(error, name) == getattr(command, name), name
    for name, field in STATE_ATTRIBUTES.items():
        if hasattr(error, name):
            assert getattr(error, name) == getattr(state, field), name
    if hasattr(error, "status"):
        assert error.status == ideas.ethics_status(state)
