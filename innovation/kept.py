"""A bounded memory of values by key, for what a process keeps of answers that never change
(a published release's digest, the pipeline's figures at a settled log position)."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class Kept(Generic[K, V]):
    """At most ``size`` values by key, the least recently used first out."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._values: OrderedDict[K, V] = OrderedDict()
        self._making: dict[K, asyncio.Future[V | None]] = {}

    def get(self, key: K) -> V | None:
        value = self._values.get(key)
        if value is not None:
            self._values.move_to_end(key)
        return value

    def keep(self, key: K, value: V) -> None:
        self._values[key] = value
        while len(self._values) > self.size:
            self._values.popitem(last=False)

    async def obtain(self, key: K, make: Callable[[], Awaitable[V | None]]) -> V | None:
        """The value kept for ``key``, else what ``make()`` gives, kept unless None: made once
        for all who ask while it is being made (a page's first readers arriving together).
        A caller cancelled while it waits leaves the making to the others; a failure reaches
        every one of them and nothing is kept."""
        found = self.get(key)
        if found is not None:
            return found
        making = self._making.get(key)
        if making is None:
            making = asyncio.ensure_future(make())
            self._making[key] = making
            making.add_done_callback(lambda done: self._made(key, done))
        return await asyncio.shield(making)

    def _made(self, key: K, done: asyncio.Future[V | None]) -> None:
        del self._making[key]
        if not done.cancelled() and done.exception() is None:
            value = done.result()
            if value is not None:
                self.keep(key, value)
