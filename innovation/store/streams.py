"""Loading a stream into a state: from its latest snapshot, then the events after it.

A snapshot is a cache of ``fold(events[:version])``. It records the name and version of the
state's schema; a snapshot written by another schema version is ignored and the stream is
replayed in full, so changing a state type never needs a migration of snapshots.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

import msgspec
from sqlalchemy.engine import Connection

from innovation.store.log import Recorder
from innovation.store.mapper import Mapper
from innovation.store.records import RecordedEvent, Snapshot

S = TypeVar("S")

_encoder = msgspec.json.Encoder()


class SnapshotSpec(Generic[S]):
    """How one kind of state is written to and read from the snapshot table."""

    def __init__(self, name: str, state_type: type[S], schema_version: int = 1) -> None:
        self.name = name
        self.schema_version = schema_version
        self._decoder = msgspec.json.Decoder(state_type)

    def encode(self, state: S) -> bytes:
        return _encoder.encode(state)

    def decode(self, snapshot: Snapshot) -> S | None:
        if snapshot.type != self.name or snapshot.schema_version != self.schema_version:
            return None
        return self._decoder.decode(snapshot.data)


class Loaded(msgspec.Struct, Generic[S], frozen=True):
    """A stream folded into a state; ``version`` is the version of the last event folded."""

    state: S
    version: int
    from_snapshot: int = 0


def load_stream(
    connection: Connection,
    recorder: Recorder,
    mapper: Mapper,
    stream_id: str,
    initial: S,
    evolve: Callable[[S, msgspec.Struct], S],
    snapshot: SnapshotSpec[S] | None = None,
    ahead: tuple[Snapshot | None, list[RecordedEvent]] | None = None,
) -> Loaded[S]:
    """The stream folded, from its snapshot when there is one; ``ahead`` is its snapshot and
    events already read (``Recorder.read_ahead``), when they were."""
    state, version, start = initial, 0, 0
    if snapshot is None:
        records = recorder.read_stream(connection, stream_id)
    else:
        stored, records = ahead or recorder.read_snapshot_and_stream(connection, stream_id)
        decoded = snapshot.decode(stored) if stored is not None else None
        if stored is not None and decoded is not None:
            state, version, start = decoded, stored.version, stored.version
        elif stored is not None:  # a snapshot this code cannot read: the whole stream instead
            records = recorder.read_stream(connection, stream_id)
    for record in records:
        state = evolve(state, mapper.to_event(record))
        version = record.version
    return Loaded(state, version, start)


def save_snapshot(
    connection: Connection,
    recorder: Recorder,
    spec: SnapshotSpec[S],
    stream_id: str,
    loaded: Loaded[S],
) -> None:
    recorder.write_snapshot(
        connection,
        Snapshot(
            stream_id=stream_id,
            version=loaded.version,
            type=spec.name,
            schema_version=spec.schema_version,
            data=spec.encode(loaded.state),
            recorded_at=recorder.clock(),
        ),
    )
