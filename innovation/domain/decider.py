"""The shape every aggregate shares, so runners (in memory, event-sourced) handle them alike."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

C = TypeVar("C")
E = TypeVar("E")
S = TypeVar("S")


def fold(evolve: Callable[[S, E], S], events: Iterable[E], state: S) -> S:
    """Replay ``events`` onto ``state``, oldest first."""
    for event in events:
        state = evolve(state, event)
    return state


@dataclass(frozen=True, slots=True)
class Decider(Generic[C, E, S]):
    """An aggregate's three functions: where it starts, what it decides, how events change it."""

    initial_state: Callable[[], S]
    decide: Callable[[C, S], list[E]]
    evolve: Callable[[S, E], S]

    def fold(self, events: Iterable[E], state: S | None = None) -> S:
        return fold(self.evolve, events, self.initial_state() if state is None else state)

    def run(self, command: C, past: Iterable[E]) -> list[E]:
        """Decide ``command`` against the state the ``past`` events built."""
        return self.decide(command, self.fold(past))
