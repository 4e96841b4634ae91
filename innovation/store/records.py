"""The store's plain vocabulary: what goes in, what comes out, and how versions are expected."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, Final

import msgspec

from innovation.store.tables import utc_instant

NO_STREAM: Final = -1
"""Expected version meaning "the stream must not exist yet"."""
ANY: Final = -2
"""Expected version meaning "append whatever the stream's version is"."""


class Metadata(msgspec.Struct, frozen=True, kw_only=True):
    """Who, when and why: carried by every event."""

    actor: str
    occurred_at: datetime
    correlation_id: uuid.UUID
    causation_id: uuid.UUID | None = None
    request_digest: str | None = None
    """What a caller-chosen command id was first used for, so a reuse for another is refused."""


class NewEvent(msgspec.Struct, frozen=True, kw_only=True):
    """A domain event on its way into the log, with its identity and metadata."""

    event: msgspec.Struct
    metadata: Metadata
    event_id: uuid.UUID


class StoredEvent(msgspec.Struct, frozen=True, kw_only=True):
    """An event serialised for storage, before the log gives it a position."""

    event_id: uuid.UUID
    type: str
    schema_version: int
    data: bytes
    metadata: bytes


class RecordedEvent(msgspec.Struct, frozen=True, kw_only=True, array_like=True, gc=False):
    """A row of the log as read back: bytes untouched, decoded by the mapper on demand.

    Array-like, so a page of driver rows becomes events in one ``msgspec.convert`` call. The
    event id and the time, too, stay as the driver returned them until asked for (building a
    ``UUID`` would cost a reader of the whole log a quarter of its time, and most readers never
    look). Rows hold only immutable values, so they are kept out of the cyclic garbage
    collector (``gc=False``): a page of them no longer triggers collections that walk the
    whole heap of a busy process.
    """

    position: int
    stream_id: str
    version: int
    type: str
    schema_version: int
    data: bytes
    metadata: bytes
    raw_recorded_at: Any
    """The instant as stored: an aware ``datetime`` (PostgreSQL) or naive UTC text (SQLite)."""
    raw_event_id: Any
    """The id as stored: a ``UUID`` (PostgreSQL) or its 32 hex digits (SQLite)."""

    @property
    def recorded_at(self) -> datetime:
        raw = self.raw_recorded_at
        if isinstance(raw, datetime):
            return raw if raw.tzinfo is not None else raw.replace(tzinfo=UTC)
        return utc_instant(raw)

    @property
    def event_id(self) -> uuid.UUID:
        raw = self.raw_event_id
        return raw if isinstance(raw, uuid.UUID) else uuid.UUID(raw)


class AppendResult(msgspec.Struct, frozen=True):
    """The stream's version after the append and the global position of each appended event.

    ``written`` is false when the append repeated events already in the log (same ids): it is
    acknowledged with their original version and positions, and nothing is written again.
    """

    version: int
    positions: tuple[int, ...]
    written: bool = True
    recorded_at: datetime | None = None
    """When the log took the events (``None`` for a repeat: nothing was recorded now)."""


class Snapshot(msgspec.Struct, frozen=True, kw_only=True):
    """A stream's folded state at a version, serialised; a cache that replay can always rebuild."""

    stream_id: str
    version: int
    type: str
    schema_version: int
    data: bytes
    recorded_at: datetime
