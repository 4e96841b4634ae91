"""Keeps every read model up to date from the log: inline with each append, or from zero.

Command handlers call ``Projector.apply`` in the transaction that appends the events, so a
read right after a write sees it. ``rebuild`` clears the read models and replays the whole
log (``store.replay``) in one transaction: on PostgreSQL it first takes the views' locks
(TRUNCATE), which waits for every writer that projected before; a writer that appends
meanwhile waits and projects its own events after the rebuild commits. So, inside that
transaction, the log's end is settled: nothing below it can still commit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from types import ModuleType
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

import innovation.projections.ethics as ethics
import innovation.projections.experiments as experiments
import innovation.projections.ideas as ideas
import innovation.projections.releases as releases
import innovation.projections.search as search
from innovation.domain.experiments import MeasurementRecorded
from innovation.domain.recorded import Recorded
from innovation.store import Mapper, Recorder
from innovation.store.readers import replay_pages

PROJECTIONS = (ideas, experiments, ethics, search, releases)
REBUILT = tuple(p for p in PROJECTIONS if p is not search)
"""A rebuild writes the search index once at its end (``search.Reindex``)."""
TABLES: tuple[sa.Table, ...] = (
    *ideas.TABLES,
    *experiments.TABLES,
    *ethics.TABLES,
    *releases.TABLES,
)

Projection = ModuleType
"""A read model's module: ``apply(connection, envelope)`` projects one event."""
Progress = Callable[[int, int], None]
"""Told (events done, events in all) as a rebuild goes."""


class Projector:
    def __init__(self, mapper: Mapper) -> None:
        self.mapper = mapper

    def apply(self, connection: Connection, events: Iterable[Recorded[Any]]) -> None:
        """Apply events in order to every read model."""
        _project(connection, events, PROJECTIONS)

    def rebuild(
        self,
        connection: Connection,
        recorder: Recorder,
        progress: Progress | None = None,
        page_size: int = 2000,
    ) -> int:
        """Clear every read model and replay the log into it; return the events replayed."""
        clear(connection)
        total = recorder.last_position(connection)
        done = 0
        index = search.Reindex()
        for page in replay_pages(connection, recorder, up_to=total, page_size=page_size):
            envelopes = [self.mapper.recorded(record) for record in page]
            _project(connection, envelopes, REBUILT)
            index.note(envelopes)
            done += len(page)
            if progress is not None:
                progress(done, total)
        index.write(connection)
        return done


def _project(
    connection: Connection, events: Iterable[Recorded[Any]], projections: tuple[Projection, ...]
) -> None:
    """Apply events in order; a run of measurements reaches its read model in one go.

    No other read model reads the experiments' tables, so holding a run of
    ``MeasurementRecorded`` back until the next other event changes nothing but speed.
    """
    others = tuple(p for p in projections if p is not experiments)
    measurements: list[Recorded[Any]] = []
    for envelope in events:
        if isinstance(envelope.event, MeasurementRecorded):
            measurements.append(envelope)
            for projection in others:
                projection.apply(connection, envelope)
            continue
        if measurements:
            experiments.apply_measurements(connection, measurements)
            measurements = []
        for projection in projections:
            projection.apply(connection, envelope)
    experiments.apply_measurements(connection, measurements)


def clear(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        names = ", ".join(table.name for table in TABLES)
        connection.exec_driver_sql(f"TRUNCATE {names}")
    else:
        for table in TABLES:
            connection.execute(table.delete())
    search.clear(connection)


def snapshot_tables(connection: Connection) -> dict[str, list[tuple[object, ...]]]:
    """Every read-model row, sorted: two databases with equal snapshots have equal read models."""
    return {
        table.name: sorted((tuple(row) for row in connection.execute(sa.select(table))), key=repr)
        for table in TABLES
    }
