"""Which of a text's words a duplicate hint matches: counts of the ideas holding each stem.

The search projection (``search.py``) keeps each idea's stems (``search_ideas_view``) and, per
stem, how many ideas hold it (``search_terms_view``), so that a revision can take back what its
old text counted. A hint matches only the rarest few words of its text, as Lucene's
MoreLikeThis picks them, so that the candidates stay few however many ideas there are.
"""

from __future__ import annotations

from itertools import combinations
from typing import NamedTuple

import sqlalchemy as sa
import sqlalchemy.dialects.postgresql
import sqlalchemy.dialects.sqlite
from sqlalchemy.dialects.postgresql import ARRAY, REGCLASS
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
"""The stem under which SQLite's ``search_terms_view`` counts every idea indexed (no word stems
to it). PostgreSQL estimates that count instead: with a row of their own to add to, all
writers would wait on each other for it."""
search_terms_view = sa.Table(
    "search_terms_view",
    metadata,
    sa.Column("stem", sa.Text, primary_key=True),
    sa.Column("ideas", sa.Integer, nullable=False),
)


def write_counts(connection: Connection, changes: dict[str, int]) -> None:
    """Add each change to its stem's count of ideas; a stem no idea holds any more goes.

    Stems are written in sorted order, so two writers lock the rows they share in the same order.
    """
    if not changes:
        return
    table = search_terms_view
    insert = (
        sqlalchemy.dialects.postgresql.insert(table)
        if connection.dialect.name == "postgresql"
        else sqlalchemy.dialects.sqlite.insert(table)
    )
    rows = [{"stem": stem, "ideas": change} for stem, change in sorted(changes.items())]
    upsert = insert.values(rows)
    connection.execute(
        upsert.on_conflict_do_update(
            index_elements=[table.c.stem], set_={"ideas": table.c.ideas + upsert.excluded.ideas}
        )
    )
    gone = [stem for stem, change in changes.items() if change < 0]
    if gone:
        connection.execute(table.delete().where(table.c.stem.in_(gone), table.c.ideas <= 0))


class Telling(NamedTuple):
    """A text's words worth matching, rarest first, each with the other ideas holding it."""

    words: dict[str, int]
    ideas: int
    """Other ideas in the index, all told."""


def telling_words(
    connection: Connection, by_stem: dict[str, str], own: str | None = None
) -> Telling:
    """The rarest ``TELLING_TERMS`` of a text's words that some other idea holds.

    ``by_stem``: a word of the text for each of its stems. A word that most ideas hold finds
    them all and tells none apart, and a word that no other idea holds cannot find anything.
    ``own``: the stems of an idea left out, as stored.
    """
    if not by_stem:
        return Telling({}, 0)
    table = search_terms_view
    wanted = [*by_stem, ALL]
    if connection.dialect.name == "postgresql":
        # One statement whatever the number of words, so it is prepared once per connection.
        among = table.c.stem == sa.any_(sa.literal(wanted, ARRAY(sa.Text)))
        estimate = (
            sa.select(
                sa.literal(ALL), sa.cast(sa.func.greatest(sa.column("reltuples"), 0), sa.Integer)
            )
            .select_from(sa.table("pg_class"))
            .where(sa.column("oid") == sa.cast(sa.literal(search_ideas_view.name), REGCLASS))
        )
        statement: sa.Select[tuple[str, int]] | sa.CompoundSelect = (
            sa.select(table.c.stem, table.c.ideas).where(among).union_all(estimate)
        )
    else:
        statement = sa.select(table.c.stem, table.c.ideas).where(table.c.stem.in_(wanted))
    counts: dict[str, int] = dict(connection.execute(statement).all())
    if own is not None:
        for held in (*own.split(), ALL):
            if held in counts:
                counts[held] -= 1
    rarest = sorted(
        (counts[found], order, found)
        for order, found in enumerate(by_stem)
        if counts.get(found, 0) > 0
    )
    chosen = {by_stem[found]: ideas for ideas, _, found in rarest[:TELLING_TERMS]}
    # An estimate may lag behind (PostgreSQL's before its first ANALYZE): no fewer than hold a word.
    return Telling(chosen, max(counts.values(), default=0))


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
