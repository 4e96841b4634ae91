"""The log as a command reaches it, for the persistence contract and the store's other tests.

Every call is one job run by ``Database.write`` or ``Database.read`` that calls the same
``Recorder`` and stream functions the unit of work calls (``services/unit_of_work.py``), so
what these tests prove holds for commands; reading the whole log goes through ``Log.replay``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from functools import partial
from typing import TypeVar

import msgspec

from innovation.store import AppendResult, Loaded, Log, NewEvent, RecordedEvent, SnapshotSpec
from innovation.store.streams import load_stream, save_snapshot

S = TypeVar("S")


class CommandPath:
    def __init__(self, log: Log) -> None:
        self.log = log
        self.database = log.database
        self.recorder = log.recorder
        self.mapper = log.mapper

    async def append(
        self, stream_id: str, events: Sequence[NewEvent], expected_version: int
    ) -> AppendResult:
        records = [self.mapper.to_stored(event) for event in events]
        return await self.database.write(
            partial(
                self.recorder.append,
                stream_id=stream_id,
                records=records,
                expected_version=expected_version,
            )
        )

    async def stream_version(self, stream_id: str) -> int:
        return await self.database.read(partial(self.recorder.stream_version, stream_id=stream_id))

    async def read_stream(
        self, stream_id: str, from_version: int = 1, to_version: int | None = None
    ) -> list[RecordedEvent]:
        return await self.database.read(
            partial(
                self.recorder.read_stream,
                stream_id=stream_id,
                from_version=from_version,
                to_version=to_version,
            )
        )

    async def last_position(self) -> int:
        return await self.log.last_position()

    def read_all(self, after: int = 0, *, page_size: int = 1000) -> AsyncIterator[RecordedEvent]:
        return self.log.replay(after, page_size=page_size)

    async def load(
        self,
        stream_id: str,
        initial: S,
        evolve: Callable[[S, msgspec.Struct], S],
        snapshot: SnapshotSpec[S] | None = None,
    ) -> Loaded[S]:
        return await self.database.read(
            lambda connection: load_stream(
                connection, self.recorder, self.mapper, stream_id, initial, evolve, snapshot
            )
        )

    async def save_snapshot(self, spec: SnapshotSpec[S], loaded: Loaded[S], stream_id: str) -> None:
        await self.database.write(
            lambda connection: save_snapshot(connection, self.recorder, spec, stream_id, loaded)
        )
