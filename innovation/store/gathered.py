"""Reads by key that concurrent requests share, as writers share a commit.

A short read by key (``idea(id)`` with what it nests, the pipeline's counts) is one statement,
and on PostgreSQL each statement is a round trip that costs the server a wake-up and the
service its statement's fixed cost, whatever the keys. ``Gathered`` lets requests share them:
a key asked for waits for the next read that *starts* after it was asked, so it sees every
write acknowledged before (in any process), as its own read would; under load one statement
answers every key asked while the one before ran, instead of one statement a request.

A statement that fails fails every request it answers, as each would have failed alone: the
keys are checked before they are asked for (an idea's id is a UUID), so that no one request's
key can make the statement fail for the others.

Where a read runs in one step of the event loop (SQLite, ``Database.glances_in_one_step``),
nothing can be asked while it runs, and each key is read at once on its own.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable, Hashable, Mapping
from functools import partial
from typing import Any, Generic, TypeVar

from sqlalchemy.engine import Connection

from innovation.store.database import Database

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

MOST_KEYS = 64
"""The most keys one statement reads; more wait for the next."""

Fetch = Callable[[Connection, list[K]], Mapping[K, V]]


class Gathered(Generic[K, V]):
    """Reads of ``fetch`` (keys to what is found of them) that requests asking at once share."""

    def __init__(self, database: Database, fetch: Fetch[K, V], most: int = MOST_KEYS) -> None:
        self.database = database
        self.fetch = fetch
        self.most = most
        self._next: dict[K, asyncio.Future[V | None]] = {}
        """The keys asked since the read in flight started, each with the answer it waits for."""
        self._runner: asyncio.Task[None] | None = None
        self.reads = 0
        """Statements run, for tests to see how many requests shared one."""

    async def get(self, key: K) -> V | None:
        """What ``fetch`` finds of ``key``, or None, read by a statement started after now."""
        if self.database.glances_in_one_step:
            self.reads += 1
            return (await self.database.glance(partial(self._fetch, keys=[key]))).get(key)
        loop = asyncio.get_running_loop()
        if self._runner is not None and self._runner.get_loop() is not loop:
            self._next, self._runner = {}, None  # left from a loop no longer in use (tests)
        waited = self._next.get(key)
        if waited is None:
            waited = self._next[key] = loop.create_future()
        if self._runner is None:
            self._runner = loop.create_task(self._run())
        # Shielded: one caller giving up (a client gone) must not cancel the others' answer.
        return await asyncio.shield(waited)

    def _fetch(self, connection: Connection, keys: list[K]) -> Mapping[K, V]:
        return self.fetch(connection, keys)

    async def _run(self) -> None:
        answering: dict[K, asyncio.Future[V | None]] = {}
        try:
            while self._next:
                asked = self._next
                keys = list(asked)[: self.most]
                answering = {key: asked.pop(key) for key in keys}  # later keys wait for the next
                self.reads += 1
                try:
                    found = await self.database.glance(partial(self._fetch, keys=keys))
                except Exception as error:  # every waiter fails as its own read would have
                    for future in answering.values():
                        future.set_exception(error)
                        future.exception()  # retrieved: a waiter that left would not
                else:
                    for key, future in answering.items():
                        future.set_result(found.get(key))
        except BaseException:  # cancelled (the loop is closing): nobody is left to answer
            for future in (*answering.values(), *self._next.values()):
                future.cancel()
            self._next = {}
            raise
        finally:
            self._runner = None


_gathered: weakref.WeakKeyDictionary[Database, dict[Hashable, Gathered[Any, Any]]] = (
    weakref.WeakKeyDictionary()
)


def gathered(database: Database, name: Hashable, fetch: Fetch[K, V]) -> Gathered[K, V]:
    """The process's ``Gathered`` for ``fetch`` on ``database``, made when first asked for."""
    made = _gathered.setdefault(database, {})
    found = made.get(name)
    if found is None:
        found = made[name] = Gathered(database, fetch)
    return found
