"""Requests share look-ups of the log's end, and never one that started before they arrived."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from innovation.api.answers import Positions


class GatedRecorder:
    """A log's end that tests move, read by ``settle`` as SQLite's recorder reads it."""

    def __init__(self) -> None:
        self.end = 0

    def settle(self, connection: object, after: int) -> tuple[int, int | None]:
        return max(after, self.end), None


class GatedDatabase:
    """Each read waits until the test opens its gate, so look-ups overlap requests at will."""

    def __init__(self) -> None:
        self.gates: list[asyncio.Event] = []
        self.fail: Exception | None = None

    async def read(self, job: Callable[[object], Any]) -> Any:
        gate = asyncio.Event()
        self.gates.append(gate)
        await gate.wait()
        if self.fail is not None:
            raise self.fail
        return job(None)

    glance = read  # the look-ups glance at the log's end: gated the same way


class GatedLog:
    def __init__(self) -> None:
        self.recorder = GatedRecorder()
        self.database = GatedDatabase()


async def settle_down() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


def positions() -> tuple[Positions, GatedLog]:
    log = GatedLog()
    return Positions(log), log  # type: ignore[arg-type]


async def test_requests_arriving_together_share_one_lookup() -> None:
    answers, log = positions()
    log.recorder.end = 7
    waiting = [asyncio.create_task(answers.current()) for _ in range(16)]
    await settle_down()
    assert len(log.database.gates) == 1
    log.database.gates[0].set()
    assert await asyncio.gather(*waiting) == [7] * 16
    assert answers.lookups == 1


async def test_a_request_arriving_during_a_lookup_waits_for_the_next_one() -> None:
    answers, log = positions()
    log.recorder.end = 3
    first = asyncio.create_task(answers.current())
    await settle_down()
    log.recorder.end = 4  # a write acknowledged while the first lookup is under way
    second = asyncio.create_task(answers.current())
    await settle_down()
    log.database.gates[0].set()
    assert await first in (3, 4)
    await settle_down()
    assert len(log.database.gates) == 2, "the second request needs a lookup of its own"
    assert not second.done()
    log.database.gates[1].set()
    assert await second == 4
    assert answers.lookups == 2


async def test_a_failed_lookup_fails_its_waiters_and_the_next_request_looks_again() -> None:
    answers, log = positions()
    log.database.fail = ConnectionError("database gone")
    waiting = [asyncio.create_task(answers.current()) for _ in range(3)]
    await settle_down()
    log.database.gates[0].set()
    for outcome in await asyncio.gather(*waiting, return_exceptions=True):
        assert isinstance(outcome, ConnectionError)
    log.database.fail = None
    log.recorder.end = 9
    again = asyncio.create_task(answers.current())
    await settle_down()
    log.database.gates[1].set()
    assert await again == 9


async def test_a_request_given_up_does_not_cancel_the_others_answer() -> None:
    answers, log = positions()
    log.recorder.end = 5
    leaving = asyncio.create_task(answers.current())
    staying = asyncio.create_task(answers.current())
    await settle_down()
    leaving.cancel()
    with pytest.raises(asyncio.CancelledError):
        await leaving
    log.database.gates[0].set()
    assert await staying == 5
