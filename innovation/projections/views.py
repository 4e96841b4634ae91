"""Reading the read models: single rows, batches for DataLoaders, filtered keyset pages."""

from __future__ import annotations

import base64
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import msgspec
import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping

from innovation.projections.ethics import ethics_reviews_view
from innovation.projections.experiments import experiments_view, measurements_view, metrics_view
from innovation.projections.ideas import (
    idea_scores_view,
    idea_themes_view,
    ideas_view,
    stage_history_view,
)
from innovation.projections.search import SEARCH_DOCUMENT, terms

Row = RowMapping


class InvalidCursorError(ValueError):
    """A pagination cursor this service did not hand out."""


class IdeaFilter(msgspec.Struct, frozen=True, kw_only=True):
    stages: tuple[str, ...] = ()
    theme: str | None = None
    source_kind: str | None = None
    external: bool | None = None
    country: str | None = None
    text: str | None = None
    scouted_from: datetime | None = None
    scouted_to: datetime | None = None


class ExperimentFilter(msgspec.Struct, frozen=True, kw_only=True):
    idea_id: str | None = None
    status: str | None = None
    outcome: str | None = None


class Page(msgspec.Struct, frozen=True):
    """Rows of one page, each with its cursor, and whether more follow."""

    rows: list[tuple[str, Any]]
    has_next: bool
    total: int | None = None


def encode_cursor(*parts: object) -> str:
    raw = "\x1f".join("" if part is None else str(part) for part in parts)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, arity: int) -> list[str]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        parts = base64.urlsafe_b64decode(padded.encode()).decode().split("\x1f")
    except (ValueError, UnicodeDecodeError):
        raise InvalidCursorError(f"not a cursor of this list: {cursor!r}") from None
    if len(parts) != arity:
        raise InvalidCursorError(f"not a cursor of this list: {cursor!r}")
    return parts


# -- ideas ---------------------------------------------------------------------------------


def idea(connection: Connection, idea_id: str) -> Row | None:
    return (
        connection.execute(sa.select(ideas_view).where(ideas_view.c.idea_id == idea_id))
        .mappings()
        .first()
    )


def ideas_by_id(connection: Connection, idea_ids: Sequence[str]) -> dict[str, Row]:
    rows = connection.execute(sa.select(ideas_view).where(ideas_view.c.idea_id.in_(idea_ids)))
    return {row["idea_id"]: row for row in rows.mappings()}


def idea_page(connection: Connection, where: IdeaFilter, first: int, after: str | None) -> Page:
    """Newest scouted first, then by id; the cursor is (submitted_at, idea_id)."""
    query = sa.select(ideas_view)
    for condition in _idea_conditions(connection, where):
        query = query.where(condition)
    if after is not None:
        at, idea_id = decode_cursor(after, 2)
        moment = _parse_moment(at)
        query = query.where(
            sa.or_(
                ideas_view.c.submitted_at < moment,
                sa.and_(ideas_view.c.submitted_at == moment, ideas_view.c.idea_id < idea_id),
            )
        )
    query = query.order_by(ideas_view.c.submitted_at.desc(), ideas_view.c.idea_id.desc())
    rows = list(connection.execute(query.limit(first + 1)).mappings())
    return Page(
        [
            (encode_cursor(row["submitted_at"].isoformat(), row["idea_id"]), row)
            for row in rows[:first]
        ],
        has_next=len(rows) > first,
    )


def count_ideas(connection: Connection, where: IdeaFilter) -> int:
    query = sa.select(sa.func.count()).select_from(ideas_view)
    for condition in _idea_conditions(connection, where):
        query = query.where(condition)
    return int(connection.execute(query).scalar_one())


def _idea_conditions(connection: Connection, where: IdeaFilter) -> list[sa.ColumnElement[bool]]:
    conditions: list[sa.ColumnElement[bool]] = []
    if where.stages:
        conditions.append(ideas_view.c.stage.in_(where.stages))
    if where.theme:
        conditions.append(
            ideas_view.c.idea_id.in_(
                sa.select(idea_themes_view.c.idea_id).where(idea_themes_view.c.theme == where.theme)
            )
        )
    if where.source_kind:
        conditions.append(ideas_view.c.source_kind == where.source_kind)
    if where.external is not None:
        conditions.append(ideas_view.c.external == where.external)
    if where.country:
        conditions.append(ideas_view.c.country == where.country.upper())
    if where.scouted_from:
        conditions.append(ideas_view.c.submitted_at >= where.scouted_from)
    if where.scouted_to:
        conditions.append(ideas_view.c.submitted_at <= where.scouted_to)
    if where.text:
        conditions.append(_matches_all(connection, where.text))
    return conditions


def _matches_all(connection: Connection, text: str) -> sa.ColumnElement[bool]:
    """Ideas whose title or summary holds every word of ``text`` (stemmed)."""
    words = terms(text)
    if not words:
        return sa.true()
    if connection.dialect.name == "sqlite":
        match = " AND ".join(f'"{word}"' for word in words)
        return ideas_view.c.idea_id.in_(
            sa.select(sa.literal_column("idea_id"))
            .select_from(sa.text("ideas_fts"))
            .where(sa.text("ideas_fts MATCH :match").bindparams(match=match))
        )
    query = " & ".join("'" + word.replace("'", "''").replace("\\", "") + "'" for word in words)
    return SEARCH_DOCUMENT.op("@@")(sa.func.to_tsquery(sa.literal_column("'english'"), query))


def themes_of(connection: Connection, idea_ids: Sequence[str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = defaultdict(list)
    rows = connection.execute(
        sa.select(idea_themes_view.c.idea_id, idea_themes_view.c.theme)
        .where(idea_themes_view.c.idea_id.in_(idea_ids))
        .order_by(idea_themes_view.c.theme)
    )
    for idea_id, theme in rows:
        found[idea_id].append(theme)
    return found


def score_history(connection: Connection, idea_ids: Sequence[str]) -> dict[str, list[Row]]:
    return _per_idea(connection, idea_scores_view, idea_ids)


def stage_history(connection: Connection, idea_ids: Sequence[str]) -> dict[str, list[Row]]:
    return _per_idea(connection, stage_history_view, idea_ids)


def ethics_reviews(connection: Connection, idea_ids: Sequence[str]) -> dict[str, list[Row]]:
    return _per_idea(connection, ethics_reviews_view, idea_ids)


def _per_idea(
    connection: Connection, table: sa.Table, idea_ids: Sequence[str]
) -> dict[str, list[Row]]:
    """The rows of a per-idea history table for these ideas, oldest first, by idea."""
    query = sa.select(table).where(table.c.idea_id.in_(idea_ids)).order_by(table.c.version)
    return _grouped(connection, query, "idea_id")


# -- experiments ---------------------------------------------------------------------------


def experiment(connection: Connection, experiment_id: str) -> Row | None:
    return (
        connection.execute(
            sa.select(experiments_view).where(experiments_view.c.experiment_id == experiment_id)
        )
        .mappings()
        .first()
    )


def experiments_by_id(connection: Connection, experiment_ids: Sequence[str]) -> dict[str, Row]:
    rows = connection.execute(
        sa.select(experiments_view).where(experiments_view.c.experiment_id.in_(experiment_ids))
    )
    return {row["experiment_id"]: row for row in rows.mappings()}


def experiments_of_ideas(connection: Connection, idea_ids: Sequence[str]) -> dict[str, list[Row]]:
    return _grouped(
        connection,
        sa.select(experiments_view)
        .where(experiments_view.c.idea_id.in_(idea_ids))
        .order_by(experiments_view.c.started_at, experiments_view.c.experiment_id),
        "idea_id",
    )


def metrics_of_experiments(
    connection: Connection, experiment_ids: Sequence[str]
) -> dict[str, list[Row]]:
    return _grouped(
        connection,
        sa.select(metrics_view)
        .where(metrics_view.c.experiment_id.in_(experiment_ids))
        .order_by(metrics_view.c.ordinal),
        "experiment_id",
    )


def measurements_of(
    connection: Connection, keys: Sequence[tuple[str, str]], latest: int
) -> dict[tuple[str, str], list[Row]]:
    """The ``latest`` measurements of each (experiment, metric), newest first, in one query."""
    experiment_ids = sorted({experiment_id for experiment_id, _ in keys})
    ranked = (
        sa.select(
            measurements_view,
            sa.func.row_number()
            .over(
                partition_by=(measurements_view.c.experiment_id, measurements_view.c.metric),
                order_by=(
                    measurements_view.c.measured_at.desc(),
                    measurements_view.c.version.desc(),
                ),
            )
            .label("rank"),
        )
        .where(measurements_view.c.experiment_id.in_(experiment_ids))
        .subquery()
    )
    rows = connection.execute(
        sa.select(ranked).where(ranked.c.rank <= latest).order_by(ranked.c.rank)
    ).mappings()
    wanted = set(keys)
    found: dict[tuple[str, str], list[Row]] = defaultdict(list)
    for row in rows:
        key = (row["experiment_id"], row["metric"])
        if key in wanted:
            found[key].append(row)
    return found


def experiment_page(
    connection: Connection, where: ExperimentFilter, first: int, after: str | None
) -> Page:
    """Newest started first, then by id; the cursor is (started_at, experiment_id)."""
    query = sa.select(experiments_view)
    if where.idea_id:
        query = query.where(experiments_view.c.idea_id == where.idea_id)
    if where.status:
        query = query.where(experiments_view.c.status == where.status)
    if where.outcome:
        query = query.where(experiments_view.c.outcome == where.outcome)
    if after is not None:
        at, experiment_id = decode_cursor(after, 2)
        moment = _parse_moment(at)
        query = query.where(
            sa.or_(
                experiments_view.c.started_at < moment,
                sa.and_(
                    experiments_view.c.started_at == moment,
                    experiments_view.c.experiment_id < experiment_id,
                ),
            )
        )
    query = query.order_by(
        experiments_view.c.started_at.desc(), experiments_view.c.experiment_id.desc()
    )
    rows = list(connection.execute(query.limit(first + 1)).mappings())
    return Page(
        [
            (encode_cursor(row["started_at"].isoformat(), row["experiment_id"]), row)
            for row in rows[:first]
        ],
        has_next=len(rows) > first,
    )


def _grouped(connection: Connection, query: sa.Select[Any], key: str) -> dict[Any, list[Row]]:
    found: dict[Any, list[Row]] = defaultdict(list)
    for row in connection.execute(query).mappings():
        found[row[key]].append(row)
    return found


def _parse_moment(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise InvalidCursorError("not a cursor of this list") from None
