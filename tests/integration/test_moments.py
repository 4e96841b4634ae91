"""The position at a moment found from kept blocks of positions (``store/moments.py``) is
exactly the plain statement's, ``max(position) WHERE recorded_at <= moment``, however the
recording times run against the positions."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta, timezone
from functools import partial

from hypothesis import given, settings
from hypothesis import strategies as st

from innovation.store import NO_STREAM, Log
from innovation.store.moments import Moments
from tests.helpers import on_loop
from tests.integration.command_path import CommandPath
from tests.integration.store_events import notes

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PARIS_SUMMER = timezone(timedelta(hours=2))


async def test_the_position_at_a_moment_is_the_plain_statements_however_the_times_run(
    database, mapper
):
    run = on_loop(asyncio.get_running_loop())
    clock = [START]
    log = Log(database, mapper, clock=lambda: clock[0])
    store = CommandPath(log)
    # Kept across examples, as a process keeps them while its log grows: blocks of one to five
    # positions, so that examples of a dozen events span several, summarised a few at a time.
    kept = [Moments(1, run=1), Moments(2, run=3), Moments(3), Moments(5, run=2)]

    @given(
        recorded=st.lists(st.integers(0, 40), min_size=1, max_size=12),
        asked=st.lists(
            st.tuples(st.integers(-2, 42), st.sampled_from([0, 1, 59]), st.booleans()),
            min_size=1,
            max_size=6,
        ),
        unsettled=st.integers(0, 6),
    )
    @settings(max_examples=40, deadline=None)
    def check(recorded: list[int], asked: list[tuple[int, int, bool]], unsettled: int) -> None:
        for minutes in recorded:  # one event an append, its time ahead of or behind the last
            clock[0] = START + timedelta(minutes=minutes)
            run(store.append(f"s-{uuid.uuid4()}", notes("x"), NO_STREAM))
        end = run(log.last_position())
        for minutes, seconds, abroad in asked:
            moment = START + timedelta(minutes=minutes, seconds=seconds)
            if abroad:  # the same instant, told in another zone
                moment = moment.astimezone(PARIS_SUMMER)
            plain = run(database.read(partial(log.recorder.position_at, moment=moment)))
            for moments in kept:
                found = run(
                    database.read(
                        partial(
                            moments.position_at,
                            moment=moment,
                            settled=max(0, end - unsettled),
                        )
                    )
                )
                assert found == plain, (moments.block, moment, plain, found)

    await asyncio.to_thread(check)


async def test_the_logs_readers_find_the_position_at_a_moment_as_the_plain_statement_does(
    database, mapper
):
    """Through the log's readers (what ``idea(asOf:)`` and ``pipeline(asOf:)`` ask), before
    any block is kept and after, with a clock that stepped back."""
    clock = [START]
    log = Log(database, mapper, clock=lambda: clock[0])
    log.moments = Moments(block=2)
    store = CommandPath(log)
    for minutes in (0, 10, 5, 20, 15, 30):
        clock[0] = START + timedelta(minutes=minutes)
        await store.append(f"s-{uuid.uuid4()}", notes("x"), NO_STREAM)
    moments = [START + timedelta(minutes=m) for m in (-1, 0, 6, 12, 17, 25, 31)]

    for _ in range(2):  # the first question keeps the blocks, the second reads them
        for moment in moments:
            plain = await database.read(partial(log.recorder.position_at, moment=moment))
            assert await log.position_at(moment) == plain
        await log.settled_position()
