"""The event store: an append-only log on SQLAlchemy Core, for SQLite and PostgreSQL.

``Database`` runs jobs (functions of a Core connection) in group-committed transactions;
``Recorder`` holds the log's SQL; ``EventStore`` is the async face the services use.
"""

from innovation.store.database import Database, PostgresDatabase, SQLiteDatabase, open_database
from innovation.store.errors import (
    ConcurrencyError,
    DuplicateEventError,
    StoreError,
    UnknownEventTypeError,
)
from innovation.store.event_store import EventStore
from innovation.store.ids import derived_id, new_event_id
from innovation.store.mapper import Event, Mapper, type_name
from innovation.store.recorder import Recorder
from innovation.store.records import (
    ANY,
    NO_STREAM,
    AppendResult,
    Metadata,
    NewEvent,
    RecordedEvent,
    Snapshot,
    StoredEvent,
)
from innovation.store.streams import Loaded, SnapshotSpec

__all__ = [
    "ANY",
    "NO_STREAM",
    "AppendResult",
    "ConcurrencyError",
    "Database",
    "DuplicateEventError",
    "Event",
    "EventStore",
    "Loaded",
    "Mapper",
    "Metadata",
    "NewEvent",
    "PostgresDatabase",
    "RecordedEvent",
    "Recorder",
    "SQLiteDatabase",
    "Snapshot",
    "SnapshotSpec",
    "StoreError",
    "StoredEvent",
    "UnknownEventTypeError",
    "derived_id",
    "new_event_id",
    "open_database",
    "type_name",
]
