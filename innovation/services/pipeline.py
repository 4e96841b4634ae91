"""The only writer of events: runs a command's handler in one transaction, retried once.

A handler loads, decides and appends in a single transaction. Another process may still
append to the same stream between this transaction's read and its append (PostgreSQL);
the append then fails on the stream's version. The command is run once more on the fresh
state. If it is still valid it goes through; if it is not, the caller gets ``CONFLICT``.
A version the caller asserted (``expectedVersion``) is never retried: a stale one is
``CONFLICT`` at once.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from innovation.domain import EXPERIMENT, IDEA, Aggregate
from innovation.domain.errors import DomainError
from innovation.domain.recorded import Recorded
from innovation.projections import Projector
from innovation.projections.batch import Batch
from innovation.services.errors import ConflictError
from innovation.services.handlers import HANDLERS
from innovation.services.unit_of_work import Actor, CommandContext, UnitOfWork, event_id_of
from innovation.store import (
    AppendRaceError,
    ConcurrencyError,
    Database,
    Deferring,
    KeptStates,
    Mapper,
    Recorder,
    new_event_id,
)
from innovation.store.streams import KeptState


@dataclass(frozen=True)
class Outcome:
    """What a command changed: the events it appended, with their streams, versions, positions.

    ``replayed`` says the command had been applied before (the same ``command_id``) and
    nothing new was written; ``envelopes`` is then empty.
    """

    envelopes: list[Recorded[Any]]
    replayed: bool
    batches: Sequence[Batch] = ()
    """The read models' batches its events went to, written when the command committed (the
    unit of work's own list: a command whose appends its write batch made has them added
    then, after the command returned)."""
    states: Sequence[tuple[str, KeptState[Any]]] = ()
    """The states its appends left on their streams (filled as ``batches`` is), for the
    process to keep once the command is committed (``Pipeline.kept``)."""

    def written(self, table: sa.Table, *key: Any) -> dict[str, Any] | None:
        """The row of ``table`` with this key as the command's batch wrote it, whole, when
        the batch held it; None otherwise (read it from the database then)."""
        for batch in reversed(self.batches):
            row = batch.written(table, key)
            if row is not None:
                return row
        return None

    @property
    def versions(self) -> dict[str, int]:
        """Each stream the command wrote to, and the version it left it at."""
        return {envelope.stream_id: envelope.version for envelope in self.envelopes}

    @property
    def positions(self) -> list[int]:
        return [envelope.position for envelope in self.envelopes]


_KEYS: dict[str, Aggregate[Any]] = {
    "idea_id": IDEA,
    "into_idea_id": IDEA,
    "experiment_id": EXPERIMENT,
}
"""The fields naming what a command writes to (its job's keys, ``Deferring.keys``), and whose
streams those are: those it will read, unless the caller drew the id (``Deferring.reads``)."""


class Pipeline:
    def __init__(
        self,
        database: Database,
        recorder: Recorder,
        mapper: Mapper,
        projector: Projector,
        *,
        themes: tuple[str, ...],
        snapshot_every: int = 0,
        kept: KeptStates | None = None,
    ) -> None:
        self.database = database
        self.recorder = recorder
        self.mapper = mapper
        self.projector = projector
        self.themes = themes
        self.snapshot_every = snapshot_every
        self.kept = KeptStates() if kept is None else kept
        """The states of the streams this process appended to last, for its next commands."""
        self.on_commit: list[Callable[[], None]] = []
        """Told after every command that appended something (wakes the log follower)."""

    async def execute(
        self,
        command: Any,
        actor: Actor,
        *,
        at: datetime,
        expected_version: int | None = None,
        command_id: uuid.UUID | None = None,
        correlation_id: uuid.UUID | None = None,
        causation_id: uuid.UUID | None = None,
        request_digest: str | None = None,
        minted: frozenset[str] = frozenset(),
    ) -> Outcome:
        """Run ``command`` as ``actor`` at ``at``: the caller's clock is the only time it has.

        ``request_digest`` says what a caller-chosen ``command_id`` stands for: a repeat with
        another digest is refused (``CommandIdReusedError``) instead of answered. ``minted``
        names the entity ids the caller made for this command (``CommandContext.minted``):
        their streams are new and are not read (one read fewer for every idea or experiment
        created).
        """
        handler = HANDLERS[type(command)]
        ident = command_id or new_event_id()  # time-ordered: see store/ids.py
        context = CommandContext(
            actor=actor,
            at=at,
            command_id=ident,
            correlation_id=correlation_id or ident,
            causation_id=causation_id,
            repeatable=command_id is not None,
            request_digest=request_digest if command_id is not None else None,
            minted=minted,
        )
        # The read models' rows are left to the write batch (see ``Projector``): handlers
        # decide on their streams alone.
        named = {
            str(getattr(command, name)): kind
            for name, kind in _KEYS.items()
            if hasattr(command, name)
        }
        streams = {key: kind.stream_id(key) for key, kind in named.items()}
        job = Deferring(
            partial(self._run, handler, command, context, expected_version),
            self.projector,
            frozenset(named),
            frozenset(stream for key, stream in streams.items() if key not in minted),
            # a resendable command first asks whether its events are logged (``decide``)
            frozenset(event_id_of(ident, stream, 0) for stream in streams.values())
            if context.repeatable
            else frozenset(),
        )
        outcome = await self._execute(job, expected_version)
        for stream_id, state in outcome.states:  # committed: the log holds what they fold
            self.kept.keep(stream_id, state)
        if outcome.envelopes:
            for listener in self.on_commit:
                listener()
        return outcome

    def run_within(
        self,
        connection: Connection,
        command: Any,
        actor: Actor,
        *,
        at: datetime,
        command_id: uuid.UUID,
        causation_id: uuid.UUID | None = None,
    ) -> Outcome:
        """Run ``command`` in a transaction someone else holds: a checkpointed reader's, so
        that what it writes commits with its checkpoint, or not at all. ``command_id`` is
        derived from what the reader read, so reading it again is recognised as a repeat."""
        context = CommandContext(
            actor=actor,
            at=at,
            command_id=command_id,
            correlation_id=command_id,
            causation_id=causation_id,
            repeatable=True,
        )
        return self._run(HANDLERS[type(command)], command, context, None, connection)

    async def _execute(
        self, job: Callable[[Connection], Outcome], expected_version: int | None
    ) -> Outcome:
        try:
            return await self.database.write(job)
        except (ConcurrencyError, AppendRaceError) as first:
            if expected_version is not None:
                raise ConflictError(str(first), field="expectedVersion") from first
        try:
            return await self.database.write(job)
        except (ConcurrencyError, AppendRaceError) as second:
            raise ConflictError(f"changed by someone else meanwhile: {second}") from second
        except DomainError as refusal:
            raise ConflictError(
                f"changed by someone else meanwhile, and now: {refusal.message}", refusal.field
            ) from refusal

    def _run(
        self,
        handler: Any,
        command: Any,
        context: CommandContext,
        expected_version: int | None,
        connection: Connection,
    ) -> Outcome:
        uow = UnitOfWork(
            connection=connection,
            context=context,
            recorder=self.recorder,
            mapper=self.mapper,
            projector=self.projector,
            themes=self.themes,
            snapshot_every=self.snapshot_every,
            kept=self.kept,
        )
        handler(uow, command, expected_version)
        return Outcome(
            envelopes=uow.envelopes, replayed=uow.replayed, batches=uow.batches, states=uow.keeping
        )
