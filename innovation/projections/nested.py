"""An idea with what it nests, read in one statement: ``idea(id)`` asking for its experiments
and their metrics."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from innovation.projections.experiments import experiments_view, metrics_view
from innovation.projections.ideas import ideas_view
from innovation.projections.paging import plain_rows
from innovation.projections.views import (
    EXPERIMENTS_IN_ORDER,
    IDEA_COLUMNS,
    ExperimentView,
    IdeaView,
    MetricView,
    Row,
    experiment_view,
    field_names,
    idea_view,
    metric_view,
)


def _idea_and_below(depth: int, many: int = 1) -> sa.Select[Any]:
    e, m = experiments_view.c, metrics_view.c
    columns = [*IDEA_COLUMNS, *(column.label(f"e_{column.name}") for column in e)]
    joined = ideas_view.outerjoin(experiments_view, e.idea_id == ideas_view.c.idea_id)
    order = [*EXPERIMENTS_IN_ORDER]
    if depth > 1:
        columns += [column.label(f"m_{column.name}") for column in m]
        joined = joined.outerjoin(metrics_view, m.experiment_id == e.experiment_id)
        order.append(m.ordinal)
    which = ideas_view.c.idea_id == sa.bindparam("id")
    if many > 1:  # several ideas, each one's rows together
        which = ideas_view.c.idea_id.in_(
            [sa.bindparam(f"id{n}", type_=sa.String) for n in range(many)]
        )
        order.insert(0, ideas_view.c.idea_id)
    return sa.select(*columns).select_from(joined).where(which).order_by(*order)


_IDEA_AND_BELOW = {depth: _idea_and_below(depth) for depth in (1, 2)}
"""One idea joined to its experiments (1) and their metrics (2): a row for each metric of each
experiment, or one with NULLs for what the idea lacks."""
MANY = (4, 16, 64)
"""How many ideas the statements for several read: the keys given, the last repeated up to
the next of these. A list of a length PostgreSQL plans for once: an array (``among``) of
whatever length is planned afresh each time, which cost it 341 µs of CPU a statement of four
ideas with what they nest, against 140 for four in a list of four (and 161 for sixteen)."""
_IDEAS_AND_BELOW = {(depth, n): _idea_and_below(depth, n) for depth in (1, 2) for n in MANY}
"""The same for several ideas, in the order of their ids (``ideas_and_below``)."""


class IdeaAndBelow(msgspec.Struct, frozen=True):
    """An idea with its experiments, and their metrics when they were asked for (else None)."""

    idea: IdeaView
    experiments: list[ExperimentView]
    metrics: dict[str, list[MetricView]] | None


def ideas_and_below(
    connection: Connection, idea_ids: list[str], depth: int
) -> dict[str, IdeaAndBelow]:
    """Ideas with what they nest, ``depth`` 1 (their experiments) or 2 (their metrics too), up
    to 64 in one statement and so one snapshot; an idea not found is left out. As three (the
    idea, its experiments, their metrics) it was three round trips, and each statement's fixed
    cost on PostgreSQL. One idea is read by its own statement (``= :id``), whose plan
    PostgreSQL keeps; several by the requests sharing a read (``store/gathered.py``)."""
    if len(idea_ids) == 1:
        rows = plain_rows(connection.execute(_IDEA_AND_BELOW[depth], {"id": idea_ids[0]}))
    else:
        rows = []
        for start in range(0, len(idea_ids), MANY[-1]):
            some = idea_ids[start : start + MANY[-1]]
            n = next(n for n in MANY if n >= len(some))
            keys = {f"id{i}": some[min(i, len(some) - 1)] for i in range(n)}
            rows += plain_rows(connection.execute(_IDEAS_AND_BELOW[depth, n], keys))
    found: dict[str, IdeaAndBelow] = {}
    start = 0
    for end in range(1, len(rows) + 1):
        if end == len(rows) or rows[end]["idea_id"] != rows[start]["idea_id"]:
            found[rows[start]["idea_id"]] = _below(rows[start:end], depth)
            start = end
    return found


def idea_and_below(connection: Connection, idea_id: str, depth: int) -> IdeaAndBelow | None:
    """One idea with what it nests (``ideas_and_below``), or None."""
    return ideas_and_below(connection, [idea_id], depth).get(idea_id)


def _below(rows: Sequence[Row], depth: int) -> IdeaAndBelow:
    """One idea's rows: the idea's columns, then an experiment's, then a metric's."""
    experiments: list[ExperimentView] = []
    metrics: dict[str, list[MetricView]] | None = {} if depth > 1 else None
    for row in rows:
        experiment_id = row["e_experiment_id"]
        if experiment_id is None:
            break  # the idea has none: one row, its experiment's columns NULL
        if not experiments or experiments[-1].experiment_id != experiment_id:
            experiments.append(experiment_view(_prefixed(row, "e_", ExperimentView)))
        if metrics is not None and row["m_name"] is not None:
            metric = metric_view(_prefixed(row, "m_", MetricView))
            metrics.setdefault(experiment_id, []).append(metric)
    return IdeaAndBelow(idea_view(rows[0]), experiments, metrics)


def _prefixed(row: Row, prefix: str, kind: type[msgspec.Struct]) -> dict[str, Any]:
    return {name: row[prefix + name] for name in field_names(kind)}
