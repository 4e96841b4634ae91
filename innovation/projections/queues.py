"""A lead's queues: ideas filtered and ordered by what needs attention, and experiments, a page
at a time, with how many there are in all."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from innovation.domain.values import Stage
from innovation.projections.counts import (
    COUNTRY,
    EXTERNAL,
    IDEAS,
    SOURCE_KIND,
    THEME,
    ideas_by_stage,
    ideas_by_stage_sum,
    ideas_within_stages_sum,
    unmerged_ideas_sum,
)
from innovation.projections.experiments import experiments_view
from innovation.projections.ideas import (
    FIT_ORDER,
    SCORE_ORDER,
    UNSCORED_KEY,
    UPDATED_ORDER,
    idea_themes_view,
    ideas_view,
)
from innovation.projections.paging import Ordering, Page, Window, each, keyset_page
from innovation.projections.partial import idea_columns, partial_idea_views
from innovation.projections.search import SEARCH_DOCUMENT, terms
from innovation.projections.telling import search_ideas_view
from innovation.projections.views import IDEA_COLUMNS, experiment_view, idea_views


def carried(connection: Connection, theme: str) -> bool:
    """Whether any idea carries ``theme`` (one configured once, say, and dropped since)."""
    query = sa.select(idea_themes_view.c.idea_id).where(idea_themes_view.c.theme == theme)
    return connection.execute(query.limit(1)).first() is not None


class IdeaFilter(msgspec.Struct, frozen=True, kw_only=True):
    stages: tuple[str, ...] = ()
    theme: str | None = None
    source_kind: str | None = None
    external: bool | None = None
    country: str | None = None
    text: str | None = None
    scouted_from: datetime | None = None
    scouted_to: datetime | None = None
    scout: str | None = None
    ethics_status: str | None = None
    scored: bool | None = None
    has_running_experiment: bool | None = None
    include_merged: bool = True


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _isoformat(value: datetime) -> str:
    return value.isoformat()


v = ideas_view.c
# Each role's queue is read and counted from an index of its own, in the scouted order the
# queues show by default, rather than by a pass over every idea (25 to 38 ms a count at 100,000
# ideas): a scout's ideas (``mine``, or a lead's ``scout``), the ethics reviewer's (by ethics
# status), and the ideas whose pilot is running (an index of those ideas alone).
RUNNING = v.running_experiment_id.is_not(None)
_SCOUTED = (v.submitted_at, v.idea_id)
sa.Index("ix_ideas_view_scout_order", v.scout, *_SCOUTED)
sa.Index("ix_ideas_view_ethics_order", v.ethics_status, *_SCOUTED)
sa.Index("ix_ideas_view_running_order", *_SCOUTED, sqlite_where=RUNNING, postgresql_where=RUNNING)
# The same ideas in the queues' other orders: a walk of the whole order met them late when
# sorted oldest or lowest first, running pilots being the ideas changed last (PostgreSQL 23 to
# 34 ms and SQLite 39 for the running pilots last changed longest ago, at 100,000 ideas).
_RUNNING_ONLY: dict[str, Any] = {"sqlite_where": RUNNING, "postgresql_where": RUNNING}
sa.Index("ix_ideas_view_running_updated_order", UPDATED_ORDER, v.idea_id, **_RUNNING_ONLY)
sa.Index("ix_ideas_view_running_score_order", SCORE_ORDER, v.idea_id, **_RUNNING_ONLY)
sa.Index("ix_ideas_view_running_fit_order", FIT_ORDER, v.idea_id, **_RUNNING_ONLY)
# Each stage's ideas in each order of the queues: a page of one stage reads them in order, a
# page of several reads each one's first and merges them (``idea_page``), and counts read the
# stage. With the stage alone, or the scouted order alone, a page in another order read
# every idea of its stages and sorted them (SQLite: 22 to 37 ms for the screening stage, or the
# scouted and screening, by score or fit at 100,000 ideas), or walked the order past every idea
# of the other stages (PostgreSQL: 43 ms for the scouted stage by score, as no scouted idea has
# a score and those sort last).
sa.Index("ix_ideas_view_stage_order", v.stage, *_SCOUTED)
sa.Index("ix_ideas_view_stage_updated_order", v.stage, UPDATED_ORDER, v.idea_id)
sa.Index("ix_ideas_view_stage_score_order", v.stage, SCORE_ORDER, v.idea_id)
sa.Index("ix_ideas_view_stage_fit_order", v.stage, FIT_ORDER, v.idea_id)
# Each stage's ideas no lead has scored yet, in the scouted order, and only they: the lead's
# queue to score (``scored: false``, the README's first query), which otherwise passed over
# every idea of its stages, scored or not (87 ms at 100,000 ideas on SQLite).
UNSCORED = v.reach.is_(None)
UNSCORED_INDEX = "ix_ideas_view_unscored_order"
sa.Index(
    UNSCORED_INDEX,
    v.stage,
    *_SCOUTED,
    sqlite_where=UNSCORED,
    postgresql_where=UNSCORED,
)

ORDERINGS = {
    ordering.name: ordering
    for ordering in (
        Ordering(name="SCOUTED_AT", key=v.submitted_at, parse=_moment, show=_isoformat),
        Ordering(name="UPDATED_AT", key=UPDATED_ORDER, parse=_moment, show=_isoformat),
        Ordering(name="SCORE", key=SCORE_ORDER, parse=float, show=repr),
        Ordering(name="STRATEGIC_FIT", key=FIT_ORDER, parse=int),
    )
}

SCORED_ORDERS = frozenset({"SCORE", "STRATEGIC_FIT"})
ALL_STAGES = tuple(str(stage) for stage in Stage)


def idea_page(
    connection: Connection,
    where: IdeaFilter,
    window: Window,
    order: str = "SCOUTED_AT",
    descending: bool = True,
    fields: frozenset[str] | None = None,
    cursors: bool = True,
) -> Page:
    """One page of the ideas matching ``where``, in the order asked for, ties by id; with
    ``fields``, the views hold those fields only (``partial_idea_views``); without ``cursors``,
    the first and last rows' cursors alone (``keyset_page``)."""
    columns, views = (
        (IDEA_COLUMNS, idea_views) if fields is None else (idea_columns(fields), partial_idea_views)
    )
    # PostgreSQL checks a text condition by computing each idea's document: find the matches
    # through the search index, then sort them (``keyset_page``'s ``found_first``).
    sqlite = connection.dialect.name == "sqlite"
    searched = bool(where.text) and not sqlite
    # Several stages: each stage's first ideas in the order, merged (``split``). SQLite, keeping
    # no statistics, otherwise read every idea of those stages and sorted them. PostgreSQL's
    # planner walked the order's index past the other stages' ideas (9 ms for the validated and
    # released ideas, last changed first, once 60,000 new submissions lay at the newest end of
    # that order; 0.08 split). It is given the parts of a filter on stages alone, each read from
    # its stage's index in the order, and plans any other filter whole from its statistics: a
    # part asking for the unscored ideas of the screening stage, which holds none, walked the
    # scouted order past every idea (35 ms).
    stages = sorted(set(where.stages))
    split = len(stages) > 1 and (sqlite or _stages_only(where))
    walk = _walks_order(connection, where, window)
    if split:
        where = msgspec.structs.replace(where, stages=())
    conditions = _idea_conditions(connection, where, walk=walk)
    query = sa.select(*columns).where(*conditions, *_scored_part(where, order))
    return keyset_page(
        connection,
        query,
        ORDERINGS[order],
        v.idea_id,
        descending,
        window,
        views,
        found_first=searched,
        split=[v.stage == stage for stage in stages] if split else (),
        cursors=cursors,
        fixed_key=UNSCORED_KEY if where.scored is False and order in SCORED_ORDERS else None,
    )


def count_ideas(connection: Connection, where: IdeaFilter) -> int:
    """Ideas matching ``where``. A filter on stages alone, or none (merged duplicates in or out),
    is answered by the counts the pipeline keeps (``counts.py``) rather than by counting the
    ideas: at 190,000 ideas on PostgreSQL, counting all of them, or the two stages of a lead's
    queue, took 18 to 20 ms, and summing their counts takes 0.05. So is a filter on one theme,
    source kind or country, within some stages or all: looking up each idea of a theme took 24
    ms on PostgreSQL and 70 on SQLite at 100,000 ideas, and those of a theme in the screening
    stage 20 and 28 (a source kind's, 34 on SQLite). The
    scored ideas of some stages (or all) are those stages' kept count less their unscored ideas,
    counted from the unscored ideas' own index, in one statement: counting the scored ones
    took 27 to 29 ms on PostgreSQL and 23 to 31 on SQLite at 100,000 ideas, four in five of them
    scored, and takes 4 to 5 through GraphQL."""
    if _stages_only(where):
        return ideas_by_stage(connection, _counted_stages(where))
    if where.scored is not None and _stages_only(msgspec.structs.replace(where, scored=None)):
        unscored = _unscored_counting(connection, _counted_stages(where))
        if not where.scored:
            return int(connection.execute(unscored).scalar_one())
        everyone = ideas_by_stage_sum(_counted_stages(where))
        difference = everyone.scalar_subquery() - unscored.scalar_subquery()
        return int(connection.execute(sa.select(difference)).scalar_one())
    words = terms(where.text) if where.text else []
    if words and connection.dialect.name == "sqlite" and _text_only(where):
        # The full-text index holds one row an idea: its matches are counted in the index
        # alone, where looking each up among the ideas took 17 ms for a word 10,000 of the
        # bench's 100,000 ideas hold (0.3 ms).
        return int(connection.execute(_fts_matches(words, sa.func.count())).scalar_one())
    if where.external is not None and _external_only(where):
        return int(connection.execute(_external_counting(where)).scalar_one())
    asked = _facet_alone(where)
    if asked is not None:
        within = ideas_within_stages_sum(*asked, _counted_stages(where))
        return int(connection.execute(within).scalar_one())
    return int(connection.execute(_counting(connection, where)).scalar_one())


def _counting(connection: Connection, where: IdeaFilter) -> sa.Select[Any]:
    """The statement counting the ideas ``where`` keeps, one by one."""
    query = sa.select(sa.func.count()).select_from(ideas_view)
    return query.where(*_idea_conditions(connection, where))


def _unscored_counting(connection: Connection, stages: tuple[str, ...]) -> sa.Select[Any]:
    """The statement counting the unscored ideas of ``stages``, from their own index. SQLite,
    keeping no statistics, takes it for no smaller than the indexes of every idea of a stage in
    some order, and may read one of those (every idea of the stages): it is named to SQLite."""
    if connection.dialect.name != "sqlite":
        return _counting(connection, IdeaFilter(stages=stages, scored=False))
    indexed = sa.text(f"ideas_view INDEXED BY {UNSCORED_INDEX}")
    query = sa.select(sa.func.count()).select_from(indexed)
    return query.where(sa.column("stage").in_(stages), sa.column("reach").is_(None))


def _counted_stages(where: IdeaFilter) -> tuple[str, ...]:
    """The stages whose kept counts hold the ideas ``where`` keeps (all of them: none asked)."""
    stages = where.stages or ALL_STAGES
    if where.include_merged:
        return stages
    return tuple(stage for stage in stages if stage != str(Stage.MERGED))


def _stages_only(where: IdeaFilter) -> bool:
    """Whether ``where`` asks for nothing but stages, and whether merged duplicates count."""
    return msgspec.structs.replace(where, stages=(), include_merged=True) == IdeaFilter()


def _external_counting(where: IdeaFilter) -> sa.Select[Any]:
    """The statement counting the ideas from outside (or from inside) alone: from the kept
    counts (which leave merged duplicates out), the merged ones counted from their stage's
    index, few as they are. Counting them idea by idea took 17 to 20 ms at 100,000 ideas."""
    external = unmerged_ideas_sum(EXTERNAL).scalar_subquery()
    unmerged = (
        external if where.external else unmerged_ideas_sum(IDEAS).scalar_subquery() - external
    )
    if not where.include_merged:
        return sa.select(unmerged)
    merged = (
        sa.select(sa.func.count())
        .select_from(ideas_view)
        .where(v.stage == str(Stage.MERGED), v.external == where.external)
    )
    return sa.select(unmerged + merged.scalar_subquery())


def _external_only(where: IdeaFilter) -> bool:
    """Whether ``where`` asks for nothing but ideas from outside (or inside), merged in or out."""
    return msgspec.structs.replace(where, external=None, include_merged=True) == IdeaFilter()


def _text_only(where: IdeaFilter) -> bool:
    """Whether ``where`` asks for nothing but words of the text, merged duplicates in."""
    return msgspec.structs.replace(where, text=None) == IdeaFilter()


def _walks_order(connection: Connection, where: IdeaFilter, window: Window) -> bool:
    """On SQLite, whether a page of the ideas of one theme, source kind or country (within some
    stages or all), or of the ideas holding some words, walks the order's index checking each
    idea, rather than reading every idea the filter keeps and sorting them all.

    SQLite keeps no statistics, and takes an idea's theme, source kind or country for as rare
    as any key; the pipeline's kept counts say how many ideas hold it. A walk meets a page of
    ``size`` of them after about ``size / share`` ideas, where reading them all reads
    ``share * ideas``: it is taken when they are at least ``sqrt(size / ideas)`` of the ideas
    the walk passes (those of the stages asked for, each stage's walked in its own index).
    At 100,000 ideas, a theme of 30,000 took 47 ms read and sorted, 0.05 walked; a source kind
    of 12,400 ideas 47 ms, 0.26 walked; a theme held by none takes 0.01 read, and a walk would
    pass over every idea (38 ms). By score or fit (unscored ideas have their own key, at one
    end), a theme's page took 50 to 98 ms through GraphQL, and takes 3.6 to 5.5 walked. The
    full-text index counts the ideas holding some words (10,000 hold "network": 0.3 ms); their
    page took 32 ms read from the index and sorted, 2 walked; a word none holds, 0.01 read and 55
    walked. A theme's page within the screening stage took 14 ms read and sorted, 2.7 walked."""
    if connection.dialect.name != "sqlite":
        return False
    words = terms(where.text) if where.text else []
    asked = _facet_alone(where)
    if asked is not None:
        holding = ideas_within_stages_sum(*asked, _counted_stages(where))
    elif words and _text_only(msgspec.structs.replace(where, include_merged=True)):
        holding = _fts_matches(words, sa.func.count())
    else:
        return False
    passed = ideas_by_stage_sum(where.stages or ALL_STAGES)
    held, ideas = connection.execute(
        sa.select(holding.scalar_subquery(), passed.scalar_subquery())
    ).one()
    size = (window.last if window.last is not None else window.first or 0) + 1
    return ideas > 0 and held * held >= size * ideas


def _facet_alone(where: IdeaFilter) -> tuple[str, str] | None:
    """The kept count's facet and key of a filter on one theme, source kind or country and
    nothing else but stages (merged duplicates in or out), or None."""
    facets = [
        (facet, key)
        for facet, key in (
            (THEME, where.theme),
            (SOURCE_KIND, where.source_kind),
            (COUNTRY, where.country and where.country.upper()),
        )
        if key
    ]
    rest = msgspec.structs.replace(
        where, theme=None, source_kind=None, country=None, stages=(), include_merged=True
    )
    return facets[0] if len(facets) == 1 and rest == IdeaFilter() else None


def _unindexed(column: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    """``column`` as SQLite reads it without its index (a unary plus): checked idea by idea
    on a walk of an order, not looked up."""
    return sa.sql.elements.UnaryExpression(column, operator=sa.sql.operators.custom_op("+"))


def _scored_part(where: IdeaFilter, order: str) -> list[sa.ColumnElement[bool]]:
    """In the score or the fit order, the part of the order a ``scored`` filter keeps, said on
    the order's key, so that the database reads that part of the order's index alone: every
    unscored idea's key is ``UNSCORED_KEY`` (-1) and every scored one's at least 0 (a score
    sets reach, fit and RICE at once, none of them negative). Checked on ``reach`` alone, the
    unscored ideas by score, highest first, walked past every scored idea before the first of
    them (84 ms on SQLite, 60 on PostgreSQL, at 100,000 ideas four in five scored), and the
    scored ones, lowest first, past every unscored idea (11 to 14 ms)."""
    if where.scored is None or order not in SCORED_ORDERS:
        return []
    key = ORDERINGS[order].key
    return [key > UNSCORED_KEY if where.scored else key == UNSCORED_KEY]


def _idea_conditions(
    connection: Connection, where: IdeaFilter, *, walk: bool = False
) -> list[sa.ColumnElement[bool]]:
    """The conditions of ``where``; with ``walk``, its theme, source kind or country is checked
    idea by idea (``_walks_order``)."""
    conditions: list[sa.ColumnElement[bool]] = []
    if where.stages:
        conditions.append(v.stage.in_(where.stages))
    if not where.include_merged:
        conditions.append(v.stage != str(Stage.MERGED))
    if where.theme:
        t = idea_themes_view.c
        conditions.append(
            sa.exists().where(t.idea_id == v.idea_id, t.theme == where.theme)
            if walk  # checked idea by idea, through the themes' primary key
            else v.idea_id.in_(sa.select(t.idea_id).where(t.theme == where.theme))
        )
    if where.source_kind:
        source_kind = _unindexed(v.source_kind) if walk else v.source_kind
        conditions.append(source_kind == where.source_kind)
    if where.external is not None:
        conditions.append(v.external == where.external)
    if where.country:
        country = _unindexed(v.country) if walk else v.country
        conditions.append(country == where.country.upper())
    if where.scouted_from:
        conditions.append(v.submitted_at >= where.scouted_from)
    if where.scouted_to:
        conditions.append(v.submitted_at <= where.scouted_to)
    if where.scout is not None:
        conditions.append(v.scout == where.scout)
    if where.ethics_status:
        conditions.append(v.ethics_status == where.ethics_status)
    if where.scored is not None:
        conditions.append(v.reach.is_not(None) if where.scored else UNSCORED)
    if where.has_running_experiment is not None:
        running = v.running_experiment_id
        conditions.append(RUNNING if where.has_running_experiment else running.is_(None))
    if where.text:
        conditions.append(_matches_all(connection, where.text, walk=walk))
    return conditions


def _matches_all(connection: Connection, text: str, *, walk: bool) -> sa.ColumnElement[bool]:
    """Ideas whose title or summary holds every word of ``text`` (stemmed); with ``walk``
    (SQLite), checked idea by idea: its row of the full-text index is among the matches, which
    the index lists without reading its rows (reading each match's idea id took 17 ms for
    10,000 matches)."""
    words = terms(text)
    if not words:
        return sa.true()
    if connection.dialect.name == "sqlite" and walk:
        s = search_ideas_view.c
        rows = _fts_matches(words, sa.literal_column("rowid"))
        return sa.exists().where(s.idea_id == v.idea_id, s.fts_row.in_(rows))
    if connection.dialect.name == "sqlite":
        return v.idea_id.in_(_fts_matches(words, sa.literal_column("idea_id")))
    query = " & ".join("'" + word.replace("'", "''").replace("\\", "") + "'" for word in words)
    return SEARCH_DOCUMENT.op("@@")(sa.func.to_tsquery(sa.literal_column("'english'"), query))


def _fts_matches(words: list[str], column: sa.ColumnElement[Any]) -> sa.Select[Any]:
    """``column`` of the rows of SQLite's full-text index (one an idea) holding every word."""
    match = " AND ".join(f'"{word}"' for word in words)
    return (
        sa.select(column)
        .select_from(sa.text("ideas_fts"))
        .where(sa.text("ideas_fts MATCH :match").bindparams(match=match))
    )


# -- experiments ---------------------------------------------------------------------------


class ExperimentFilter(msgspec.Struct, frozen=True, kw_only=True):
    idea_id: str | None = None
    status: str | None = None
    outcome: str | None = None


def _experiment_conditions(where: ExperimentFilter) -> list[sa.ColumnElement[bool]]:
    c = experiments_view.c
    conditions: list[sa.ColumnElement[bool]] = []
    if where.idea_id:
        conditions.append(c.idea_id == where.idea_id)
    if where.status:
        conditions.append(c.status == where.status)
    if where.outcome:
        conditions.append(c.outcome == where.outcome)
    return conditions


def count_experiments(connection: Connection, where: ExperimentFilter) -> int:
    """Experiments matching the filter, in all pages."""
    query = sa.select(sa.func.count()).select_from(experiments_view)
    return int(connection.execute(query.where(*_experiment_conditions(where))).scalar_one())


def experiment_page(
    connection: Connection, where: ExperimentFilter, window: Window, cursors: bool = True
) -> Page:
    """Newest started first, then by id (``cursors``: as ``keyset_page``'s)."""
    query = sa.select(experiments_view).where(*_experiment_conditions(where))
    started = Ordering(
        name="STARTED_AT",
        key=experiments_view.c.started_at,
        parse=datetime.fromisoformat,
        show=datetime.isoformat,
    )
    c, views = experiments_view.c, each(experiment_view)
    return keyset_page(
        connection, query, started, c.experiment_id, True, window, views, cursors=cursors
    )
