"""Small tools for tests: driving async code from Hypothesis, which is synchronous."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def on_loop(loop: asyncio.AbstractEventLoop) -> Callable[[Coroutine[Any, Any, T]], T]:
    """From a worker thread, run coroutines on ``loop`` (where the fixtures live) and wait.

    A Hypothesis test body is synchronous; an async test runs it with ``asyncio.to_thread`` so
    the loop stays free to serve the coroutines this sends it.
    """

    def run(coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, loop).result(timeout=120)

    return run


async def collect(iterator: Any) -> list[Any]:
    return [item async for item in iterator]
