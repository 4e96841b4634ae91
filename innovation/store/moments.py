"""The log's position at a moment, found without reading the log up to it.

A question "as of" a moment (``idea(asOf:)``, ``pipeline(asOf:)``) stands at the last position
recorded at or before it: ``max(position) WHERE recorded_at <= moment``. Neither of the log's
indexes answers that at once: walking positions down from the end passes every event recorded
after the moment, walking recording times up passes every event recorded before it (5 to 460 ms
on a million events, the further back the slower). Nor can the moment be bisected: recording
times follow positions nearly but not exactly (PostgreSQL's writers take their positions and
their clock readings in different orders, and a clock may step back), and the answer must be
exactly the statement's.

So ``Moments`` keeps the earliest recording time of each block of ``block`` positions below the
settled position, where nothing can commit any more: a kept block never changes. Every block
after the last one whose earliest time is at or before the moment holds only later events,
so the answer is in the positions after the kept blocks (the tail) or, when none of those was
recorded by then, in that block: one read of a short range of positions, newest first. Blocks
are summarised as questions first walk down to them, a run at a time: a question about last
week reads the last few blocks, one about two years ago, once, most of the log (40 and 230 ms
on SQLite for a million events, where the statement took 8 and 360 ms each time). A million
events keep a few hundred instants.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from innovation.store.tables import events

BLOCK = 4096
"""Positions a kept block spans: the most a question reads beyond the tail."""

RUN = 8
"""Blocks summarised at once, going down from the newest a question has not passed yet."""

_BLOCK_NUMBER = ((events.c.position - 1) // sa.bindparam("block", type_=sa.Integer)).label("block")
_EARLIEST = (
    sa.select(_BLOCK_NUMBER, sa.func.min(events.c.recorded_at))
    .where(events.c.position > sa.bindparam("after"))
    .where(events.c.position <= sa.bindparam("through"))
    .group_by(_BLOCK_NUMBER)
)
"""Each block's earliest recording time, for the blocks in ``(after, through]``: a block
without any event (PostgreSQL's sequence may skip positions) has no row."""


def last_recorded(connection: Connection, after: int, through: int | None, moment: datetime) -> int:
    """The last position in ``(after, through]`` (``through`` None: to the end) recorded at or
    before ``moment``, or 0: a short range, read newest first along the positions (the index on
    recording times would pass every event recorded before the moment)."""
    query = (
        sa.select(events.c.position)
        .where(events.c.position > after)
        .where(events.c.recorded_at <= moment)
        .order_by(events.c.position.desc())
        .limit(1)
    )
    if through is not None:
        query = query.where(events.c.position <= through)
    return int(connection.execute(query).scalar() or 0)


class Moments:
    """The last position recorded at or before a moment, from the kept blocks (module doc)."""

    def __init__(self, block: int = BLOCK, run: int = RUN) -> None:
        self.block = block
        self.run = run
        self._earliest: dict[int, datetime | None] = {}
        """Block ``k`` holds positions ``k * block + 1`` to ``(k + 1) * block``; None: no
        event (positions skipped). A block is kept once wholly settled, and never changes."""
        self._settled_blocks = 0

    def position_at(self, connection: Connection, moment: datetime, settled: int) -> int:
        """A job: ``max(position) WHERE recorded_at <= moment``, exactly; ``settled`` is a
        position below which nothing can still commit (0: none), so that the blocks wholly at
        or below it may be kept."""
        whole = self._settled_blocks = max(self._settled_blocks, settled // self.block)
        found = last_recorded(connection, whole * self.block, None, moment)  # the tail
        number = whole - 1
        while not found and number >= 0:
            earliest = self._kept(connection, number)
            if earliest is not None and earliest <= moment:
                first = number * self.block
                found = last_recorded(connection, first, first + self.block, moment)
            number -= 1
        return found

    def _kept(self, connection: Connection, number: int) -> datetime | None:
        """Block ``number``'s earliest recording time, read with the ``run`` blocks before it
        unless kept already (questions walk the blocks down from the newest)."""
        if number not in self._earliest:
            low = max(0, number - self.run + 1)
            found = dict(
                connection.execute(
                    _EARLIEST,
                    {
                        "block": self.block,
                        "after": low * self.block,
                        "through": (number + 1) * self.block,
                    },
                ).all()
            )
            for each in range(low, number + 1):  # another thread may keep the same: no matter
                self._earliest[each] = found.get(each)
        return self._earliest[number]
