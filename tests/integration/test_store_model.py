"""A Hypothesis state machine drives the log on the command path and a tiny model side by side."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from innovation.store import ANY, NO_STREAM, AppendResult, ConcurrencyError, NewEvent
from tests.helpers import collect, on_loop
from tests.integration.command_path import CommandPath
from tests.integration.store_events import Noted, new

STREAMS = ("alpha", "beta", "gamma")
EXPECTATIONS = ("exact", "stale", "ahead", "any", "no_stream")


class StoreAgreesWithModel(RuleBasedStateMachine):
    """The model: each stream is a list of event ids; the log is their order of acceptance."""

    def __init__(self, store: CommandPath, run: Callable[[Any], Any]) -> None:
        super().__init__()
        self.store = store
        self.run = run
        self.prefix = uuid.uuid4().hex[:8]
        self.streams: dict[str, list[uuid.UUID]] = {name: [] for name in STREAMS}
        self.log: list[uuid.UUID] = []
        self.accepted: list[tuple[str, list[NewEvent], int, AppendResult]] = []
        self.start = run(store.last_position())

    def stream_id(self, name: str) -> str:
        return f"{self.prefix}-{name}"

    @rule(
        name=st.sampled_from(STREAMS),
        size=st.integers(1, 4),
        expectation=st.sampled_from(EXPECTATIONS),
    )
    def append(self, name: str, size: int, expectation: str) -> None:
        current = len(self.streams[name])
        expected = {
            "exact": current if current else NO_STREAM,
            "stale": current - 1,
            "ahead": current + 1,
            "any": ANY,
            "no_stream": NO_STREAM,
        }[expectation]
        if expected < 0 and expected not in (ANY, NO_STREAM):
            expected = NO_STREAM  # "stale" on an empty stream: nothing older to expect
        events = [new(Noted(text=f"{name}-{current + i}")) for i in range(size)]
        accepted = expected == ANY or (0 if expected == NO_STREAM else expected) == current

        if accepted:
            result = self.run(self.store.append(self.stream_id(name), events, expected))
            assert result.version == current + size
            assert result.written
            self.streams[name].extend(event.event_id for event in events)
            self.log.extend(event.event_id for event in events)
            self.accepted.append((name, events, expected, result))
        else:
            with pytest.raises(ConcurrencyError) as refused:
                self.run(self.store.append(self.stream_id(name), events, expected))
            assert refused.value.actual == current

    @precondition(lambda self: self.accepted)
    @rule(data=st.data())
    def repeat_an_accepted_append(self, data: st.DataObject) -> None:
        name, events, expected, original = data.draw(st.sampled_from(self.accepted))

        again = self.run(self.store.append(self.stream_id(name), events, expected))

        assert (again.version, again.positions) == (original.version, original.positions)
        assert not again.written

    @rule(name=st.sampled_from(STREAMS), start=st.integers(1, 8))
    def read_stream_from_a_version(self, name: str, start: int) -> None:
        read = self.run(self.store.read_stream(self.stream_id(name), from_version=start))

        assert [event.event_id for event in read] == self.streams[name][start - 1 :]
        assert [event.version for event in read] == list(range(start, len(self.streams[name]) + 1))

    @rule()
    def read_all_after_the_start(self) -> None:
        read = self.run(collect(self.store.read_all(self.start, page_size=3)))

        assert [event.event_id for event in read] == self.log
        assert [event.position for event in read] == sorted({e.position for e in read})

    @invariant()
    def every_stream_is_at_its_model_version(self) -> None:
        for name in STREAMS:
            version = self.run(self.store.stream_version(self.stream_id(name)))
            assert version == len(self.streams[name])


async def test_the_store_agrees_with_an_in_memory_model(store: CommandPath):
    run = on_loop(asyncio.get_running_loop())

    await asyncio.to_thread(
        run_state_machine_as_test,
        lambda: StoreAgreesWithModel(store, run),
        settings=settings(max_examples=25, stateful_step_count=25, deadline=None),
    )
