"""One command's work in one transaction: load streams, decide, append, project.

It runs inside a ``Database.write`` job, so either everything a command does is committed
together (events on every stream it touches, and the read models they change) or nothing is.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache, partial
from typing import Any, TypeVar

import msgspec
from sqlalchemy.engine import Connection

from innovation.domain import Aggregate
from innovation.domain.recorded import Recorded
from innovation.projections import Projector
from innovation.projections.batch import Batch
from innovation.services.errors import CommandIdReusedError, ConflictError
from innovation.store import (
    NO_STREAM,
    AppendResult,
    KeptStates,
    Loaded,
    Mapper,
    Metadata,
    NewEvent,
    Recorder,
    SnapshotSpec,
    derived_id,
)
from innovation.store.appends import LeftAppend
from innovation.store.streams import KeptState, caught_up, load_stream, save_snapshot

S = TypeVar("S")


@cache
def snapshot_spec(aggregate: Aggregate[S]) -> SnapshotSpec[S]:
    """How the store keeps this aggregate's snapshots: by its name and its state's version."""
    return SnapshotSpec(aggregate.name, aggregate.state, aggregate.state_version)


@dataclass(frozen=True)
class Actor:
    """Who is acting, as events record it, and the role that lets them."""

    name: str
    role: str


@dataclass(frozen=True)
class CommandContext:
    actor: Actor
    at: datetime
    command_id: uuid.UUID
    correlation_id: uuid.UUID
    causation_id: uuid.UUID | None = None
    repeatable: bool = False
    """True when the caller chose ``command_id``: a repeat of it is answered, not re-applied."""
    request_digest: str | None = None
    """A digest of what the caller asked, kept in the events' metadata; a repeat must match it.

    Kept in the log rather than in a process's memory, so any process that later receives the
    same ``command_id`` sees what it was first used for.
    """
    minted: frozenset[str] = frozenset()
    """Entity ids the caller made for this command (a new idea's, say), drawn at random or
    derived from the caller's own command id: nothing can be in their streams yet, so they are
    not read. A derived one's stream holds events only if this very command was applied, which
    a repeatable command checks first (``decide``). Should one be taken after all, the append
    expecting no stream is refused as a conflict, as a race would be."""


def event_id_of(command_id: uuid.UUID, stream_id: str, index: int) -> uuid.UUID:
    """The id of a command's ``index``-th event on a stream: derived from the command, so the
    same command appended twice is the same events, and a resend is told by its first's."""
    return derived_id(command_id, f"{stream_id}#{index}")


@dataclass
class UnitOfWork:
    connection: Connection
    context: CommandContext
    recorder: Recorder
    mapper: Mapper
    projector: Projector
    themes: tuple[str, ...]
    snapshot_every: int = 0
    kept: KeptStates | None = None
    """The states this process last appended to (``KeptStates``), to fold on from."""
    keeping: list[tuple[str, KeptState[Any]]] = field(default_factory=list)
    """The states its appends left, for the process to keep once they are committed."""
    envelopes: list[Recorded[Any]] = field(default_factory=list)
    replayed: bool = False
    batches: list[Batch] = field(default_factory=list)
    """The read models' batches its events went to: once written, they hold the rows."""
    _loaded: dict[str, Loaded[Any]] = field(default_factory=dict)

    @property
    def actor(self) -> Actor:
        return self.context.actor

    @property
    def at(self) -> datetime:
        return self.context.at

    def load(self, kind: Aggregate[S], entity_id: str) -> Loaded[S]:
        stream_id = kind.stream_id(entity_id)
        if stream_id in self._loaded:
            return self._loaded[stream_id]
        self._see_appended(stream_id)
        if entity_id in self.context.minted:  # a new stream: nothing to read
            loaded: Loaded[S] = Loaded(kind.decider.initial_state(), 0)
        else:
            loaded = self._read(kind, stream_id)
        self._loaded[stream_id] = loaded
        return loaded

    def _read(self, kind: Aggregate[S], stream_id: str) -> Loaded[S]:
        """The stream folded: on from the state this process kept of it when the log still
        holds that state's last event, else from its snapshot (or its start)."""
        evolve = kind.decider.evolve
        ahead = self.projector.read_ahead_of(self.connection, stream_id)
        kept = ahead.kept if ahead is not None else None  # read ahead from a kept state on
        if kept is None and self.kept is not None:
            kept = self.kept.get(stream_id)
        if kept is not None:
            records = (
                ahead.records
                if ahead is not None
                else self.recorder.read_stream(self.connection, stream_id, kept.version)
            )
            loaded = caught_up(kept, records, self.mapper, evolve)
            if loaded is not None:
                return loaded
            if ahead is not None and ahead.kept is not None:
                ahead = None  # its events from that state's version on: no start for a whole load
        return load_stream(
            self.connection,
            self.recorder,
            self.mapper,
            stream_id,
            kind.decider.initial_state(),
            evolve,
            snapshot_spec(kind),
            None if ahead is None else (ahead.snapshot, ahead.records),
        )

    def decide(
        self,
        kind: Aggregate[S],
        entity_id: str,
        command: msgspec.Struct,
        expected_version: int | None = None,
    ) -> list[msgspec.Struct]:
        """Decide ``command`` on the stream's current state and append what it decides."""
        stream_id = kind.stream_id(entity_id)
        if self.context.repeatable and self._already_applied(stream_id):
            self.replayed = True
            return []
        loaded = self.load(kind, entity_id)
        if expected_version is not None and expected_version != loaded.version:
            raise ConflictError(
                f"{kind.name} {entity_id!r} is at version {loaded.version}, "
                f"not {expected_version}: read it again",
                field="expectedVersion",
                actual=loaded.version,
            )
        events = kind.decider.decide(command, loaded.state)
        self._append(kind, stream_id, events, loaded)
        return events

    def _see_appended(self, stream_id: str) -> None:
        """Before reading ``stream_id``: if another command of the write batch left an append
        to it, make the appends left so far (``store/appends.py``)."""
        appends = self.projector.appends_left(self.connection)
        if appends is not None and appends.holds(stream_id):
            appends.make(self.connection)

    def _already_applied(self, stream_id: str) -> bool:
        """The command's first event on this stream is in the log: the same request, or refused.

        Asked of the log, unless the write batch already looked the id up with its other
        commands' (``Projector.logged_ahead``: one statement for them all on PostgreSQL)."""
        self._see_appended(stream_id)  # the same command, earlier in the write batch
        event_id = self._event_id(stream_id, 0)
        looked_up, first = self.projector.logged_ahead(self.connection, event_id)
        if not looked_up:
            first = self.recorder.event_by_id(self.connection, event_id)
        if first is None:
            return False
        recorded = self.mapper.metadata(first).request_digest
        asked = self.context.request_digest
        if recorded is not None and asked is not None and recorded != asked:
            raise CommandIdReusedError(
                f"command {self.context.command_id} was applied to a different request"
            )
        return True

    def _event_id(self, stream_id: str, index: int) -> uuid.UUID:
        return event_id_of(self.context.command_id, stream_id, index)

    def _append(
        self,
        kind: Aggregate[S],
        stream_id: str,
        events: Sequence[msgspec.Struct],
        loaded: Loaded[S],
    ) -> None:
        if not events:
            return
        metadata = Metadata(
            actor=self.actor.name,
            occurred_at=self.at,
            correlation_id=self.context.correlation_id,
            causation_id=self.context.causation_id or self.context.command_id,
            request_digest=self.context.request_digest,
        )
        new = [
            NewEvent(event=event, metadata=metadata, event_id=self._event_id(stream_id, index))
            for index, event in enumerate(events)
        ]
        stored = [self.mapper.to_stored(event) for event in new]
        expected = loaded.version or NO_STREAM
        state = kind.decider.fold(events, loaded.state)
        then = partial(self._appended, kind, stream_id, events, loaded, state, metadata)
        appends = self.projector.appends_left(self.connection)
        if appends is None:
            then(self.recorder.append(self.connection, stream_id, stored, expected))
            return
        # Left to the write batch, appended with its other commands' events in one statement:
        # what this command decides next sees the stream as the append will leave it.
        appends.leave(self.connection, LeftAppend(stream_id, stored, expected, then))
        self._loaded[stream_id] = Loaded(state, loaded.version + len(events))

    def _appended(
        self,
        kind: Aggregate[S],
        stream_id: str,
        events: Sequence[msgspec.Struct],
        loaded: Loaded[S],
        state: S,
        metadata: Metadata,
        result: AppendResult,
    ) -> None:
        """The events are in the log: the read models' rows, the state, a snapshot if due."""
        if not result.written:
            self.replayed = True
            return
        assert result.recorded_at is not None
        envelopes: list[Recorded[Any]] = [
            Recorded(
                event=event,
                position=position,
                stream_id=stream_id,
                version=loaded.version + offset,
                recorded_at=result.recorded_at,
                occurred_at=metadata.occurred_at,
                actor=metadata.actor,
                correlation_id=metadata.correlation_id,
                causation_id=metadata.causation_id,
            )
            for offset, (position, event) in enumerate(
                zip(result.positions, events, strict=True), start=1
            )
        ]
        batch = self.projector.apply(self.connection, envelopes)
        if batch not in self.batches:
            self.batches.append(batch)
        self.envelopes.extend(envelopes)
        updated = Loaded(state, result.version)
        self._loaded[stream_id] = updated
        last = self._event_id(stream_id, len(events) - 1)  # as ``_append`` gave it
        self.keeping.append((stream_id, KeptState(state, result.version, last)))
        every = self.snapshot_every
        if every and result.version // every > loaded.version // every:
            save_snapshot(self.connection, self.recorder, snapshot_spec(kind), stream_id, updated)


Handler = Callable[[UnitOfWork, Any, int | None], None]
"""``handler(uow, command, expected_version)``: the version applies to the command's own stream."""
