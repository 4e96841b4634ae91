"""Reads by key that requests share (``Gathered``): one statement answers every key asked while
the one before ran, and never a key asked after it started."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Any

import pytest

from innovation.store.gathered import Gathered


class GatedDatabase:
    """Each read sees the values as they were when it started (as a statement sees what had
    committed when it began), then waits until the test opens its gate."""

    glances_in_one_step = False

    def __init__(self) -> None:
        self.values: dict[str, int] = {}
        self.gates: list[asyncio.Event] = []
        self.asked: list[list[str]] = []
        self.fail: Exception | None = None

    async def glance(self, job: Callable[[Mapping[str, int]], Any]) -> Any:
        seen = dict(self.values)
        gate = asyncio.Event()
        self.gates.append(gate)
        await gate.wait()
        if self.fail is not None:
            raise self.fail
        return job(seen)


def found(seen: Mapping[str, int], keys: list[str]) -> dict[str, int]:
    """What a statement for ``keys`` finds: the keys it was given that exist."""
    assert len(keys) == len(set(keys)), "a key is read once a statement"
    return {key: seen[key] for key in keys if key in seen}


def reading(most: int = 64) -> tuple[Gathered[str, int], GatedDatabase, list[list[str]]]:
    database = GatedDatabase()
    asked: list[list[str]] = []

    def fetch(seen: Mapping[str, int], keys: list[str]) -> dict[str, int]:
        asked.append(list(keys))
        return found(seen, keys)

    return Gathered(database, fetch, most=most), database, asked  # type: ignore[arg-type]


async def settle_down() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def opened(database: GatedDatabase, n: int) -> None:
    """Open the ``n``-th read's gate (from 1) once it has started."""
    await settle_down()
    assert len(database.gates) >= n, f"read {n} never started"
    database.gates[n - 1].set()
    await settle_down()


async def test_keys_asked_together_are_read_by_one_statement() -> None:
    gathered, database, asked = reading()
    database.values = {"a": 1, "b": 2, "c": 3}
    waiting = [asyncio.create_task(gathered.get(key)) for key in ("a", "b", "a", "c", "zz")]
    await opened(database, 1)
    assert await asyncio.gather(*waiting) == [1, 2, 1, 3, None]
    assert asked == [["a", "b", "c", "zz"]]
    assert gathered.reads == 1


async def test_a_key_asked_during_a_read_waits_for_the_next_one() -> None:
    gathered, database, asked = reading()
    database.values = {"a": 1}
    first = asyncio.create_task(gathered.get("a"))
    await settle_down()
    database.values = {"a": 2, "b": 5}  # a write acknowledged while the first read is under way
    second = asyncio.create_task(gathered.get("a"))
    third = asyncio.create_task(gathered.get("b"))
    await opened(database, 1)
    assert await first == 1
    assert not second.done(), "the read that started before it was asked cannot answer it"
    await opened(database, 2)
    assert (await second, await third) == (2, 5)
    assert asked == [["a"], ["a", "b"]]


async def test_under_load_each_read_answers_everyone_who_asked_while_the_one_before_ran() -> None:
    gathered, database, asked = reading()
    database.values = {str(n): n for n in range(40)}
    answers = [asyncio.create_task(gathered.get("0"))]
    for n in range(1, 4):  # ten callers arrive while each read runs
        await settle_down()
        answers += [
            asyncio.create_task(gathered.get(str(k))) for k in range(10 * n - 9, 10 * n + 1)
        ]
        database.gates[n - 1].set()
    await opened(database, 4)
    assert await asyncio.gather(*answers) == list(range(31))
    assert [len(keys) for keys in asked] == [1, 10, 10, 10]


async def test_no_statement_reads_more_than_the_most_keys() -> None:
    gathered, database, asked = reading(most=2)
    database.values = {key: n for n, key in enumerate("abcde")}
    waiting = [asyncio.create_task(gathered.get(key)) for key in "abcde"]
    for n in (1, 2, 3):
        await opened(database, n)
    assert await asyncio.gather(*waiting) == [0, 1, 2, 3, 4]
    assert asked == [["a", "b"], ["c", "d"], ["e"]]


async def test_a_failed_read_fails_each_of_its_callers_and_the_next_read_serves() -> None:
    gathered, database, _ = reading()
    database.values = {"a": 1, "b": 2}
    failing = [asyncio.create_task(gathered.get(key)) for key in "ab"]
    await settle_down()
    database.fail = RuntimeError("the server went away")
    await opened(database, 1)
    for task in failing:
        with pytest.raises(RuntimeError, match="went away"):
            await task
    database.fail = None
    later = asyncio.create_task(gathered.get("b"))
    await opened(database, 2)
    assert await later == 2


async def test_a_caller_that_leaves_does_not_take_the_others_answer_with_it() -> None:
    gathered, database, _ = reading()
    database.values = {"a": 1}
    leaving = asyncio.create_task(gathered.get("a"))
    staying = asyncio.create_task(gathered.get("a"))
    await settle_down()
    leaving.cancel()
    await opened(database, 1)
    assert await staying == 1
    assert leaving.cancelled()


async def test_where_a_read_runs_in_one_step_each_key_is_read_at_once_on_its_own() -> None:
    class OneStep:
        glances_in_one_step = True

        async def glance(self, job: Callable[[Mapping[str, int]], Any]) -> Any:
            return job({"a": 1, "b": 2})

    asked: list[list[str]] = []

    def fetch(seen: Mapping[str, int], keys: list[str]) -> dict[str, int]:
        asked.append(keys)
        return found(seen, keys)

    gathered: Gathered[str, int] = Gathered(OneStep(), fetch)  # type: ignore[arg-type]
    assert await asyncio.gather(gathered.get("a"), gathered.get("b")) == [1, 2]
    assert asked == [["a"], ["b"]]
