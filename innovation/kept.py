"""A bounded memory of values by key, for what a process keeps of answers that never change
(a published release's digest, the pipeline's figures at a settled log position)."""

from __future__ import annotations

from collections import OrderedDict
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class Kept(Generic[K, V]):
    """At most ``size`` values by key, the least recently used first out."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._values: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        value = self._values.get(key)
        if value is not None:
            self._values.move_to_end(key)
        return value

    def keep(self, key: K, value: V) -> None:
        self._values[key] = value
        while len(self._values) > self.size:
            self._values.popitem(last=False)
