"""``Kept``: a bounded memory of values, and ``obtain``, which makes a missing value once for all
who ask while it is being made."""

from __future__ import annotations

import asyncio

import pytest

from innovation.kept import Kept


def test_the_least_recently_used_value_goes_first():
    kept: Kept[str, int] = Kept(2)
    kept.keep("a", 1)
    kept.keep("b", 2)
    assert kept.get("a") == 1  # "b" is now the least recently used
    kept.keep("c", 3)

    assert kept.get("b") is None
    assert (kept.get("a"), kept.get("c")) == (1, 3)


def test_a_value_kept_again_is_the_most_recently_used():
    kept: Kept[str, int] = Kept(2)
    kept.keep("a", 1)
    kept.keep("b", 2)
    kept.keep("a", 1)  # a second request made the same answer: "b" is now the oldest
    kept.keep("c", 3)

    assert kept.get("b") is None
    assert (kept.get("a"), kept.get("c")) == (1, 3)


def test_a_value_too_heavy_to_keep_leaves_nothing_for_its_key():
    kept: Kept[str, bytes] = Kept(10, weigh=len, largest=4)
    kept.keep("a", b"abc")
    kept.keep("b", b"de")
    kept.keep("a", b"abcdef")

    assert kept.get("a") is None
    assert (kept.get("b"), kept.size, len(kept)) == (b"de", 2, 1)


async def test_a_value_asked_for_by_several_at_once_is_made_once_and_kept():
    kept: Kept[str, str] = Kept(4)
    made: list[str] = []
    release = asyncio.Event()

    async def make() -> str:
        made.append("page")
        await release.wait()
        return "page"

    waiting = [asyncio.ensure_future(kept.obtain("2026-H1", make)) for _ in range(3)]
    await asyncio.sleep(0)
    release.set()

    assert await asyncio.gather(*waiting) == ["page"] * 3
    assert made == ["page"]
    assert kept.get("2026-H1") == "page"
    assert await kept.obtain("2026-H1", make) == "page"
    assert made == ["page"], "a kept value is not made again"


async def test_a_failure_reaches_everyone_waiting_and_nothing_is_kept():
    kept: Kept[str, str] = Kept(4)
    release = asyncio.Event()
    attempts: list[int] = []

    async def failing() -> str:
        attempts.append(1)
        await release.wait()
        raise RuntimeError("the bundle could not be read")

    waiting = [asyncio.ensure_future(kept.obtain("2026-H1", failing)) for _ in range(2)]
    await asyncio.sleep(0)
    release.set()
    outcomes = await asyncio.gather(*waiting, return_exceptions=True)

    assert [str(outcome) for outcome in outcomes] == ["the bundle could not be read"] * 2
    assert attempts == [1]
    assert kept.get("2026-H1") is None

    async def working() -> str:
        return "page"

    assert await kept.obtain("2026-H1", working) == "page", "the next ask makes it again"


async def test_nothing_is_kept_for_none():
    kept: Kept[str, str] = Kept(4)
    asked: list[int] = []

    async def missing() -> str | None:
        asked.append(1)
        return None

    assert await kept.obtain("2030-H1", missing) is None
    assert await kept.obtain("2030-H1", missing) is None
    assert asked == [1, 1]


async def test_a_caller_cancelled_while_waiting_leaves_the_value_to_the_others():
    kept: Kept[str, str] = Kept(4)
    release = asyncio.Event()

    async def make() -> str:
        await release.wait()
        return "page"

    gone = asyncio.ensure_future(kept.obtain("2026-H1", make))
    staying = asyncio.ensure_future(kept.obtain("2026-H1", make))
    await asyncio.sleep(0)
    gone.cancel()
    release.set()

    assert await staying == "page"
    with pytest.raises(asyncio.CancelledError):
        await gone
    assert kept.get("2026-H1") == "page"
