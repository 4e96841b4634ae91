"""The event store's contract, on every backend: append, read, idempotency, upcasting, snapshots."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from functools import partial

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from innovation.store import (
    ANY,
    NO_STREAM,
    ConcurrencyError,
    DuplicateEventError,
    Loaded,
    Log,
    SnapshotSpec,
    StoredEvent,
    UnknownEventTypeError,
)
from tests.helpers import collect, on_loop
from tests.integration.command_path import CommandPath
from tests.integration.store_events import META, Counted, Noted, Renamed, new, notes


class Tally(msgspec.Struct, frozen=True):
    count: int = 0
    total: int = 0
    history: tuple[int, ...] = ()


def evolve(state: Tally, event: msgspec.Struct) -> Tally:
    match event:
        case Counted(amount=amount):
            return Tally(state.count + 1, state.total + amount, (*state.history, amount))
        case _:
            return state


TALLY = SnapshotSpec("tally", Tally)


async def _replay_to(store: CommandPath, stream: str, version: int) -> Loaded[Tally]:
    state = Tally()
    for record in await store.read_stream(stream, to_version=version):
        state = evolve(state, store.mapper.to_event(record))
    return Loaded(state, version)


class TestTheLogOnTheCommandPath:
    """The persistence contract, on SQLite and PostgreSQL, through the calls commands make."""

    async def test_append_to_a_new_stream_returns_its_version_and_positions(
        self, store: CommandPath
    ):
        result = await store.append("s-1", notes("a", "b", "c"), NO_STREAM)

        assert result.version == 3
        assert len(result.positions) == 3
        assert list(result.positions) == sorted(result.positions)
        assert result.written

    async def test_versions_continue_where_the_stream_left_off(self, store: CommandPath):
        await store.append("s-1", notes("a"), NO_STREAM)
        result = await store.append("s-1", notes("b", "c"), 1)

        assert result.version == 3
        assert [e.version for e in await store.read_stream("s-1")] == [1, 2, 3]

    async def test_wrong_expected_version_raises_with_the_actual_version(self, store: CommandPath):
        await store.append("s-1", notes("a", "b"), NO_STREAM)

        with pytest.raises(ConcurrencyError) as stale:
            await store.append("s-1", notes("c"), 1)
        with pytest.raises(ConcurrencyError) as exists:
            await store.append("s-1", notes("c"), NO_STREAM)
        with pytest.raises(ConcurrencyError) as ahead:
            await store.append("s-1", notes("c"), 5)

        assert (stale.value.expected, stale.value.actual) == (1, 2)
        assert exists.value.actual == 2
        assert ahead.value.actual == 2
        assert await store.stream_version("s-1") == 2

    async def test_any_appends_whatever_the_version(self, store: CommandPath):
        await store.append("s-1", notes("a"), ANY)
        result = await store.append("s-1", notes("b"), ANY)

        assert result.version == 2

    async def test_expecting_a_missing_stream_at_a_version_fails(self, store: CommandPath):
        with pytest.raises(ConcurrencyError) as missing:
            await store.append("nowhere", notes("a"), 3)

        assert missing.value.actual == 0

    async def test_appending_the_same_events_again_is_acknowledged_and_writes_nothing(
        self, store: CommandPath
    ):
        batch = notes("a", "b")
        first = await store.append("s-1", batch, NO_STREAM)
        await store.append("s-1", notes("c"), 2)

        again = await store.append("s-1", batch, NO_STREAM)

        assert (again.version, again.positions, again.written) == (2, first.positions, False)
        assert [e.version for e in await store.read_stream("s-1")] == [1, 2, 3]
        assert await store.last_position() == first.positions[-1] + 1

    async def test_a_partial_overlap_with_logged_events_is_refused_whole(self, store: CommandPath):
        logged = notes("a", "b")
        await store.append("s-1", logged, NO_STREAM)

        with pytest.raises(DuplicateEventError):
            await store.append("s-1", [logged[1], *notes("c")], 2)
        with pytest.raises(DuplicateEventError):
            await store.append("s-2", logged, NO_STREAM)

        assert await store.stream_version("s-1") == 2
        assert await store.stream_version("s-2") == 0

    async def test_an_append_is_all_or_nothing(self, store: CommandPath):
        repeated = new(Noted(text="twice"))

        with pytest.raises(DuplicateEventError):
            await store.append("s-1", [*notes("a"), repeated, repeated], NO_STREAM)

        assert await store.read_stream("s-1") == []
        assert await store.last_position() == 0

    async def test_read_stream_between_versions(self, store: CommandPath):
        await store.append("s-1", notes(*"abcdef"), NO_STREAM)
        await store.append("s-2", notes("x"), NO_STREAM)

        middle = await store.read_stream("s-1", from_version=2, to_version=4)

        assert [store.mapper.to_event(e).text for e in middle] == ["b", "c", "d"]
        assert {e.stream_id for e in middle} == {"s-1"}

    async def test_an_unknown_stream_is_at_version_zero_and_empty(self, store: CommandPath):
        assert await store.stream_version("nobody") == 0
        assert await store.read_stream("nobody") == []

    async def test_events_and_metadata_come_back_as_they_went_in(self, store: CommandPath):
        event_id = uuid.uuid4()
        await store.append("s-1", [new(Counted(amount=7), event_id)], NO_STREAM)

        [recorded] = await store.read_stream("s-1")

        assert store.mapper.to_event(recorded) == Counted(amount=7)
        assert store.mapper.metadata(recorded) == META
        assert recorded.event_id == event_id
        assert recorded.type == "test.counted"
        assert recorded.recorded_at.tzinfo is not None

    async def test_recorded_at_comes_from_the_injected_clock(self, database, mapper):
        moment = datetime(2024, 2, 29, 12, 30, tzinfo=UTC)
        store = CommandPath(Log(database, mapper, clock=lambda: moment))

        await store.append("s-1", notes("a"), NO_STREAM)

        [recorded] = await store.read_stream("s-1")
        assert recorded.recorded_at == moment

    async def test_replay_returns_every_event_in_position_order_across_pages(
        self, store: CommandPath
    ):
        for i in range(7):
            await store.append(f"s-{i % 3}", notes(*(f"{i}-{j}" for j in range(5))), ANY)

        everything = await collect(store.read_all(page_size=4))
        after_ten = await collect(store.read_all(10, page_size=3))
        between = await collect(store.log.replay(5, 11, page_size=4))

        assert [e.position for e in everything] == list(range(1, 36))
        assert [e.position for e in after_ten] == list(range(11, 36))
        assert [e.position for e in between] == list(range(6, 12))

    async def test_a_long_replay_lets_the_loop_run_other_work_between_pages(
        self, store: CommandPath
    ):
        """SQLite reads a replay's pages on the event loop's thread; a request waiting
        meanwhile runs after a page, not after the whole log."""
        await store.append("s-1", notes(*(str(i) for i in range(12))), NO_STREAM)
        seen: list[int] = []

        async def waiting() -> None:
            seen.append(-1)

        other = None
        async for event in store.log.replay(page_size=3):
            seen.append(event.position)
            if other is None:  # the replay under way: its next read is on the loop's thread
                other = asyncio.ensure_future(waiting())
        assert other is not None
        await other

        assert seen.index(-1) == 3, seen
        assert [p for p in seen if p > 0] == list(range(1, 13))

    async def test_replay_of_some_types_reads_only_those_in_position_order_across_pages(
        self, store: CommandPath
    ):
        for i in range(6):
            events = [new(Noted(text=str(i))), new(Counted(amount=i)), new(Counted(amount=-i))]
            await store.append(f"s-{i % 2}", events, ANY)

        counted = await collect(store.log.replay(page_size=2, types={"test.counted"}))
        bounded = await collect(store.log.replay(4, 13, page_size=3, types=["test.noted"]))
        sparse = await collect(store.log.replay(page_size=2, types=["test.noted"]))
        nothing = await collect(store.log.replay(types=()))

        assert [e.position for e in counted] == [p for p in range(1, 19) if p % 3 != 1]
        assert {e.type for e in counted} == {"test.counted"}
        assert [e.position for e in bounded] == [7, 10, 13]
        assert [e.position for e in sparse] == [1, 4, 7, 10, 13, 16]  # some pages hold none
        assert nothing == []

    async def test_reading_streams_gives_each_in_version_order_up_to_a_position(
        self, store: CommandPath
    ):
        for i in range(6):
            await store.append(f"s-{i % 3}", notes(f"{i}-a", f"{i}-b"), ANY)

        rows = await store.database.read(
            partial(store.recorder.read_streams, stream_ids=["s-2", "s-0"], upto=9)
        )
        nothing = await store.database.read(
            partial(store.recorder.read_streams, stream_ids=[], upto=9)
        )

        assert [(e.stream_id, e.version, e.position) for e in rows] == [
            ("s-0", 1, 1),
            ("s-0", 2, 2),
            ("s-0", 3, 7),
            ("s-0", 4, 8),
            ("s-2", 1, 5),
            ("s-2", 2, 6),
        ]
        assert nothing == []

    async def test_an_old_schema_version_is_upcast_on_read(self, store: CommandPath):
        old_row = StoredEvent(
            event_id=uuid.uuid4(),
            type="test.renamed",
            schema_version=1,
            data=msgspec.json.encode({"type": "test.renamed", "name": "Ada Lovelace"}),
            metadata=msgspec.json.encode(META),
        )
        await store.database.write(
            lambda connection: store.recorder.append(connection, "people-1", [old_row], NO_STREAM)
        )

        [recorded] = await store.read_stream("people-1")

        assert recorded.schema_version == 1  # the row itself is never rewritten
        assert store.mapper.to_event(recorded) == Renamed(first="Ada", last="Lovelace")

    async def test_an_unknown_event_type_is_refused_on_read(self, store: CommandPath):
        stray = StoredEvent(
            event_id=uuid.uuid4(),
            type="test.vanished",
            schema_version=1,
            data=b"{}",
            metadata=b"{}",
        )
        await store.database.write(
            lambda connection: store.recorder.append(connection, "s-1", [stray], NO_STREAM)
        )

        [recorded] = await store.read_stream("s-1")
        with pytest.raises(UnknownEventTypeError):
            store.mapper.to_event(recorded)

    async def test_loading_from_a_snapshot_always_equals_full_replay(self, store: CommandPath):
        run = on_loop(asyncio.get_running_loop())

        @given(
            amounts=st.lists(st.integers(-1000, 1000), min_size=1, max_size=40),
            cuts=st.lists(st.integers(0, 40), max_size=3),
        )
        def check(amounts: list[int], cuts: list[int]) -> None:
            stream = f"tally-{uuid.uuid4()}"
            run(store.append(stream, [new(Counted(amount=a)) for a in amounts], NO_STREAM))
            for cut in sorted(c for c in cuts if c <= len(amounts)):
                partial = run(_replay_to(store, stream, cut))
                run(store.save_snapshot(TALLY, partial, stream))

            from_snapshot = run(store.load(stream, Tally(), evolve, TALLY))
            replayed = run(store.load(stream, Tally(), evolve))

            assert from_snapshot.state == replayed.state
            assert from_snapshot.version == replayed.version == len(amounts)

        await asyncio.to_thread(check)

    async def test_a_snapshot_is_used_and_only_the_later_events_are_replayed(
        self, store: CommandPath
    ):
        await store.append("t", [new(Counted(amount=a)) for a in (1, 2, 3)], NO_STREAM)
        await store.save_snapshot(TALLY, await store.load("t", Tally(), evolve), "t")
        await store.append("t", [new(Counted(amount=10))], 3)

        loaded = await store.load("t", Tally(), evolve, TALLY)

        assert loaded.from_snapshot == 3
        assert loaded.state == Tally(4, 16, (1, 2, 3, 10))

    async def test_a_snapshot_of_another_schema_version_is_ignored(self, store: CommandPath):
        await store.append("t", [new(Counted(amount=a)) for a in (1, 2)], NO_STREAM)
        await store.save_snapshot(TALLY, Loaded(Tally(99, 99, ()), 2), "t")

        loaded = await store.load("t", Tally(), evolve, SnapshotSpec("tally", Tally, 2))

        assert loaded.from_snapshot == 0
        assert loaded.state == Tally(2, 3, (1, 2))

    async def test_a_snapshot_and_the_events_after_it_are_read_as_each_alone_reads_them(
        self, store: CommandPath
    ):
        await store.append("t", [new(Counted(amount=a)) for a in (1, 2, 3)], NO_STREAM)
        await store.append("u", [new(Counted(amount=5))], NO_STREAM)
        await store.save_snapshot(TALLY, await store.load("t", Tally(), evolve), "t")
        await store.save_snapshot(TALLY, await store.load("u", Tally(), evolve), "u")
        await store.append("t", [new(Counted(amount=a)) for a in (10, 20)], 3)

        def both(connection, stream_id):  # noqa: ANN001, ANN202
            alone = store.recorder.read_snapshot(connection, stream_id)
            after = alone.version + 1 if alone is not None else 1
            together = store.recorder.read_snapshot_and_stream(connection, stream_id)
            return together, (alone, store.recorder.read_stream(connection, stream_id, after))

        for stream_id, later in (("t", [4, 5]), ("u", []), ("nobody", [])):
            together, alone = await store.database.read(partial(both, stream_id=stream_id))
            assert together == alone
            assert [record.version for record in together[1]] == later
        assert together[0] is None

    async def test_an_older_snapshot_never_replaces_a_newer_one(self, store: CommandPath):
        await store.append("t", [new(Counted(amount=a)) for a in (1, 2, 3)], NO_STREAM)
        await store.save_snapshot(TALLY, Loaded(Tally(3, 6, (1, 2, 3)), 3), "t")
        await store.save_snapshot(TALLY, Loaded(Tally(1, 1, (1,)), 1), "t")

        loaded = await store.load("t", Tally(), evolve, TALLY)

        assert loaded.from_snapshot == 3

    async def test_a_rolled_back_append_leaves_no_hole_that_stops_readers(self, store: CommandPath):
        await store.append("s-1", notes("before"), NO_STREAM)
        record = store.mapper.to_stored(new(Noted(text="rolled back")))

        def append_then_fail(connection):
            store.recorder.append(connection, "s-2", [record], NO_STREAM)
            raise RuntimeError("the command failed after appending")

        with pytest.raises(RuntimeError):
            await store.database.write(append_then_fail)
        await store.append("s-1", notes("after"), 1)

        texts = [store.mapper.to_event(e).text for e in await collect(store.read_all())]

        assert texts == ["before", "after"]

    async def test_appends_made_together_are_each_checked_on_their_own(self, store: CommandPath):
        """Concurrent appends share a group-committed transaction, not a fate."""
        earlier = notes("logged")
        await store.append("s-0", earlier, NO_STREAM)
        await store.append("s-1", notes("a"), NO_STREAM)
        fresh = {f"new-{i}": notes(f"n{i}") for i in range(12)}

        outcomes = await asyncio.gather(
            *(store.append(stream, batch, NO_STREAM) for stream, batch in fresh.items()),
            store.append("s-1", notes("stale"), NO_STREAM),  # s-1 exists: refused
            store.append("s-0", earlier, NO_STREAM),  # an exact repeat: acknowledged
            store.append("s-2", [earlier[0], *notes("x")], NO_STREAM),  # partly repeated
            store.append("s-1", notes("b"), 1),  # right version: accepted
            return_exceptions=True,
        )

        *accepted, stale, repeat, partial, right = outcomes
        assert all(result.version == 1 and result.written for result in accepted)
        assert isinstance(stale, ConcurrencyError)
        assert repeat.written is False
        assert isinstance(partial, DuplicateEventError)
        assert right.version == 2
        assert await store.stream_version("s-2") == 0
        for stream, batch in fresh.items():
            [event] = await store.read_stream(stream)
            assert event.event_id == batch[0].event_id
