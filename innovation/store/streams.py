"""Loading a stream into a state: from its latest snapshot, then the events after it.

A snapshot is a cache of ``fold(events[:version])``. It records the name and version of the
state's schema; a snapshot written by another schema version is ignored and the stream is
replayed in full, so changing a state type never needs a migration of snapshots.

A process also keeps the states it last appended to (``KeptStates``), each with the version
and the id of its last event: a command on the same stream then reads the stream from that
version on and folds only what came after, when the log still holds that very event there.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

import msgspec
from sqlalchemy.engine import Connection

from innovation.kept import Kept
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
    from_kept: int = 0
    """The version of the state the process kept (``KeptStates``), when it was folded on from
    there."""


class KeptState(msgspec.Struct, Generic[S], frozen=True, gc=False):
    """A stream's state as this process last left it: folded up to ``version``, whose event in
    the log has the id ``event_id``."""

    state: S
    version: int
    event_id: uuid.UUID


KEPT_EVENTS = 100_000
"""How many events the states a process keeps were folded from, all told, the least recently
used first out: a state's memory grows with its stream (on the bench's data about 0.2 KB an
event: 17 KB for an experiment of 83 events, 1.3 KB for an idea), so about 20 MB at most."""


def _events(kept: KeptState[Any]) -> int:
    return kept.version


class KeptStates:
    """The states of the streams this process last appended to, by stream id, once committed.

    Commands that follow one another on a stream (the measurements of a running experiment,
    44 events a stream on the bench's data) folded the whole stream again each time, or all of
    it after its latest snapshot. A kept state is only ever a starting point: the stream is
    read from its version on, and the state is used only when the log holds the very event it
    was folded to (``caught_up``): what another process appended since is folded on, and a
    state the log no longer bears out (a log restored from elsewhere) is passed over, the
    stream loaded as before. States are immutable values: they are shared, never copied."""

    def __init__(self, budget: int = KEPT_EVENTS) -> None:
        self._kept: Kept[str, KeptState[Any]] = Kept(budget, weigh=_events)
        self._lock = threading.Lock()  # a write job may run in the writer's thread

    def get(self, stream_id: str) -> KeptState[Any] | None:
        with self._lock:
            return self._kept.get(stream_id)

    def keep(self, stream_id: str, kept: KeptState[Any]) -> None:
        """Keep a state folded from events the log has committed (never from an append whose
        transaction may still roll back: its events' ids could come back, made again by the
        same command, with other contents)."""
        with self._lock:
            self._kept.keep(stream_id, kept)


def caught_up(
    kept: KeptState[S],
    records: Sequence[RecordedEvent],
    mapper: Mapper,
    evolve: Callable[[S, msgspec.Struct], S],
) -> Loaded[S] | None:
    """The kept state folded on with the events after its own in ``records`` (a stream's
    events, in order, from some version on), or None when ``records`` do not hold the kept
    state's last event, at its version and with its id."""
    for index, record in enumerate(records):
        if record.version < kept.version:
            continue
        if record.version > kept.version or record.event_id != kept.event_id:
            return None
        state = kept.state
        for later in records[index + 1 :]:
            state = evolve(state, mapper.to_event(later))
        return Loaded(state, records[-1].version, from_kept=kept.version)
    return None


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
