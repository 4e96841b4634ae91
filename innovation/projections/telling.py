"""Which of a text's words a duplicate hint matches: counts of the ideas holding each stem.

A hint matches only the rarest few words of its text, as Lucene's MoreLikeThis picks them, so
that the candidates stay few however many ideas there are. The search projection
(``search.py``) keeps each idea's stems (``search_ideas_view``). Where the counts come from:

* SQLite: per stem, how many ideas hold it (``search_terms_view``), kept exactly by the
  projection; a revision takes back what its old text counted. One writer at a time, so the
  shared rows cost no waiting.
* PostgreSQL: nothing shared is written with a command. Several processes write at once, each
  several commands per transaction; rows per stem, common to most texts, would make writers
  wait on each other and deadlock when two lock them in different orders. The commonest
  lexemes' counts are estimated from the statistics ANALYZE keeps of the GIN index on the
  ideas' text (``pg_stats.most_common_elems``); the rarer ones are counted through that index,
  bounded by what the choice of words needs.
"""

from __future__ import annotations

import threading
import time
from itertools import combinations
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Connection

from innovation.store.tables import metadata

TELLING_TERMS = 8
"""How many of a text's rarest words are matched, at most (Lucene's MoreLikeThis: 25)."""
POOL = 200
"""About how many matching ideas are ranked at most (see ``matching``)."""
PAIRED = 4
"""How many of the rarest words held by many ideas are matched two at a time."""

search_ideas_view = sa.Table(
    "search_ideas_view",
    metadata,
    sa.Column("idea_id", sa.String(64), primary_key=True),
    # The row of ideas_fts that holds its text (SQLite only): a revision deletes that one row.
    sa.Column("fts_row", sa.BigInteger),
    # Its distinct Snowball stems, sorted and joined by spaces: what it adds to the counts.
    sa.Column("stems", sa.Text, nullable=False),
)
ALL = ""
"""The stem under which ``search_terms_view`` counts every idea indexed (no word stems to it)."""
SEARCH_INDEX = "ix_ideas_view_search"
"""PostgreSQL's GIN expression index on the ideas' text (migration 0003)."""
search_terms_view = sa.Table(
    "search_terms_view",
    metadata,
    sa.Column("stem", sa.Text, primary_key=True),
    sa.Column("ideas", sa.Integer, nullable=False),
)


ADD_TO_COUNT = (
    "INSERT INTO search_terms_view (stem, ideas) VALUES (?, ?) ON CONFLICT (stem)"
    " DO UPDATE SET ideas = search_terms_view.ideas + excluded.ideas"
)
DROP_UNHELD = "DELETE FROM search_terms_view WHERE stem = ? AND ideas <= 0"


def write_counts(connection: Connection, changes: dict[str, int]) -> None:
    """Add each change to its stem's count of ideas (SQLite); a stem no idea holds any more goes.

    One statement run for every stem (a statement of as many rows as stems would be compiled
    afresh for each idea, in the single writer)."""
    if not changes:
        return
    connection.exec_driver_sql(ADD_TO_COUNT, sorted(changes.items()))
    gone = [(stem,) for stem, change in sorted(changes.items()) if change < 0]
    if gone:
        connection.exec_driver_sql(DROP_UNHELD, gone)


class Telling(NamedTuple):
    """A text's words worth matching, rarest first, each with the other ideas holding it."""

    words: dict[str, int]
    ideas: int
    """Other ideas in the index, all told."""


def telling_words(
    connection: Connection,
    by_stem: dict[str, str],
    own: str | None = None,
    exclude: str | None = None,
) -> Telling:
    """The rarest ``TELLING_TERMS`` of a text's words that some other idea holds.

    ``by_stem``: a word of the text for each of its stems. A word that most ideas hold finds
    them all and tells none apart, and a word that no other idea holds cannot find anything.
    ``own``: the stems of the idea left out, as stored; ``exclude``: its id.
    """
    if not by_stem:
        return Telling({}, 0)
    if connection.dialect.name == "postgresql":
        counts, ideas = _postgres_counts(connection, by_stem, own, exclude)
    else:
        table = search_terms_view
        wanted = [*by_stem, ALL]
        statement = sa.select(table.c.stem, table.c.ideas).where(table.c.stem.in_(wanted))
        counts = dict(connection.execute(statement).all())
        if own is not None:
            for held in (*own.split(), ALL):
                if held in counts:
                    counts[held] -= 1
        ideas = counts.pop(ALL, 0)
    rarest = sorted(
        (counts[found], order, found)
        for order, found in enumerate(by_stem)
        if counts.get(found, 0) > 0
    )
    chosen = {by_stem[found]: ideas for ideas, _, found in rarest[:TELLING_TERMS]}
    # An estimate may lag behind (PostgreSQL's statistics): no fewer than hold a word.
    return Telling(chosen, max(ideas, *counts.values(), 0))


class Statistics(NamedTuple):
    """What PostgreSQL's statistics say of the ideas' text: its commonest lexemes' idea counts."""

    ideas: int
    """Ideas in the table, as last estimated; 0 before any (then ``common`` is empty)."""
    common: dict[str, int]
    """Ideas estimated to hold each lexeme of the index's most common elements."""


STATISTICS_TTL = 60.0
"""Seconds a process keeps a database's statistics before reading them again."""
_statistics: dict[str, tuple[float, Statistics]] = {}
_statistics_lock = threading.Lock()

# The tsvector statistics ANALYZE gathers on the migration's GIN expression index (listed in
# pg_stats under the index's name); its last three frequencies are the minimum, maximum and null.
_STATISTICS = sa.text(
    "SELECT greatest(c.reltuples, 0)::bigint, s.most_common_elems::text::text[], "
    "s.most_common_elem_freqs FROM pg_class AS c LEFT JOIN pg_stats AS s "
    "ON s.schemaname = current_schema() AND s.tablename = :index "
    "WHERE c.oid = CAST(:table AS regclass)"
).bindparams(index=SEARCH_INDEX, table="ideas_view")

# For each word, the other ideas holding it, counted through the GIN index up to :cap.
_BOUNDED = sa.text(
    "SELECT w.word, (SELECT count(*) FROM (SELECT 1 FROM ideas_view "
    "WHERE to_tsvector('english', title || ' ' || summary) @@ plainto_tsquery('english', w.word) "
    "AND idea_id <> :exclude LIMIT :cap) AS s) "
    "FROM unnest(CAST(:words AS text[])) AS w(word)"
).bindparams(sa.bindparam("words", type_=ARRAY(sa.Text)))


def statistics(connection: Connection) -> Statistics:
    """The database's statistics, read at most once per ``STATISTICS_TTL`` in each process."""
    key = connection.engine.url.render_as_string(hide_password=True)
    now = time.monotonic()
    with _statistics_lock:
        kept = _statistics.get(key)
    if kept is not None and now - kept[0] < STATISTICS_TTL:
        return kept[1]
    ideas, elems, freqs = connection.execute(_STATISTICS).one()
    common: dict[str, int] = {}
    if ideas > 0 and elems:
        common = {
            lexeme: max(round(freq * ideas), 1)
            for lexeme, freq in zip(elems, freqs[: len(elems)], strict=True)
        }
    found = Statistics(int(ideas), common)
    with _statistics_lock:
        _statistics[key] = (now, found)
    return found


def forget_statistics() -> None:
    """Drop the statistics this process keeps, so the next hint reads them afresh."""
    with _statistics_lock:
        _statistics.clear()


def _postgres_counts(
    connection: Connection, by_stem: dict[str, str], own: str | None, exclude: str | None
) -> tuple[dict[str, int], int]:
    """Per stem, the other ideas holding it, and all other ideas: nothing shared is written.

    A stem among the statistics' most common lexemes takes its estimate, unless that leaves
    no other idea holding it. Any other is rarer than all of those, and is counted through the
    index, up to what ``matching`` tells apart, so a word no other idea holds is still known as
    such. Snowball's English stems are PostgreSQL's English lexemes.
    """
    known = statistics(connection)
    held = frozenset(own.split()) if own is not None else frozenset()
    estimates = {found: known.common.get(found, 0) - (found in held) for found in by_stem}
    # An estimate of none but the idea itself is of a table analyzed before the others came
    # (ANALYZE of a few ideas, the next one not due yet): counted, it still finds them.
    counts = {found: ideas for found, ideas in estimates.items() if ideas > 0}
    rare = [word for found, word in by_stem.items() if found not in counts]
    if rare:
        stem_of = {word: found for found, word in by_stem.items()}
        rows = connection.execute(
            _BOUNDED, {"words": rare, "exclude": exclude or "", "cap": POOL + 1}
        )
        counts |= {stem_of[word]: int(ideas) for word, ideas in rows}
    return counts, max(known.ideas - (own is not None), 0)


def matching(telling: Telling) -> tuple[list[str], list[tuple[str, str]], bool]:
    """What a candidate must hold, and whether more than about ``POOL`` ideas may hold it.

    Any one of the rarest words, while the ideas holding them add up to at most a quarter of
    ``POOL``: few enough to rank them all. Or two of the next ``PAIRED`` words, the pairs that
    fewest ideas may hold first (about ``a * b / ideas`` for words that ``a`` and ``b`` ideas
    hold), while the matches expected stay within ``POOL``: a near-duplicate holds most of
    them. BM25 ranks the ideas holding more of them first. When nothing fits, the rarest word
    alone, its matches cut before ranking.
    """
    words = telling.words
    singles: list[str] = []
    expected = 0.0
    for word, ideas in words.items():
        if expected + ideas > POOL // 4:
            break
        singles.append(word)
        expected += ideas
    others = list(words)[len(singles) : len(singles) + PAIRED]

    def shared(pair: tuple[str, str]) -> float:
        return words[pair[0]] * words[pair[1]] / max(telling.ideas, 1)

    pairs: list[tuple[str, str]] = []
    for pair in sorted(combinations(others, 2), key=shared):
        if expected + shared(pair) > POOL:
            break
        pairs.append(pair)
        expected += shared(pair)
    if singles or pairs or not words:
        return singles, pairs, False
    rarest, ideas = next(iter(words.items()))
    return [rarest], [], ideas > POOL
