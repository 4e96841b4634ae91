"""Load an events export into an empty database: the same events, then the same read models.

Each event is appended as it was stored (its id, stream, version, type, schema version, data,
metadata and recording time), checked as the store's append checks a command's events (after
its stream's head, new to the log), a thousand at a time (``Recorder.restore_together``: on
PostgreSQL a write batch's statement with each event's recording time, on SQLite one
``executemany``); where one of them is refused, those thousand are made again one at a time,
through the store's append, so the first refused is named by its line. The bench's 1,084,022
events, projection included: 404 s into PostgreSQL a round trip an event, 96 to 110 s a
thousand at a time; 98 s into SQLite one at a time, 68 s a thousand at a time. Then every read
model is made from the log as ``innovation projections rebuild`` makes it, a page of events at
a time, all in one transaction: a restore that stops writes nothing.
(Projecting each event as it was appended took five times as long: 295 s for the bench's
1,084,022 events on SQLite.) The log must be empty, so positions come out as they were in a log
without gaps; where the source had gaps (a rolled-back PostgreSQL append), the report says how
many events were renumbered.

The shipping reader's checkpoint is not in the log, but its work is: it resumes after the last
release the log shows shipped (``ShippedReleases``), so no past digest is queued again.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import msgspec
from sqlalchemy.engine import Connection

from innovation.bootstrap import Services
from innovation.domain.recorded import Recorded
from innovation.releases.shipping import NAME as SHIPPING_READER
from innovation.releases.shipping import ShippedReleases
from innovation.seed import SeedClock
from innovation.store import NO_STREAM, RecordedEvent, StoredEvent, StoreError, leases
from innovation.store.appends import AppendsRefusedError
from innovation.transfer.exports import ExportedEvent

BATCH = 1_000
"""Events appended together (``Recorder.restore_together``), and between two reports of
progress."""


class RestoreError(ValueError):
    """The export cannot be restored here; nothing of it was written."""


@dataclass(frozen=True)
class RestoreReport:
    events: int
    renumbered: int
    """Events whose position differs from the export's (the source's log had gaps)."""


async def restore(
    services: Services,
    clock: SeedClock,
    events: Iterable[tuple[int, ExportedEvent]],
    progress: Callable[[int], None] = lambda done: None,
    projecting: Callable[[int, int], None] = lambda done, total: None,
) -> RestoreReport:
    """Append ``events`` (line, event) to the empty log of ``services``, built with ``clock``,
    then project them; ``progress`` hears of the events appended, ``projecting`` of those
    projected (and of how many there are)."""
    existing = await services.store.last_position()
    if existing:
        raise RestoreError(
            f"the database already holds {existing} events: restore needs an empty one"
        )

    def job(connection: Connection) -> RestoreReport:
        done = renumbered = 0
        shipped = ShippedReleases()
        batch: list[tuple[int, ExportedEvent]] = []

        def append_batch() -> None:
            nonlocal done, renumbered
            for recorded, event in _append_batch(services, clock, connection, batch):
                renumbered += recorded.position != event.position
                shipped.note(recorded)
            done += len(batch)
            batch.clear()
            progress(done)

        for line, event in events:
            batch.append((line, event))
            if len(batch) == BATCH:
                append_batch()
        append_batch()
        services.projector.rebuild(connection, services.store.recorder, projecting)
        # what the source's shipping reader did is in the log: it resumes after it, not from 0
        leases.fast_forward(connection, SHIPPING_READER, shipped.through, now=datetime.now(UTC))
        return RestoreReport(events=done, renumbered=renumbered)

    return await services.database.write(job)


LARGEST = 2**31 - 1
"""The largest version and schema version the log's columns hold (32-bit integers)."""
_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")
"""A NUL written as JSON writes it (an escaped backslash before ``u0000`` is not one)."""


def unstorable(event: ExportedEvent) -> str | None:
    """What in ``event`` no log of this service holds, or None: an export it wrote never has
    it, and PostgreSQL would refuse it (its text holds no NUL, its integers 32 bits) while
    SQLite took it."""
    for name, number in (("version", event.version), ("schema_version", event.schema_version)):
        if not 1 <= number <= LARGEST:
            return f"{name} {number} is not one the log writes (1 to {LARGEST:,})"
    for name, text in (("stream_id", event.stream_id), ("type", event.type)):
        if "\x00" in text:
            return f"{name} holds a NUL, which no text of the log holds"
    for name, raw in (("data", event.data), ("metadata", event.metadata)):
        written = bytes(raw)  # the look-behind tries every byte: asked only where one may be
        if b"\\u0000" in written and _NUL.search(written):
            return f"{name} holds a NUL (\\u0000), which no text of the log holds"
    return None


def _append_batch(
    services: Services,
    clock: SeedClock,
    connection: Connection,
    batch: list[tuple[int, ExportedEvent]],
) -> list[tuple[Recorded, ExportedEvent]]:
    """Append ``batch`` (line, event) together; when anything in it is refused, one event at
    a time, so that the first event refused is named by its line, as a restore one by one
    names it. The events as the log now holds them."""
    if batch and not any(unstorable(event) for _, event in batch):
        rows = [
            (event.stream_id, event.version, event.recorded_at, _stored(event))
            for _, event in batch
        ]
        try:
            positions = services.store.recorder.restore_together(connection, rows)
        except AppendsRefusedError:  # nothing of the batch written
            pass
        else:
            return [
                (_recorded(services, line, event, stored, position), event)
                for (line, event), (*_, stored), position in zip(
                    batch, rows, positions, strict=True
                )
            ]
    return [(_append(services, clock, connection, line, event), event) for line, event in batch]


def _append(
    services: Services, clock: SeedClock, connection: Connection, line: int, event: ExportedEvent
) -> Recorded:
    """Append one event; the event as the log now holds it (decoded: one that cannot be is
    refused here, naming its line, as is one no log holds)."""
    if (problem := unstorable(event)) is not None:
        raise RestoreError(f"line {line}: {problem}")
    clock.now = event.recorded_at
    stored = _stored(event)
    expected = event.version - 1 if event.version > 1 else NO_STREAM
    try:
        result = services.store.recorder.append(connection, event.stream_id, [stored], expected)
    except StoreError as error:
        raise RestoreError(f"line {line}: {error}") from error
    if not result.written:
        raise RestoreError(f"line {line}: event {event.event_id} appears twice")
    [position] = result.positions
    return _recorded(services, line, event, stored, position)


def _stored(event: ExportedEvent) -> StoredEvent:
    return StoredEvent(
        event_id=event.event_id,
        type=event.type,
        schema_version=event.schema_version,
        data=bytes(event.data),
        metadata=bytes(event.metadata),
    )


def _recorded(
    services: Services, line: int, event: ExportedEvent, stored: StoredEvent, position: int
) -> Recorded:
    """The event appended at ``position``, decoded (one that cannot be is refused, naming
    its line)."""
    record = RecordedEvent(
        position=position,
        stream_id=event.stream_id,
        version=event.version,
        type=event.type,
        schema_version=event.schema_version,
        data=stored.data,
        metadata=stored.metadata,
        raw_recorded_at=event.recorded_at,
        raw_event_id=event.event_id,
    )
    try:
        return services.store.recorded(record)
    except (StoreError, msgspec.DecodeError) as error:
        raise RestoreError(f"line {line}: {error}") from error
