"""The event store: an append-only log on SQLAlchemy Core, for SQLite and PostgreSQL.

There is one way in and one way along. ``Database`` runs jobs (functions of a Core
connection) in group-committed transactions; ``Recorder`` (``database.recorder()``) is the
log's SQL that those jobs call, to append and to read, whether the job is a command's unit of
work, a contract test or the benchmark. ``Log`` and ``Readers`` (``store/readers.py``) are how
everything that follows the log reads it: settled, replayed in pages, checkpointed.

Modules: ``database`` (jobs and group commit), ``log`` (the SQL both backends share),
``sqlite`` and ``postgres`` (one file per backend), ``appends`` and ``pg_batches`` (a write
batch's appends made together), ``backends`` (opening a URL),
``readers`` and ``leases`` (readers of the log), ``streams`` (loading and snapshots),
``mapper`` and ``records`` (what is stored), ``follow`` (one tail per process).
"""

from innovation.store.backends import open_database
from innovation.store.database import Database, Deferring
from innovation.store.errors import (
    ConcurrencyError,
    DuplicateEventError,
    StoreError,
    UnknownEventTypeError,
)
from innovation.store.ids import derived_id, new_event_id
from innovation.store.leases import Lease, LeaseLostError
from innovation.store.log import AppendRaceError, Clock, Recorder, utcnow
from innovation.store.mapper import Event, Mapper, type_name
from innovation.store.postgres import PostgresDatabase
from innovation.store.readers import CheckpointedReader, Failures, Log, Readers, replay
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
from innovation.store.sqlite import SQLiteDatabase
from innovation.store.streams import KeptStates, Loaded, SnapshotSpec

__all__ = [
    "ANY",
    "NO_STREAM",
    "AppendRaceError",
    "AppendResult",
    "CheckpointedReader",
    "Clock",
    "ConcurrencyError",
    "Database",
    "Deferring",
    "DuplicateEventError",
    "Event",
    "Failures",
    "KeptStates",
    "Lease",
    "LeaseLostError",
    "Loaded",
    "Log",
    "Mapper",
    "Metadata",
    "NewEvent",
    "PostgresDatabase",
    "Readers",
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
    "replay",
    "type_name",
    "utcnow",
]
