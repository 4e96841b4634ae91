"""Keeps every read model up to date from the log: inline with each append, or from zero.

Command handlers call ``Projector.apply`` in the transaction that appends the events, so a
read right after a write sees it. ``rebuild`` clears the read models and replays the whole
log (``store.replay``) in one transaction: on PostgreSQL it first takes the views' locks
(TRUNCATE), which waits for every writer that projected before; a writer that appends
meanwhile waits and projects its own events after the rebuild commits. So, inside that
transaction, the log's end is settled: nothing below it can still commit.
"""

from __future__ import annotations

import gc
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.engine import Connection

import innovation.projections.counts as counts
import innovation.projections.ethics as ethics
import innovation.projections.experiments as experiments
import innovation.projections.ideas as ideas
import innovation.projections.releases as releases
import innovation.projections.search as search
from innovation.domain.recorded import Recorded
from innovation.projections.batch import Batch
from innovation.store import KeptStates, Mapper, RecordedEvent, Recorder, Snapshot
from innovation.store.appends import AppendsLeft
from innovation.store.readers import replay_pages
from innovation.store.streams import KeptState

PROJECTIONS = (counts, ideas, experiments, ethics, search, releases)
FOLDED = (counts, ideas, experiments, ethics, releases)
"""The read models kept by folding events into a ``Batch``; the search index reads
``ideas_view`` once a batch is written (event by event live, once at a rebuild's end). The
pipeline's counts come first: they follow the ideas' rows from the moment those are loaded."""
TABLES: tuple[sa.Table, ...] = (
    *counts.TABLES,
    *ideas.TABLES,
    *experiments.TABLES,
    *ethics.TABLES,
    *releases.TABLES,
)

Projection = ModuleType
"""A read model's module: ``prefetch(batch, envelopes)`` loads the rows the events will change,
``fold(batch, envelope)`` applies one of its ``FOLDED_EVENTS`` to them."""
Fold = Callable[[Batch, Recorded[Any]], None]


def _folds(projections: tuple[Projection, ...]) -> dict[type, tuple[Fold, ...]]:
    """Each event type's folds, so an event meets only the read models it changes."""
    folds: dict[type, tuple[Fold, ...]] = {}
    for projection in projections:
        for kind in projection.FOLDED_EVENTS:
            folds[kind] = (*folds.get(kind, ()), projection.fold)
    return folds


FOLDS = _folds(FOLDED)
Progress = Callable[[int, int], None]
"""Told (events done, events in all) as a rebuild goes."""

REBUILD_CACHE_KIB = 64 * 1024
"""SQLite's page cache during a rebuild: the views' indexes are written all over, and the
default 2 MB makes each page of events read back pages it has just evicted."""


class Ahead(NamedTuple):
    """A stream as a write batch read it ahead for the command that will load it: its snapshot
    and the events after it, or, given the state the process kept of it (``kept``), its events
    from that state's version on."""

    snapshot: Snapshot | None
    records: list[RecordedEvent]
    kept: KeptState[Any] | None = None


@dataclass
class _Left:
    """What the commands of one write batch left to it: their events, folded into one
    ``Batch`` when it finishes (then the search index's changes, which read ``ideas_view``
    once that batch is written), and, where the log appends several streams in one statement,
    their appends (``store/appends.py``), made first."""

    batch: Batch
    appends: AppendsLeft | None
    unfolded: list[Recorded[Any]] = field(default_factory=list)
    """The commands' events, folded together when the batch finishes: the rows they change
    are read in a statement or two per table for the batch rather than per command."""
    events: int = 0
    ahead: dict[str, Ahead] = field(default_factory=dict)
    """Streams the batch's commands will load, read at once (``read_ahead``), until loaded."""
    logged: dict[uuid.UUID, RecordedEvent | None] = field(default_factory=dict)
    """The resend checks' event ids looked up at once (``read_ahead``), with the event logged
    under each (None: none), until asked."""


class Projector:
    """Applies a command's events to every read model in its own transaction; when its write
    batch has opened it (``Deferred``, see ``store/database.py``), folds them into the rows the
    batch's commands share, written once for them all before the batch commits: a statement or
    two per table per batch rather than per command. Commands read nothing of the read models
    in their transaction, so leaving their rows to the end changes no decision."""

    def __init__(
        self, mapper: Mapper, recorder: Recorder | None = None, kept: KeptStates | None = None
    ) -> None:
        self.mapper = mapper
        self.recorder = recorder
        """The log's SQL, when commands may leave their appends to their write batch (on a
        backend that makes several in one statement)."""
        self.kept = kept
        """The states the process kept of streams (its pipeline's): a batch reads those streams
        ahead from their kept states' versions on."""
        self._left: dict[int, _Left] = {}

    def apply(self, connection: Connection, events: Sequence[Recorded[Any]]) -> Batch:
        """Apply events in order to every read model: one command's events are one batch,
        unless its write batch takes them (``open``). Returns the batch, which holds the rows
        it wrote once written (``Batch.written``)."""
        left = self._left.get(id(connection))
        if left is not None:
            left.events += len(events)
            left.unfolded += events
            return left.batch
        batch = Batch(connection)
        _fold_into(batch, events)
        indexed = search.index_along(batch, events)
        _write(connection, batch, indexed)
        return batch

    # -- what a write batch's commands leave to it (the ``Deferred`` protocol) -----------------

    def appends_left(self, connection: Connection) -> AppendsLeft | None:
        """Where a command in this connection's write batch leaves its appends, if it may."""
        left = self._left.get(id(connection))
        return None if left is None else left.appends

    def read_ahead(
        self,
        connection: Connection,
        streams: frozenset[str],
        resends: frozenset[uuid.UUID] = frozenset(),
    ) -> None:
        """Read the streams the batch's commands will load, in one statement, and look up the
        event ids their resend checks ask for, in another, where their appends are made
        together too (PostgreSQL): a round trip each for the batch rather than one a command."""
        left = self._left[id(connection)]
        if left.appends is None:
            return
        recorder = left.appends.recorder
        if streams:
            kept = {}
            if self.kept is not None:
                kept = {s: k for s in streams if (k := self.kept.get(s)) is not None}
            since = {stream_id: state.version for stream_id, state in kept.items()}
            read = recorder.read_ahead(connection, sorted(streams), since)
            left.ahead = {
                stream_id: Ahead(snapshot, records, kept.get(stream_id))
                for stream_id, (snapshot, records) in read.items()
            }
        if resends:
            found = recorder.events_by_ids(connection, sorted(resends))
            left.logged = {event_id: found.get(event_id) for event_id in resends}

    def logged_ahead(
        self, connection: Connection, event_id: uuid.UUID
    ) -> tuple[bool, RecordedEvent | None]:
        """Whether ``event_id`` was looked up for the batch, and the event logged under it,
        once: whoever asks next asks the log again, since the command asking now may log it
        (the same request twice in one batch: the second must find the first's events)."""
        left = self._left.get(id(connection))
        if left is None or event_id not in left.logged:
            return False, None
        return True, left.logged.pop(event_id)

    def read_ahead_of(self, connection: Connection, stream_id: str) -> Ahead | None:
        """The stream as read ahead for the batch, once: whoever loads it next has it read
        again, since the command loading it now may append to it."""
        left = self._left.get(id(connection))
        return None if left is None else left.ahead.pop(stream_id, None)

    def open(self, connection: Connection) -> None:
        recorder = self.recorder
        together = recorder is not None and recorder.appends_together
        appends = AppendsLeft(recorder) if recorder is not None and together else None
        self._left[id(connection)] = _Left(Batch(connection), appends)

    def left(self, connection: Connection) -> int:
        left = self._left[id(connection)]
        return left.events + (0 if left.appends is None else left.appends.events)

    def finish(self, connection: Connection) -> None:
        left = self._left[id(connection)]
        if left.appends is not None:
            left.appends.make(connection)  # the commands' events, with their positions
        del self._left[id(connection)]
        _fold_into(left.batch, left.unfolded)
        _write(connection, left.batch, search.index_along(left.batch, left.unfolded))

    def discard(self, connection: Connection) -> None:
        self._left.pop(id(connection), None)

    def rebuild(
        self,
        connection: Connection,
        recorder: Recorder,
        progress: Progress | None = None,
        page_size: int = 5000,
    ) -> int:
        """Clear every read model and replay the log into it, a page per batch; return the
        events replayed."""
        clear(connection)
        total = recorder.last_position(connection)
        done = 0
        index = search.Reindex()
        # The indexes are made again outside the larger page cache: SQLite sorts an index's
        # keys in as much memory as the page cache may hold before it spills them to a file,
        # and the two at once took the rebuild's peak from 218 to 290 MB on the bench's data set.
        with (
            _lookups_set_aside(connection, TABLES),
            _page_cache(connection, REBUILD_CACHE_KIB),
            _heap_set_aside(),
        ):
            for page in replay_pages(connection, recorder, up_to=total, page_size=page_size):
                envelopes = [self.mapper.recorded(record) for record in page]
                fold(connection, envelopes)
                index.note(envelopes)
                done += len(page)
                if progress is not None:
                    progress(done, total)
            index.write(connection)
        return done


def _write(connection: Connection, batch: Batch, indexed: Sequence[Recorded[Any]]) -> None:
    """Write the folded rows, then index what reads them back (revisions; every submission on
    SQLite, whose full-text index takes a statement of its own)."""
    batch.flush()
    search.apply_all(connection, indexed)


def fold(connection: Connection, events: Sequence[Recorded[Any]]) -> None:
    """Fold events in order into every folded read model, then write them a table at a time.

    Each projection first loads the rows the events will change (a statement or two per
    table), so folding itself reads nothing row by row.
    """
    batch = Batch(connection)
    _fold_into(batch, events)
    batch.flush()


def _fold_into(batch: Batch, events: Sequence[Recorded[Any]]) -> None:
    for projection in FOLDED:
        projection.prefetch(batch, events)
    folds = FOLDS.get
    for envelope in events:
        for fold_one in folds(type(envelope.event), ()):
            fold_one(batch, envelope)


REBUILD_YOUNG_COLLECTION_EVERY = 50_000
"""How many more container objects than were freed a rebuild makes between two collections of
the youngest generation (Python's default: 700). A page of the log being folded holds tens of
thousands of objects at once, all of them freed by the page's end: every 700 the collector
walked them and moved them on to be walked again. Rebuilding the bench's data set (1,084,022
events; three rebuilds of each in turn on SQLite, two on PostgreSQL): 7,416 collections taking
1.3 to 1.6 s with Python's default on SQLite, 9,062 taking 1.9 to 2.1 s on PostgreSQL; with
this, 3 and 1, 0.01 to 0.05 s, the longest 23 ms. The peak resident memory stayed as it was
(210 MB on SQLite against 214 in the bench's run with the default, 150 on PostgreSQL)."""


@contextmanager
def _heap_set_aside() -> Iterator[None]:
    """The collector set for a rebuild while it runs, as it was after.

    The objects the process held before are kept out of its full passes (``gc.freeze``), given
    back after. A rebuild makes and drops rows by the million: its full collections walked the
    whole start-up heap each time (55 of them, 2.2 s of a 56 s rebuild of the bench's data set;
    0.2 s with it set aside). A process that froze its heap already (``innovation serve``, at
    start-up) is left as it is. And the youngest generation is collected every
    ``REBUILD_YOUNG_COLLECTION_EVERY`` objects, or as seldom as the process had it."""
    thresholds = gc.get_threshold()
    gc.set_threshold(max(thresholds[0], REBUILD_YOUNG_COLLECTION_EVERY), *thresholds[1:])
    frozen = gc.get_freeze_count() > 0
    if not frozen:
        gc.freeze()
    try:
        yield
    finally:
        if not frozen:
            gc.unfreeze()
        gc.set_threshold(*thresholds)


_INDEXES = {
    "sqlite": sa.text(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = :table"
        " AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%'"
    ),
    "postgresql": sa.text(
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()"
        " AND tablename = :table AND indexdef NOT LIKE 'CREATE UNIQUE%'"
    ),
}
"""Each backend's secondary indexes of a table that hold no unique constraint (a primary key,
a unique constraint or index is never one of them): name, and the statement that made it."""


@contextmanager
def _lookups_set_aside(connection: Connection, tables: Sequence[sa.Table]) -> Iterator[None]:
    """The read models' secondary indexes dropped for the work inside and made again after it,
    each by the statement that had made it, in the same transaction: a rebuild writes every row
    into each of them one at a time, and an index made once over the finished table costs a
    fraction of that. Folding reads rows by their primary key alone, which stays. Nothing else
    sees the tables meanwhile (the rebuild holds them from its first statement), and if the
    work fails, the transaction's rollback brings the indexes back with the rows."""
    found = _INDEXES[connection.dialect.name]
    kept = [
        (str(name), str(made))
        for table in tables
        for name, made in connection.execute(found, {"table": table.name}).all()
    ]
    quote = connection.dialect.identifier_preparer.quote
    for name, _ in kept:
        connection.exec_driver_sql(f"DROP INDEX {quote(name)}")
    yield
    for _, made in kept:
        connection.exec_driver_sql(made)


@contextmanager
def _page_cache(connection: Connection, kib: int) -> Iterator[None]:
    """A larger SQLite page cache for the work inside, the connection's own restored after."""
    if connection.dialect.name != "sqlite":
        yield
        return
    before = connection.exec_driver_sql("PRAGMA cache_size").scalar_one()
    connection.exec_driver_sql(f"PRAGMA cache_size=-{int(kib)}")
    try:
        yield
    finally:
        connection.exec_driver_sql(f"PRAGMA cache_size={int(before)}")


def clear(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        names = ", ".join(table.name for table in TABLES)
        connection.exec_driver_sql(f"TRUNCATE {names}")
    else:
        for table in TABLES:
            connection.execute(table.delete())
    search.clear(connection)


def snapshot_tables(connection: Connection) -> dict[str, list[tuple[object, ...]]]:
    """Every read-model row, sorted: two databases with equal snapshots have equal read models.

    The pipeline's counts as their sums over slots: which slot holds what depends on which
    transactions ran at once, the sums do not."""
    return {
        table.name: counts.snapshot(connection)
        if table is counts.pipeline_counts_view
        else sorted((tuple(row) for row in connection.execute(sa.select(table))), key=repr)
        for table in TABLES
    }
