"""The pipeline's figures kept as counts, so ``pipeline`` reads a few hundred rows, not every idea.

Each idea counts under its stage; an idea not merged into another also counts once among all
ideas, under its source kind, its country and each of its themes, and among the external ones
when it came from outside. Every idea, merged or not, also counts under its stage together with
its source kind, its country and each of its themes (``BY_STAGE``), for a lead's filter on a
facet within some stages: counting a theme's ideas in the screening stage one by one took 28 ms
on SQLite and 20 on PostgreSQL at 100,000 ideas.

When a batch writes ``ideas_view``, this projection compares each row it changed with the row
as stored and adds the difference to the counts (``contribution`` says what one row counts
for, so the rule is written once).

Why the counts are kept in slots
--------------------------------
Every command adds to the same few counts (all ideas, the stage ``SUBMITTED``), and on
PostgreSQL several processes write at once, each several commands per transaction. One row per
count would make every writer wait for the others to commit and deadlock when two lock the same
counts in different orders (``telling.py`` avoids such rows for the same reason). So each
transaction adds to the rows of one *slot* it holds alone: it takes a transaction-scoped
advisory lock on the lowest free slot (``pg_try_advisory_xact_lock``), and no other transaction
writes that slot's rows until it ends. A count is the sum over the slots; a slot a transaction
left keeps its sums for the next one that takes it. Taking the lowest free slot keeps the slots
in use as few as the write transactions ever open at once (two per process by default), so the
rows ``pipeline`` sums stay a few times the counts, whatever processes came and went
(``fold_slots`` gathers rows left in other slots into slot 0). SQLite has one writer at a time:
slot 0.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from innovation.domain.recorded import Recorded
from innovation.domain.values import Stage
from innovation.projections.batch import Batch
from innovation.projections.ideas import ideas_view
from innovation.projections.together import Write
from innovation.store.driver_rows import driver_rows
from innovation.store.log import LAST_POSITION
from innovation.store.tables import metadata

pipeline_counts_view = sa.Table(
    "pipeline_counts_view",
    metadata,
    sa.Column("slot", sa.Integer, nullable=False),
    sa.Column("facet", sa.String(20), nullable=False),
    sa.Column("key", sa.String(100), nullable=False),
    sa.Column("ideas", sa.Integer, nullable=False),
    # By facet first: a read of some facets' counts (the pipeline's, a theme's within stages)
    # finds them in the key, where keyed by slot first it read every count (``0017``).
    sa.PrimaryKeyConstraint("facet", "key", "slot"),
)
TABLES = (pipeline_counts_view,)
FOLDED_EVENTS: tuple[type, ...] = ()
"""No event of its own: it follows what the ideas' projection writes."""

STAGE, IDEAS, EXTERNAL, SOURCE_KIND, COUNTRY, THEME = (
    "stage",
    "ideas",
    "external",
    "source_kind",
    "country",
    "theme",
)
BY_STAGE = {
    THEME: "stage_theme",
    SOURCE_KIND: "stage_source_kind",
    COUNTRY: "stage_country",
}
"""The facet counting a theme, source kind or country within each stage; a key is
``by_stage_key(stage, key)``."""
PIPELINE_FACETS = (COUNTRY, EXTERNAL, IDEAS, SOURCE_KIND, STAGE, THEME)
"""The facets the pipeline's figures show (not ``BY_STAGE``'s)."""
COUNTED = ("stage", "source_kind", "country", "external", "themes")
"""The columns of ``ideas_view`` an idea's counts depend on."""
SLOTS = 64
"""Slots PostgreSQL's writers spread over; more transactions at once wait for one."""
LOCK_CLASS = 0x1DEA
"""The first key of the slots' advisory locks (the second is the slot)."""
_MERGED = str(Stage.MERGED)
_TAKE_SLOT = sa.text(
    "SELECT (s + :start) % :slots FROM generate_series(0, :slots - 1) AS s"
    " WHERE pg_try_advisory_xact_lock(:lock, (s + :start) % :slots) LIMIT 1"
)
_WAIT_FOR_SLOT = sa.text("SELECT pg_advisory_xact_lock(:lock, :slot)")
_ADD = sa.text(
    "INSERT INTO pipeline_counts_view (slot, facet, key, ideas)"
    " VALUES (:slot, :facet, :key, :ideas) ON CONFLICT (slot, facet, key)"
    " DO UPDATE SET ideas = pipeline_counts_view.ideas + excluded.ideas"
)


_COLUMNS = ("slot", "facet", "key", "ideas")
_t = pipeline_counts_view.c
_SUMS = sa.select(_t.facet, _t.key, sa.func.sum(_t.ideas)).group_by(_t.facet, _t.key)
PIPELINE_ROWS_AND_END = sa.union_all(
    sa.select(
        sa.null().cast(_t.facet.type),
        sa.null().cast(_t.key.type),
        LAST_POSITION.scalar_subquery(),
    ),
    # The facets are written into the statement, which is compiled once: as bound values of an
    # ``IN`` list, it was rendered again at every execution.
    sa.select(_t.facet, _t.key, _t.ideas.cast(sa.BigInteger)).where(
        _t.facet.in_([sa.literal_column(f"'{f}'") for f in PIPELINE_FACETS])
    ),
)
"""Every slot's row of the counts the pipeline shows and, in a row whose facet is NULL, the
log's end: both of one snapshot. The rows are summed here: a ``GROUP BY`` over a few dozen rows
cost PostgreSQL 108 to 138 µs of CPU a statement against 75 to 80 without it (``SELECT 1``: 25
to 35), and SQLite 54 against 33 (the bench's data set: 53 rows in two slots, 48 on SQLite)."""


def by_stage_key(stage: str, key: str) -> str:
    """The key of ``key`` (a theme, source kind or country) within ``stage``."""
    return f"{stage}/{key}"


def contribution(row: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The counts one ``ideas_view`` row adds one to."""
    stage = row["stage"]
    themes = dict.fromkeys(row["themes"])
    counted = [
        (STAGE, stage),
        (BY_STAGE[SOURCE_KIND], by_stage_key(stage, row["source_kind"])),
        (BY_STAGE[COUNTRY], by_stage_key(stage, row["country"])),
        *((BY_STAGE[THEME], by_stage_key(stage, theme)) for theme in themes),
    ]
    if stage == _MERGED:
        return counted
    counted += [(IDEAS, ""), (SOURCE_KIND, row["source_kind"]), (COUNTRY, row["country"])]
    if row["external"]:
        counted.append((EXTERNAL, ""))
    counted += [(THEME, theme) for theme in themes]
    return counted


def prefetch(batch: Batch, envelopes: Sequence[Recorded]) -> None:
    """Keep the stored rows of the ideas a batch loads, and count the difference at its flush.

    Runs before the ideas' projection loads anything (it comes first in the projector)."""
    batch[ideas_view].keep_stored(COUNTED)
    batch.before_flush(_count_changes)


def _count_changes(batch: Batch) -> None:
    changes: Counter[tuple[str, str]] = Counter()
    for stored, now in batch[ideas_view].stored_and_current():
        if stored is not None:
            changes.subtract(contribution(stored))
        if now is not None:
            changes.update(contribution(now))
    rows = _added(batch.connection, changes)
    if not rows:
        return
    if batch.together:  # in the flush's statement: one round trip fewer
        batch.write_along(Write(pipeline_counts_view, None, _COLUMNS, rows, adding=("ideas",)))
    else:
        batch.connection.execute(_ADD, rows)


def add(connection: Connection, changes: Mapping[tuple[str, str], int]) -> None:
    """Add these changes to the counts, in the slot this transaction holds."""
    rows = _added(connection, changes)
    if rows:
        connection.execute(_ADD, rows)


def _added(connection: Connection, changes: Mapping[tuple[str, str], int]) -> list[dict[str, Any]]:
    """The rows that add ``changes`` to the counts of this transaction's slot."""
    rows = [(facet, key, n) for (facet, key), n in sorted(changes.items()) if n]
    if not rows:
        return []
    slot = _slot(connection)
    return [{"slot": slot, "facet": facet, "key": key, "ideas": n} for facet, key, n in rows]


def _slot(connection: Connection) -> int:
    """A slot no other open transaction writes: 0 on SQLite; on PostgreSQL one this
    transaction locks, found once per transaction (its later batches reuse the lock)."""
    if connection.dialect.name != "postgresql":
        return 0
    transaction = connection.get_transaction()
    held = connection.info.get("pipeline_slot")
    if held is not None and transaction is not None and held[0] is transaction:
        return int(held[1])
    slot = connection.execute(_TAKE_SLOT, {"start": 0, "slots": SLOTS, "lock": LOCK_CLASS}).scalar()
    if slot is None:  # every slot taken: wait for one, processes spread over them
        slot = os.getpid() % SLOTS
        connection.execute(_WAIT_FOR_SLOT, {"lock": LOCK_CLASS, "slot": slot})
    connection.info["pipeline_slot"] = (transaction, slot)
    return int(slot)


def fold_slots(connection: Connection) -> None:
    """Gather every slot's rows into slot 0, the sums unchanged. On PostgreSQL it first takes
    every slot's lock, so it waits for the transactions writing counts and makes later ones wait
    until it commits: run it in a transaction of its own (a migration's)."""
    _lock_every_slot(connection)
    sums = connection.execute(_SUMS).all()
    connection.execute(pipeline_counts_view.delete())
    rows = [{"slot": 0, "facet": f, "key": k, "ideas": int(n)} for f, k, n in sums if n]
    if rows:
        connection.execute(pipeline_counts_view.insert(), rows)


def _lock_every_slot(connection: Connection) -> None:
    """On PostgreSQL, wait for the transactions writing counts, and make later ones wait until
    this one ends."""
    if connection.dialect.name == "postgresql":
        connection.execute(
            sa.text("SELECT pg_advisory_xact_lock(:lock, s) FROM generate_series(0, :slots - 1) s"),
            {"lock": LOCK_CLASS, "slots": SLOTS},
        )


def counts(connection: Connection) -> dict[str, dict[str, int]]:
    """Every count above zero, summed over the slots, by facet."""
    return _by_facet(connection.execute(_SUMS))


def ideas_by_stage(connection: Connection, stages: Iterable[str]) -> int:
    """How many ideas stand at any of ``stages``, from the counts (merged ones under
    ``MERGED``): what counting ``ideas_view`` by stage would say, from a few rows."""
    return int(connection.execute(ideas_by_stage_sum(stages)).scalar_one())


def ideas_by_stage_sum(stages: Iterable[str]) -> sa.Select[Any]:
    """``ideas_by_stage`` as a statement, for a query to read in its own snapshot."""
    return _sum(STAGE, sorted(set(stages)))


def unmerged_ideas_with(connection: Connection, facet: str, key: str) -> int:
    """How many ideas, merged duplicates left out, have ``key`` as their ``facet`` (carry a
    theme, come from a source kind or a country), from the counts."""
    return int(connection.execute(unmerged_ideas_sum(facet, key)).scalar_one())


def unmerged_ideas_sum(facet: str, key: str = "") -> sa.Select[Any]:
    """``unmerged_ideas_with`` as a statement (all ideas: ``IDEAS``; the external ones:
    ``EXTERNAL``), for a query to read in its own snapshot."""
    return _sum(facet, [key])


def ideas_within_stages_sum(facet: str, key: str, stages: Iterable[str]) -> sa.Select[Any]:
    """How many ideas of ``stages`` (merged ones under ``MERGED``) have ``key`` as their
    ``facet`` (carry a theme, come from a source kind or a country), from the counts, as a
    statement."""
    return _sum(BY_STAGE[facet], [by_stage_key(stage, key) for stage in sorted(set(stages))])


def _sum(facet: str, keys: list[str]) -> sa.Select[Any]:
    return sa.select(sa.func.coalesce(sa.func.sum(_t.ideas), 0)).where(
        _t.facet == facet, _t.key.in_(keys)
    )


def counts_at_end(connection: Connection) -> tuple[dict[str, dict[str, int]], int]:
    """``counts`` the pipeline shows (``PIPELINE_FACETS``) and the log's position
    they stand at, read in one statement: on PostgreSQL, where every statement of a read takes
    a snapshot of its own, two would not agree, and each is a round trip of the pipeline's
    answer."""
    end = 0
    found: dict[str, dict[str, int]] = {}
    for facet, key, n in driver_rows(connection, PIPELINE_ROWS_AND_END):
        if facet is None:
            end = int(n or 0)
            continue
        by_key = found.get(facet)
        if by_key is None:
            by_key = found[facet] = {}
        by_key[key] = by_key.get(key, 0) + n
    sums = ((facet, {key: n for key, n in by_key.items() if n}) for facet, by_key in found.items())
    return {facet: by_key for facet, by_key in sums if by_key}, end


def _by_facet(rows: Iterable[Sequence[Any]]) -> dict[str, dict[str, int]]:
    found: dict[str, dict[str, int]] = {}
    for facet, key, n in rows:
        if n:
            found.setdefault(facet, {})[key] = int(n)
    return found


def snapshot(connection: Connection) -> list[tuple[object, ...]]:
    """The counts as a rebuild would leave them, whatever slots wrote them (for comparisons)."""
    return sorted(
        (facet, key, n) for facet, by_key in counts(connection).items() for key, n in by_key.items()
    )


def fill(
    connection: Connection, rows: Iterable[Mapping[str, Any]], facets: Iterable[str] = ()
) -> None:
    """Count these ``ideas_view`` rows from nothing (a migration filling the table); with
    ``facets``, those facets alone."""
    kept = frozenset(facets)
    changes: Counter[tuple[str, str]] = Counter()
    for row in rows:
        changes.update(c for c in contribution(row) if not kept or c[0] in kept)
    add(connection, changes)


def count_again(connection: Connection, facets: Iterable[str]) -> None:
    """Count ``facets`` again from every idea (a migration bringing in a facet): their rows in
    every slot are dropped, then counted from ``ideas_view``. On PostgreSQL it first takes every
    slot's lock, as ``fold_slots`` does, so no transaction counts meanwhile: run it in a
    transaction of its own."""
    facets = tuple(facets)
    _lock_every_slot(connection)
    connection.execute(pipeline_counts_view.delete().where(_t.facet.in_(facets)))
    ideas = connection.execute(sa.select(*(ideas_view.c[name] for name in COUNTED)))
    fill(connection, (dict(zip(COUNTED, row, strict=True)) for row in ideas), facets)
