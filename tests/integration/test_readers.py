"""Readers of the log: settled, replayed, and checkpointed with exactly one holder at a time."""

from __future__ import annotations

import asyncio
import dataclasses
import signal
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta

import msgspec
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from innovation.domain.recorded import Recorded
from innovation.store import (
    ANY,
    CheckpointedReader,
    Database,
    LeaseLostError,
    Readers,
    leases,
    replay,
)
from innovation.store.tables import reader_leases
from tests.helpers import collect, start_module
from tests.integration.command_path import CommandPath
from tests.integration.reader_process import handled, handled_metadata, tally
from tests.integration.store_events import Counted, Noted, new, notes
from tests.integration.world import FakeClock


@pytest.fixture
async def handled_table(database: Database) -> AsyncIterator[None]:
    """The table the test reader writes one row per handled event into, empty."""

    def create(connection: Connection) -> None:
        handled_metadata.drop_all(connection, checkfirst=True)
        handled_metadata.create_all(connection)

    await database.write(create)
    yield
    await database.write(lambda connection: handled_metadata.drop_all(connection))


async def handled_rows(database: Database) -> list[tuple[int, str]]:
    return await database.read(
        lambda c: [(row.position, row.holder) for row in c.execute(sa.select(handled))]
    )


async def lease_row(database: Database) -> sa.Row[tuple[object, ...]] | None:
    return await database.read(
        lambda c: c.execute(
            sa.select(reader_leases).where(reader_leases.c.reader == "tally")
        ).first()
    )


async def eventually(check: Callable[[], Awaitable[bool]], seconds: float = 30.0) -> None:
    """Poll ``check`` until it holds; fail the test when it does not within ``seconds``."""
    async with asyncio.timeout(seconds):
        while True:
            if await check():
                return
            await asyncio.sleep(0.05)


def still_clock() -> FakeClock:
    return FakeClock(step=timedelta(0))


async def test_replay_up_to_a_position_hands_out_exactly_the_events_up_to_it(
    store: CommandPath,
):
    for i in range(5):
        await store.append(f"s-{i % 2}", notes(*(f"{i}-{j}" for j in range(3))), ANY)

    pages = await store.database.read(
        lambda c: [e.position for e in replay(c, store.recorder, after=2, up_to=11, page_size=4)]
    )
    recorded = [store.log.recorded(e) async for e in store.log.replay(up_to=4)]

    assert pages == list(range(3, 12))
    assert [r.position for r in recorded] == [1, 2, 3, 4]
    assert recorded[0].event == Noted(text="0-0")
    assert (recorded[0].stream_id, recorded[0].version, recorded[0].actor) == ("s-0", 1, "tester")


async def test_the_settled_position_is_the_end_of_the_log_once_writers_are_done(
    store: CommandPath,
):
    await store.append("s-1", notes("a", "b"), ANY)
    await store.append("s-2", notes("c"), ANY)

    assert await store.log.settled_position() == await store.last_position() == 3


async def test_a_checkpointed_reader_handles_each_event_once_and_resumes_after_a_restart(
    store: CommandPath, handled_table: None
):
    await store.append("s-1", notes(*"abcde"), ANY)
    first = Readers(store.log, holder="first")
    await first.run_until(tally("first"), 5)
    await first.release(tally("first"))

    await store.append("s-1", notes(*"fgh"), ANY)
    second = Readers(store.log, holder="second")
    await second.run_until(tally("second"), 8)

    rows = sorted(await handled_rows(store.database))
    assert rows == [(p, "first") for p in range(1, 6)] + [(p, "second") for p in range(6, 9)]
    assert await second.checkpoint("tally") == 8


async def test_a_reader_of_some_types_handles_only_those_and_its_checkpoint_passes_the_rest(
    store: CommandPath, handled_table: None
):
    counted = dataclasses.replace(tally("typed"), batch_size=2, types=frozenset({"test.counted"}))
    await store.append("s-1", [new(Counted(amount=1)), *notes(*"abc"), new(Counted(amount=2))], ANY)
    await store.append("s-2", [new(Counted(amount=3)), *notes(*"defg")], ANY)
    readers = Readers(store.log, holder="typed", poll_seconds=60)

    async with asyncio.timeout(20):  # a step that moved nothing would wait out the poll
        await readers.run_until(counted, 10)
        first = await readers.checkpoint("tally")
        await store.append("s-3", notes("h"), ANY)
        await readers.run_until(counted, 11)

    assert sorted(await handled_rows(store.database)) == [(1, "typed"), (5, "typed"), (6, "typed")]
    assert first == 10
    assert await readers.checkpoint("tally") == 11
    assert await readers.step(counted) == 0


async def test_only_one_process_holds_a_reader_until_its_lease_runs_out(
    store: CommandPath, handled_table: None
):
    clock = still_clock()
    first = Readers(store.log, holder="first", lease_seconds=5, clock=clock)
    second = Readers(store.log, holder="second", lease_seconds=5, clock=clock)

    assert await first.claim(tally("first")) is not None
    assert await second.claim(tally("second")) is None
    clock.jump(seconds=6)
    taken = await second.claim(tally("second"))

    assert taken is not None
    assert taken.token == 2
    assert await first.claim(tally("first")) is None


async def test_a_failing_handler_keeps_the_checkpoint_and_writes_nothing(
    store: CommandPath, handled_table: None
):
    await store.append("s-1", notes("a", "b"), ANY)

    def handle(connection: Connection, batch: list[Recorded[msgspec.Struct]]) -> None:
        tally("failing").handle(connection, batch)
        raise RuntimeError("the mail server said no")

    readers = Readers(store.log, holder="failing")
    with pytest.raises(RuntimeError):
        await readers.step(CheckpointedReader("tally", handle))

    assert await handled_rows(store.database) == []
    assert await readers.checkpoint("tally") == 0


@pytest.mark.parametrize("new_holder_finished", [True, False], ids=["caught-up", "just-took-over"])
async def test_a_paused_holder_that_lost_its_lease_applies_nothing_when_it_resumes(
    store: CommandPath, handled_table: None, new_holder_finished: bool
):
    await store.append("s-1", notes(*"abcdefghij"), ANY)
    clock = still_clock()
    old = Readers(store.log, holder="old", lease_seconds=1, clock=clock)
    new = Readers(store.log, holder="new", lease_seconds=1, clock=clock)
    lease = await old.claim(tally("old"))
    assert lease is not None
    batch = await old.read_batch(tally("old"), lease)

    clock.jump(seconds=2)  # the old holder is paused past its lease: the new one takes over
    if new_holder_finished:
        await new.run_until(tally("new"), 10)
    else:
        assert await new.claim(tally("new")) is not None
    with pytest.raises(LeaseLostError):
        await old.apply(tally("old"), lease, batch)
    await new.run_until(tally("new"), 10)

    rows = await handled_rows(store.database)
    assert sorted(position for position, _ in rows) == list(range(1, 11))
    assert {holder for _, holder in rows} == {"new"}
    assert await new.checkpoint("tally") == 10


async def test_a_fast_forward_moves_a_checkpoint_on_never_back_and_fences_a_holder_reading(
    store: CommandPath, handled_table: None
):
    await store.append("s-1", notes(*"abcdefghij"), ANY)
    readers = Readers(store.log, holder="reading", clock=still_clock())
    lease = await readers.claim(tally("reading"))
    assert lease is not None
    batch = await readers.read_batch(tally("reading"), lease)
    now = still_clock()()

    await store.database.write(lambda c: leases.fast_forward(c, "tally", 6, now=now))
    await store.database.write(lambda c: leases.fast_forward(c, "tally", 4, now=now))

    assert await readers.checkpoint("tally") == 6
    with pytest.raises(LeaseLostError):  # its batch from 0 would handle 1 to 6 a second time
        await readers.apply(tally("reading"), lease, batch)
    async with asyncio.timeout(30):  # it claims the reader again, from the new checkpoint
        await readers.run_until(tally("reading"), 10)
    assert sorted(position for position, _ in await handled_rows(store.database)) == [
        7,
        8,
        9,
        10,
    ]


async def start_reader(url: str, holder: str) -> asyncio.subprocess.Process:
    process, ready = await start_module("tests.integration.reader_process", url, holder)
    assert ready == b"ready\n"
    return process


async def test_two_processes_run_one_reader_and_every_event_is_handled_once_after_a_kill(
    database_url: str, store: CommandPath, handled_table: None
):
    processes = {name: await start_reader(database_url, name) for name in ("A", "B")}

    async def write(number: int) -> None:
        for batch in range(30):
            await store.append(f"w-{number}", notes(*(f"{batch}-{i}" for i in range(3))), ANY)
            await asyncio.sleep(0.01)

    writers = asyncio.gather(*(write(n) for n in range(3)))
    try:

        async def someone_is_working() -> bool:
            row = await lease_row(store.database)
            return row is not None and row.holder in processes and row.position > 0

        await eventually(someone_is_working)
        holder = (await lease_row(store.database)).holder  # type: ignore[union-attr]
        processes[holder].send_signal(signal.SIGKILL)
        await processes[holder].wait()
        await writers
        last = await store.last_position()

        async def caught_up() -> bool:
            row = await lease_row(store.database)
            return row is not None and row.position == last

        await eventually(caught_up)
    finally:
        writers.cancel()
        for process in processes.values():
            if process.returncode is None:
                process.send_signal(signal.SIGKILL)
                await process.wait()

    rows = await handled_rows(store.database)
    positions = Counter(position for position, _ in rows)
    assert last == 270
    assert sorted(positions) == [e.position for e in await collect(store.read_all())]
    assert set(positions.values()) == {1}, "an event was handled twice"
    survivor = (await lease_row(store.database)).holder  # type: ignore[union-attr]
    assert survivor != holder
    assert {h for _, h in rows} == {holder, survivor}
