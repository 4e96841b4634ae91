"""Queries that waited together start one a turn of the event loop, in the order they came."""

from __future__ import annotations

import asyncio

import pytest

from innovation.api.turns import Turns


class Ticks:
    """Counts the turns of the running loop: a callback that schedules itself again runs
    once a turn (what ``call_soon`` adds while a turn runs waits for the next one)."""

    def __init__(self) -> None:
        self.count = 0
        self._running = True
        asyncio.get_running_loop().call_soon(self._tick)

    def _tick(self) -> None:
        if self._running:
            self.count += 1
            asyncio.get_running_loop().call_soon(self._tick)

    def stop(self) -> None:
        self._running = False


def test_the_first_to_ask_in_a_turn_starts_without_waiting():
    async def scenario() -> bool:
        turns = Turns()
        waited = asyncio.get_running_loop().create_future()
        asyncio.get_running_loop().call_soon(waited.set_result, True)
        await turns.take()
        return waited.done()

    assert asyncio.run(scenario()) is False


def test_those_who_ask_together_start_in_their_order_one_a_turn():
    async def scenario() -> list[tuple[int, int]]:
        turns = Turns()
        ticks = Ticks()
        started: list[tuple[int, int]] = []

        async def query(number: int) -> None:
            await turns.take()
            started.append((number, ticks.count))

        await asyncio.wait_for(asyncio.gather(*(query(number) for number in range(6))), 5)
        ticks.stop()
        return started

    started = asyncio.run(scenario())

    assert [number for number, _ in started] == list(range(6))
    turns_taken = [tick for _, tick in started]
    assert turns_taken == sorted(set(turns_taken))  # each in a later turn than the one before


def test_one_who_asks_while_others_wait_starts_after_them():
    async def scenario() -> list[str]:
        turns = Turns()
        started: list[str] = []

        async def query(name: str) -> None:
            await turns.take()
            started.append(name)

        first = [asyncio.create_task(query(name)) for name in ("a", "b", "c")]
        await asyncio.sleep(0)  # a starts; b and c wait
        late = asyncio.create_task(query("late"))
        await asyncio.wait_for(asyncio.gather(*first, late), 5)
        return started

    assert asyncio.run(scenario()) == ["a", "b", "c", "late"]


def test_a_caller_that_leaves_while_waiting_does_not_hold_up_the_next():
    async def scenario() -> tuple[list[str], int]:
        turns = Turns()
        started: list[str] = []

        async def query(name: str) -> None:
            await turns.take()
            started.append(name)

        tasks = {name: asyncio.create_task(query(name)) for name in ("a", "gone", "c")}
        await asyncio.sleep(0)  # a starts; the others wait
        tasks["gone"].cancel()
        await asyncio.wait_for(asyncio.gather(tasks["a"], tasks["c"]), 5)
        with pytest.raises(asyncio.CancelledError):
            await tasks["gone"]
        return started, len(turns)

    started, waiting = asyncio.run(scenario())

    assert started == ["a", "c"]
    assert waiting == 0


def test_a_loop_closed_with_callers_waiting_leaves_nothing_to_the_next_loop():
    turns = Turns()

    async def left_waiting() -> None:
        for _ in range(3):
            asyncio.get_running_loop().create_task(turns.take())
        await asyncio.sleep(0)  # one started, two waiting, then the loop goes away

    asyncio.run(left_waiting())

    async def next_loop() -> None:
        await asyncio.wait_for(asyncio.gather(turns.take(), turns.take(), turns.take()), 5)

    asyncio.run(next_loop())  # would wait forever for turns the old loop owed
