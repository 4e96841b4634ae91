"""An idea with what it nests, read in one statement: ``idea(id)`` asking for its experiments
and their metrics."""

from __future__ import annotations

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


def _idea_and_below(depth: int) -> sa.Select[Any]:
    e, m = experiments_view.c, metrics_view.c
    columns = [*IDEA_COLUMNS, *(column.label(f"e_{column.name}") for column in e)]
    joined = ideas_view.outerjoin(experiments_view, e.idea_id == ideas_view.c.idea_id)
    order = [*EXPERIMENTS_IN_ORDER]
    if depth > 1:
        columns += [column.label(f"m_{column.name}") for column in m]
        joined = joined.outerjoin(metrics_view, m.experiment_id == e.experiment_id)
        order.append(m.ordinal)
    return (
        sa.select(*columns)
        .select_from(joined)
        .where(ideas_view.c.idea_id == sa.bindparam("id"))
        .order_by(*order)
    )


_IDEA_AND_BELOW = {depth: _idea_and_below(depth) for depth in (1, 2)}
"""One idea joined to its experiments (1) and their metrics (2): a row for each metric of each
experiment, or one with NULLs for what the idea lacks."""


class IdeaAndBelow(msgspec.Struct, frozen=True):
    """An idea with its experiments, and their metrics when they were asked for (else None)."""

    idea: IdeaView
    experiments: list[ExperimentView]
    metrics: dict[str, list[MetricView]] | None


def idea_and_below(connection: Connection, idea_id: str, depth: int) -> IdeaAndBelow | None:
    """One idea with what it nests, ``depth`` 1 (its experiments) or 2 (their metrics too), in
    one statement and so one snapshot. As three (the idea, its experiments, their metrics) it
    was three round trips, and each statement's fixed cost on PostgreSQL."""
    rows = plain_rows(connection.execute(_IDEA_AND_BELOW[depth], {"id": idea_id}))
    if not rows:
        return None
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
