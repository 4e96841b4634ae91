"""Keeps every read model up to date from the log: inline with each append, or from zero.

Command handlers call ``Projector.apply`` in the transaction that appends the events, so a
read right after a write sees it. ``rebuild`` clears the read models and replays the whole
log in one transaction: on PostgreSQL it first takes the views' locks (TRUNCATE), so a
writer that appends meanwhile waits and projects its own events after the rebuild commits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from innovation.projections import ethics, experiments, ideas, search
from innovation.projections.envelope import Envelope
from innovation.store import Mapper
from innovation.store.recorder import Recorder

PROJECTIONS = (ideas, experiments, ethics, search)
TABLES: tuple[sa.Table, ...] = (*ideas.TABLES, *experiments.TABLES, *ethics.TABLES)

Progress = Callable[[int, int], None]
"""Told (events done, events in all) as a rebuild goes."""


class Projector:
    def __init__(self, mapper: Mapper) -> None:
        self.mapper = mapper

    def apply(self, connection: Connection, envelopes: Iterable[Envelope]) -> None:
        for envelope in envelopes:
            for projection in PROJECTIONS:
                projection.apply(connection, envelope)

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
        after = 0
        while True:
            page = recorder.read_committed_page(connection, after, page_size)
            if not page:
                break
            self.apply(connection, (Envelope.of(self.mapper, record) for record in page))
            after = page[-1].position
            done += len(page)
            if progress is not None:
                progress(done, max(total, done))
        return done


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
