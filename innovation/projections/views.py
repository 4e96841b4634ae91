"""Reading the read models as typed views: single ones, and batches for DataLoaders (the pages
of a lead's queues are in ``queues.py``).

Callers get the structs of ``shapes.py`` (named here too), never rows: the tables' column names
stay in ``projections/``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import cache
from typing import Any, TypeVar

import msgspec
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Result

from innovation.domain.values import Provenance
from innovation.projections.among import among
from innovation.projections.ethics import ethics_reviews_view
from innovation.projections.experiments import experiments_view, measurements_view, metrics_view
from innovation.projections.ideas import (
    idea_scores_view,
    ideas_view,
    stage_history_view,
)
from innovation.projections.paging import plain_names, plain_rows
from innovation.projections.shapes import (  # the views themselves, read through this module
    EthicsReview,
    ExperimentView,
    IdeaView,
    MeasurementView,
    MetricView,
    ScoreEntry,
    ScoreView,
    StageChange,
    field_names,
)

Row = Mapping[Any, Any]
"""A row as a mapping: a plain dict (``plain_rows``), or SQLAlchemy's ``RowMapping``."""
V = TypeVar("V")


def _rows(
    connection: Connection, query: sa.Select[Any], params: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """The rows of ``query`` as plain dicts (``plain_rows``)."""
    return plain_rows(connection.execute(query, params))


def _view(kind: type[V], row: Row, **nested: object) -> V:
    """A typed view of a row: columns by the view's field names, values checked and converted."""
    columns = row if type(row) is dict else {str(name): value for name, value in row.items()}
    return msgspec.convert({**columns, **nested} if nested else columns, kind)


def _columns(row: Row, kind: type[msgspec.Struct]) -> dict[str, Any]:
    """The columns of ``row`` that a value stored flat in the table is made of."""
    return {name: row[name] for name in field_names(kind)}


IDEA_PARTS = {"provenance": field_names(Provenance), "score": field_names(ScoreView)}
"""The fields of ``IdeaView`` made of several columns, and those columns."""


def columns_holding(fields: Iterable[str]) -> tuple[sa.Column[Any], ...]:
    """The columns of ``ideas_view`` that hold these fields of ``IdeaView`` and the idea's id,
    in the table's order; a field no column holds is refused."""
    names = {"idea_id", *(column for field in fields for column in IDEA_PARTS.get(field, (field,)))}
    columns = tuple(column for column in ideas_view.columns if column.name in names)
    if len(columns) != len(names):
        unknown = names - {column.name for column in columns}
        raise ValueError(f"no column holds the idea's {', '.join(sorted(unknown))}")
    return columns


IDEA_COLUMNS = columns_holding(set(field_names(IdeaView)) - {"as_of_position", "experiment_ids"})
"""What a read of ideas selects: fewer columns than the table's (its bookkeeping is left out),
and on SQLite a page of 100 ideas was 9 % quicker for it (192 pages a second at 16
connections against 176, the median of six runs in turn)."""


def idea_view(row: Row) -> IdeaView:
    """One idea's view from its row as a mapping (``idea_views``)."""
    return idea_views(tuple(row), (tuple(row.values()),))[0]


def idea_views(names: tuple[str, ...], rows: Iterable[Sequence[Any]]) -> list[IdeaView]:
    """Ideas' views from rows of the columns ``names``, each row its values in that order,
    converted in one call (``idea_converter``)."""
    return _idea_views(names)(rows)


@cache
def _idea_views(names: tuple[str, ...]) -> Callable[[Iterable[Sequence[Any]]], list[IdeaView]]:
    return idea_converter(names)


def idea_converter(
    names: tuple[str, ...], placeholders: Mapping[str, Any] | None = None
) -> Callable[[Iterable[Sequence[Any]]], list[IdeaView]]:
    """A function made for rows of the columns ``names`` that turns them into ideas' views at
    once: each row's columns are picked by position into the view's shape (its provenance and
    score are nested; the score is None where ``reach`` is) and the whole list is checked and
    converted by one ``msgspec.convert``. A column not in ``names`` is taken from
    ``placeholders`` (a partial read, ``partial.py``); other columns of the rows are ignored.
    A page of 100 ideas read in part took 216 µs against 341 made a dict at a time, and no
    longer needs each row as a dict of its own."""
    given = placeholders or {}
    at = {name: index for index, name in enumerate(names)}

    def column(name: str) -> str:
        if name in at:
            return f"row[{at[name]}]"
        if name in given:
            return f"placeholders[{name!r}]"
        raise ValueError(f"no column holds the idea's {name}")

    def nested(field: str) -> str:
        return "{" + ", ".join(f"{name!r}: {column(name)}" for name in IDEA_PARTS[field]) + "}"

    computed = {*IDEA_PARTS, "as_of_position", "experiment_ids", "experiment_count"}
    items = [f"{name!r}: {column(name)}" for name in field_names(IdeaView) if name not in computed]
    if "experiment_count" in at:
        items.append(f"'experiment_count': {column('experiment_count')}")
    items.append(f"'provenance': {nested('provenance')}")
    items.append(f"'score': None if {column('reach')} is None else {nested('score')}")
    source = (
        f"def views(rows):\n    return convert([{{{', '.join(items)}}} for row in rows], kind)\n"
    )
    namespace: dict[str, Any] = {
        "convert": msgspec.convert,
        "kind": list[IdeaView],
        "placeholders": given,
    }
    exec(source, namespace)  # the names are the view's own fields, never input
    views: Callable[[Iterable[Sequence[Any]]], list[IdeaView]] = namespace["views"]
    return views


def experiment_view(row: Row) -> ExperimentView:
    return _view(ExperimentView, row)


def _score_entry(row: Row) -> ScoreEntry:
    return _view(ScoreEntry, row, score=_columns(row, ScoreView))


def _stage_change(row: Row) -> StageChange:
    return _view(StageChange, row)


def _ethics_review(row: Row) -> EthicsReview:
    return _view(EthicsReview, row, reviewers=row["reviewers"] or ())


def metric_view(row: Row) -> MetricView:
    return _view(MetricView, row)


def _measurement(row: Row) -> MeasurementView:
    """A measurement, numbered by the experiment's version that recorded it."""
    return _view(MeasurementView, row, number=row["version"])


# -- ideas ---------------------------------------------------------------------------------


def idea(connection: Connection, idea_id: str) -> IdeaView | None:
    return ideas_by_id(connection, [idea_id]).get(idea_id)


def _among(column: sa.Column[Any]) -> sa.ColumnElement[bool]:
    """``column`` among the list given as ``ids`` when the statement runs (``among``)."""
    return among(column, "ids")


# The reads of nested fields, built once: building a statement and its cache key for every
# read cost more than running it (``ideas_by_id``: 140 of 200 µs).
_IDEAS_BY_ID = sa.select(*IDEA_COLUMNS).where(_among(ideas_view.c.idea_id))
_EXPERIMENTS_BY_ID = sa.select(experiments_view).where(_among(experiments_view.c.experiment_id))
# One key, the commonest read (a mutation's answer, ``idea(id)`` and what it nests): ``= :id``,
# the plainest. PostgreSQL keeps one plan for it, where a list, even of one key, is planned
# afresh each time (its length is unknown to a kept plan): the experiments of one idea cost it
# 20 µs of CPU so, 36 as a list; the idea itself 18 against 48.
_IDEA_BY_ID = sa.select(*IDEA_COLUMNS).where(ideas_view.c.idea_id == sa.bindparam("id"))
_EXPERIMENT_BY_ID = sa.select(experiments_view).where(
    experiments_view.c.experiment_id == sa.bindparam("id")
)
EXPERIMENTS_IN_ORDER = (experiments_view.c.started_at, experiments_view.c.experiment_id)
_EXPERIMENTS_OF_IDEAS = (
    sa.select(experiments_view)
    .where(_among(experiments_view.c.idea_id))
    .order_by(*EXPERIMENTS_IN_ORDER)
)
_EXPERIMENTS_OF_IDEA = (
    sa.select(experiments_view)
    .where(experiments_view.c.idea_id == sa.bindparam("id"))
    .order_by(*EXPERIMENTS_IN_ORDER)
)
_METRICS_OF_EXPERIMENTS = (
    sa.select(metrics_view)
    .where(_among(metrics_view.c.experiment_id))
    .order_by(metrics_view.c.ordinal)
)
_METRICS_OF_EXPERIMENT = (
    sa.select(metrics_view)
    .where(metrics_view.c.experiment_id == sa.bindparam("id"))
    .order_by(metrics_view.c.ordinal)
)


def _keyed(
    connection: Connection, one: sa.Select[Any], many: sa.Select[Any], keys: Sequence[str]
) -> Result[Any]:
    """``one`` for a single key (``= :id``), ``many`` for several (``:ids``), run."""
    if len(keys) == 1:
        return connection.execute(one, {"id": keys[0]})
    return connection.execute(many, {"ids": list(keys)})


def _by_key(
    connection: Connection, one: sa.Select[Any], many: sa.Select[Any], keys: Sequence[str]
) -> list[dict[str, Any]]:
    return plain_rows(_keyed(connection, one, many, keys))


def ideas_by_id(connection: Connection, idea_ids: Sequence[str]) -> dict[str, IdeaView]:
    result = _keyed(connection, _IDEA_BY_ID, _IDEAS_BY_ID, idea_ids)
    found = idea_views(plain_names(result), result.all())
    return {view.idea_id: view for view in found}


def score_history(
    connection: Connection, idea_ids: Sequence[str], up_to: int | None = None
) -> dict[str, list[ScoreEntry]]:
    return _per_idea(connection, idea_scores_view, idea_ids, _score_entry, up_to)


def stage_history(
    connection: Connection, idea_ids: Sequence[str], up_to: int | None = None
) -> dict[str, list[StageChange]]:
    return _per_idea(connection, stage_history_view, idea_ids, _stage_change, up_to)


def ethics_reviews(
    connection: Connection, idea_ids: Sequence[str], up_to: int | None = None
) -> dict[str, list[EthicsReview]]:
    return _per_idea(connection, ethics_reviews_view, idea_ids, _ethics_review, up_to)


class Histories(msgspec.Struct, frozen=True, kw_only=True):
    """An idea's scorings, stage changes and ethics reviews, oldest first."""

    scores: list[ScoreEntry]
    stages: list[StageChange]
    ethics: list[EthicsReview]


def histories(connection: Connection, idea_id: str, up_to: int | None = None) -> Histories:
    """The idea's histories, up to a log position when given (for as-of answers)."""
    return Histories(
        scores=score_history(connection, [idea_id], up_to).get(idea_id, []),
        stages=stage_history(connection, [idea_id], up_to).get(idea_id, []),
        ethics=ethics_reviews(connection, [idea_id], up_to).get(idea_id, []),
    )


def _per_idea(
    connection: Connection,
    table: sa.Table,
    idea_ids: Sequence[str],
    view: Callable[[Row], V],
    up_to: int | None = None,
) -> dict[str, list[V]]:
    """The rows of a per-idea history table for these ideas, oldest first, by idea."""
    query = sa.select(table).where(table.c.idea_id.in_(idea_ids)).order_by(table.c.version)
    if up_to is not None:
        query = query.where(table.c.position <= up_to)
    return _grouped(connection, query, "idea_id", view)


# -- experiments ---------------------------------------------------------------------------


def experiment(connection: Connection, experiment_id: str) -> ExperimentView | None:
    return experiments_by_id(connection, [experiment_id]).get(experiment_id)


def experiments_by_id(
    connection: Connection, experiment_ids: Sequence[str]
) -> dict[str, ExperimentView]:
    rows = _by_key(connection, _EXPERIMENT_BY_ID, _EXPERIMENTS_BY_ID, experiment_ids)
    return {row["experiment_id"]: experiment_view(row) for row in rows}


def experiments_of_ideas(
    connection: Connection, idea_ids: Sequence[str]
) -> dict[str, list[ExperimentView]]:
    rows = _by_key(connection, _EXPERIMENTS_OF_IDEA, _EXPERIMENTS_OF_IDEAS, idea_ids)
    return _group(rows, "idea_id", experiment_view)


def metrics_of_experiments(
    connection: Connection, experiment_ids: Sequence[str]
) -> dict[str, list[MetricView]]:
    rows = _by_key(connection, _METRICS_OF_EXPERIMENT, _METRICS_OF_EXPERIMENTS, experiment_ids)
    return _group(rows, "experiment_id", metric_view)


def metric(connection: Connection, experiment_id: str, name: str) -> MetricView | None:
    """One metric of an experiment, as it stands now."""
    found = metrics_of_experiments(connection, [experiment_id]).get(experiment_id, [])
    return next((metric for metric in found if metric.name == name), None)


def metric_of_measurement(connection: Connection, experiment_id: str, number: int) -> str | None:
    """The name of the metric that measurement ``number`` of an experiment measured."""
    m = measurements_view.c
    return connection.execute(
        sa.select(m.metric).where((m.experiment_id == experiment_id) & (m.version == number))
    ).scalar_one_or_none()


_RANKED = (
    sa.select(
        measurements_view,
        sa.func.row_number()
        .over(
            partition_by=(measurements_view.c.experiment_id, measurements_view.c.metric),
            order_by=(measurements_view.c.measured_at.desc(), measurements_view.c.version.desc()),
        )
        .label("rank"),
    )
    .where(_among(measurements_view.c.experiment_id))
    .subquery()
)
_LATEST_MEASUREMENTS = (
    sa.select(_RANKED)
    .where(_RANKED.c.rank <= sa.bindparam("latest", type_=sa.Integer))
    .order_by(_RANKED.c.rank)
)


def measurements_of(
    connection: Connection, keys: Sequence[tuple[str, str]], latest: int
) -> dict[tuple[str, str], list[MeasurementView]]:
    """The ``latest`` measurements of each (experiment, metric), newest first, in one query."""
    experiment_ids = sorted({experiment_id for experiment_id, _ in keys})
    rows = _rows(connection, _LATEST_MEASUREMENTS, {"ids": experiment_ids, "latest": latest})
    wanted = set(keys)
    found: dict[tuple[str, str], list[MeasurementView]] = defaultdict(list)
    for row in rows:
        key = (row["experiment_id"], row["metric"])
        if key in wanted:
            found[key].append(_measurement(row))
    return found


def measurement_page(
    connection: Connection,
    experiment_id: str,
    metric: str,
    first: int,
    after: int = 0,
    before: int | None = None,
    backwards: bool = False,
) -> tuple[list[MeasurementView], bool]:
    """Up to ``first`` measurements of one metric numbered after ``after``, in the order they
    were recorded, and whether more follow (backwards: the last ones before ``before``, and
    whether earlier ones exist)."""
    m = measurements_view.c
    query = (
        sa.select(m.version, m.value, m.measured_at, m.recorded_by)
        .where((m.experiment_id == experiment_id) & (m.metric == metric) & (m.version > after))
        .where(sa.true() if before is None else m.version < before)
        .order_by(m.version.desc() if backwards else m.version)
        .limit(first + 1)
    )
    rows = _rows(connection, query)
    found = [_measurement(row) for row in rows[:first]]
    if backwards:
        found.reverse()
    return found, len(rows) > first


def _grouped(
    connection: Connection,
    query: sa.Select[Any],
    key: str,
    view: Callable[[Row], V],
    params: dict[str, Any] | None = None,
) -> dict[Any, list[V]]:
    return _group(_rows(connection, query, params), key, view)


def _group(rows: Iterable[Row], key: str, view: Callable[[Row], V]) -> dict[Any, list[V]]:
    found: dict[Any, list[V]] = defaultdict(list)
    for row in rows:
        found[row[key]].append(view(row))
    return found
