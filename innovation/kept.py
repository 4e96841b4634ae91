"""A bounded memory of values by key, for what a process keeps of answers that never change
(a published release's digest, the pipeline's figures at a settled log position, a GraphQL
answer by its ``ETag`` and its compressed copy)."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


def _one(_value: object) -> int:
    return 1


class Kept(Generic[K, V]):
    """Values by key within ``budget``, the least recently used first out. Each value weighs 1
    (at most ``budget`` values) unless ``weigh`` says otherwise (bytes, for GraphQL answers);
    one heavier than ``largest`` is not kept, so that one value cannot empty the rest."""

    def __init__(
        self, budget: int, *, weigh: Callable[[V], int] = _one, largest: int | None = None
    ) -> None:
        self.budget = budget
        self.largest = budget if largest is None else largest
        self.size = 0
        """What the values kept weigh."""
        self._weigh = weigh
        self._values: OrderedDict[K, V] = OrderedDict()
        self._making: dict[K, asyncio.Future[V | None]] = {}

    def get(self, key: K) -> V | None:
        value = self._values.get(key)
        if value is not None:
            self._values.move_to_end(key)
        return value

    def keep(self, key: K, value: V) -> None:
        """Keep ``value`` for ``key``, in place of the one kept for it if any, as the most
        recently used; one too heavy to keep leaves nothing kept for ``key``."""
        before = self._values.pop(key, None)
        if before is not None:
            self.size -= self._weigh(before)
        weight = self._weigh(value)
        if weight > self.largest:
            return
        self._values[key] = value
        self.size += weight
        while self.size > self.budget:
            _, oldest = self._values.popitem(last=False)
            self.size -= self._weigh(oldest)

    def __len__(self) -> int:
        return len(self._values)

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
