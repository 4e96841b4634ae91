"""Queries that waited together start one a turn of the event loop, in the order they came.

A query whose answer follows the log waits for the log's position, and the requests that
arrived meanwhile share one lookup (``Positions`` in ``answers.py``). When it answers, every
one of them is ready to run at once, and the event loop runs them all before it reads a
socket again: on SQLite a page of 100 ideas is about 5 ms in one step, so 16 of them held the
loop for some 80 ms, and the requests that came in meanwhile were read only afterwards, all
together, to be run in whatever order their own lookup woke them. A connection answered early
in one such wave could be answered late in the next: at 16 connections most pages took one
round of the others' work and some half a round more, and a few several.

``Turns`` starts them one a turn instead: the first at once, the next in the following turn
of the loop, which reads its sockets in between, so every request joins the queue when it
arrives and starts in that order. Nothing is held while a query runs: one that waits for a
reader thread lets the next start in the following turn. A query that did not wait (one that
follows nothing but its document, such as ``{ __typename }``) runs straight on.

On SQLite, the page of 100 ideas at 16 connections on the bench's data set, eight pairs of
runs in turn in one service: p99 122 ms at the median against 164 (lower in seven pairs of
eight), the slowest page 177 ms against 314, 182 pages a second against 171. On PostgreSQL a
query waits for the database several times and the others' work fills those waits; spaced
out, they filled fewer (125 pages a second against 142, p99 higher in four pairs of five), so
it takes no turns there (``Database.glances_in_one_step``).
"""

from __future__ import annotations

import asyncio
from collections import deque


class Turns:
    """Starts in order of ``take``, one a turn of the running event loop."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._waiting: deque[asyncio.Future[None]] = deque()
        self._started = False
        """Whether a start was given in this turn of the loop (the next goes to a later one)."""

    async def take(self) -> None:
        """Return when it is this caller's turn to start: at once when nobody else started in
        this turn of the loop or is waiting, else after everyone who asked before."""
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # a new loop (tests open one each): nothing carries over
            self._loop, self._waiting, self._started = loop, deque(), False
        if not self._started and not self._waiting:
            self._start(loop)
            return
        turn = loop.create_future()
        self._waiting.append(turn)
        await turn  # cancelled (the client left): ``_next`` passes over it

    def _start(self, loop: asyncio.AbstractEventLoop) -> None:
        self._started = True
        loop.call_soon(self._next, loop)  # runs in the next turn, after the one started now

    def _next(self, loop: asyncio.AbstractEventLoop) -> None:
        if loop is not self._loop:
            return  # left from a loop no longer in use
        self._started = False
        while self._waiting:
            turn = self._waiting.popleft()
            if not turn.done():
                turn.set_result(None)
                self._start(loop)
                return

    def __len__(self) -> int:
        """How many wait for their turn."""
        return sum(not turn.done() for turn in self._waiting)
