"""Finding ideas like a given text: the database's full-text index finds, a stem overlap scores.

Candidates come from each database's own full-text facility, matching any of the text's words
after stemming (so "networks" finds "network" and the wording may differ):

* SQLite: an FTS5 index (``ideas_fts``, Porter stemming) kept by this projection, ranked by BM25.
* PostgreSQL: an expression GIN index on ``to_tsvector('english', title || ' ' || summary)``,
  created by the migration and ranked by ``ts_rank_cd``.

The similarity score is then the same on both: the Ochiai coefficient of the two texts' sets of
Snowball stems, ``|A ∩ B| / sqrt(|A| |B|)``, from 0 to 1. Ranking scores such as BM25 depend on
the rest of the corpus. With a handful of ideas, BM25 gives two near-identical texts almost
nothing, so it cannot say how alike two texts are.
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Iterable
from functools import lru_cache

import msgspec
import snowballstemmer
import sqlalchemy as sa

# Registers PostgreSQL's typed full-text functions, which SQLAlchemy then requires to be used.
import sqlalchemy.dialects.postgresql
from sqlalchemy.engine import Connection

from innovation.domain.ideas import IdeaRevised, IdeaSubmitted
from innovation.domain.recorded import Recorded
from innovation.domain.values import Stage
from innovation.projections.ideas import ideas_view

MAX_TERMS = 32
CANDIDATES = 25
_local = threading.local()
# Words that say nothing about what an idea is about.
_STOPWORDS = frozenset(
    (
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "for",
        "from",
        "has",
        "have",
        "in",
        "into",
        "is",
        "it",
        "its",
        "of",
        "on",
        "or",
        "our",
        "that",
        "the",
        "their",
        "this",
        "to",
        "using",
        "via",
        "was",
        "we",
        "were",
        "will",
        "with",
        "without",
    )
)
_WORD = re.compile(r"[^\W_]{2,}", re.UNICODE)


# Must read exactly as the migration's index does, so PostgreSQL uses that index.
SEARCH_DOCUMENT = sa.func.to_tsvector(
    sa.literal_column("'english'"),
    ideas_view.c.title.op("||")(sa.literal_column("' '")).op("||")(ideas_view.c.summary),
)


class Similar(msgspec.Struct, frozen=True):
    idea_id: str
    score: float


def terms(text: str) -> list[str]:
    """The distinct, meaningful lower-case words of ``text``, in order of first appearance."""
    words = (word.lower() for word in _WORD.findall(text))
    return list(dict.fromkeys(w for w in words if w not in _STOPWORDS))[:MAX_TERMS]


def indexed_idea(event: object) -> str | None:
    """The idea whose text in the index this event changes, if any."""
    match event:
        case IdeaSubmitted():
            return event.idea_id
        case IdeaRevised(title=title, summary=summary) if title or summary:
            return event.idea_id
        case _:
            return None


def apply(connection: Connection, envelope: Recorded) -> None:
    """Index the idea's text as ``ideas_view`` now holds it (the ideas' projection ran first)."""
    if connection.dialect.name != "sqlite":
        return  # PostgreSQL indexes ideas_view itself
    idea_id = indexed_idea(envelope.event)
    if idea_id is None:
        return
    if isinstance(envelope.event, IdeaRevised):
        # idea_id is not indexed by FTS5: this scans the index, once per revision of a text.
        connection.exec_driver_sql("DELETE FROM ideas_fts WHERE idea_id = ?", (idea_id,))
    connection.execute(_INDEX_IDEA, {"idea_id": idea_id})


_INDEX_IDEA = sa.text(
    "INSERT INTO ideas_fts (idea_id, title, summary) "
    "SELECT idea_id, title, summary FROM ideas_view WHERE idea_id = :idea_id"
)


class Reindex:
    """The index of a rebuild, written once at its end instead of event by event.

    Event by event, each revision of an idea's text deletes its row from the index by
    ``idea_id``, which FTS5 cannot look up: a scan of the whole index, so a rebuild slowed
    down as ideas accumulated. The index only ever holds each idea's text as ``ideas_view``
    does, so it is written from there at the end, ideas in the order event-by-event indexing
    leaves them (last indexed last), which keeps the order of equally ranked matches.
    """

    def __init__(self) -> None:
        self._order: dict[str, None] = {}

    def note(self, envelopes: Iterable[Recorded]) -> None:
        for envelope in envelopes:
            idea_id = indexed_idea(envelope.event)
            if idea_id is not None:
                self._order.pop(idea_id, None)
                self._order[idea_id] = None

    def write(self, connection: Connection) -> None:
        if connection.dialect.name != "sqlite" or not self._order:
            return
        ideas = list(self._order)
        self._order.clear()
        for start in range(0, len(ideas), _CHUNK):
            chunk = ideas[start : start + _CHUNK]
            connection.execute(_INDEX_IDEA, [{"idea_id": idea_id} for idea_id in chunk])


_CHUNK = 2000
"""Ideas indexed per ``executemany``: parameters for every idea at once cost memory, not time."""


def clear(connection: Connection) -> None:
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("DELETE FROM ideas_fts")


def stems(text: str) -> frozenset[str]:
    return frozenset(map(stem, terms(text)))


@lru_cache(maxsize=1 << 16)
def stem(word: str) -> str:
    """A word's Snowball stem, each word stemmed once: ideas share most of their words.

    A stemmer keeps the word it works on in itself, so each thread has its own (reads run on
    several threads; one shared stemmer garbled words and failed under concurrent requests).
    """
    stemmer = getattr(_local, "stemmer", None)
    if stemmer is None:
        stemmer = _local.stemmer = snowballstemmer.stemmer("english")
    return str(stemmer.stemWord(word))


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    """Ochiai coefficient of two stem sets: 1 for the same words, 0 for none in common."""
    if not a or not b:
        return 0.0
    return len(a & b) / math.sqrt(len(a) * len(b))


def similar_ideas(
    connection: Connection, text: str, limit: int = 5, exclude: str | None = None
) -> list[Similar]:
    """Up to ``limit`` ideas that read like ``text``, closest first.

    Merged ideas are left out: they live on in the idea they were merged into.
    """
    words = terms(text)
    if not words:
        return []
    candidates = _candidates(connection, words, exclude)
    wanted = stems(text)
    scored = [
        (round(similarity(wanted, stems(f"{title} {summary}")), 4), order, idea_id)
        for order, (idea_id, title, summary) in enumerate(candidates)
    ]
    scored.sort(key=lambda item: (-item[0], item[1]))
    return [Similar(idea_id, score) for score, _, idea_id in scored[:limit] if score > 0]


def similar_to_idea(connection: Connection, idea_id: str, limit: int = 5) -> list[Similar]:
    """Other ideas that read like this one: the duplicate hints a scout sees after submitting."""
    row = connection.execute(
        sa.select(ideas_view.c.title, ideas_view.c.summary).where(ideas_view.c.idea_id == idea_id)
    ).first()
    if row is None:
        return []
    return similar_ideas(connection, f"{row.title} {row.summary}", limit=limit, exclude=idea_id)


def _candidates(
    connection: Connection, words: list[str], exclude: str | None
) -> list[tuple[str, str, str]]:
    """Ideas sharing any word with the text, best ranked first by the database's own index."""
    if connection.dialect.name == "sqlite":
        query = " OR ".join(f'"{word}"' for word in words)
        rows = connection.exec_driver_sql(
            "SELECT v.idea_id, v.title, v.summary "
            "FROM ideas_fts AS f JOIN ideas_view AS v ON v.idea_id = f.idea_id "
            "WHERE ideas_fts MATCH ? AND v.stage != ? AND f.idea_id != ? "
            "ORDER BY bm25(ideas_fts, 0.0, 2.0, 1.0) LIMIT ?",
            (query, str(Stage.MERGED), exclude or "", CANDIDATES),
        )
        return [tuple(row) for row in rows]
    query_text = " | ".join(_quote(word) for word in words)
    tsquery = sa.func.to_tsquery(sa.literal_column("'english'"), query_text)
    rank = sa.func.ts_rank_cd(SEARCH_DOCUMENT, tsquery)
    statement = (
        sa.select(ideas_view.c.idea_id, ideas_view.c.title, ideas_view.c.summary)
        .where(SEARCH_DOCUMENT.op("@@")(tsquery))
        .where(ideas_view.c.stage != str(Stage.MERGED))
        .where(ideas_view.c.idea_id != (exclude or ""))
        .order_by(rank.desc(), ideas_view.c.idea_id)
        .limit(CANDIDATES)
    )
    return [tuple(row) for row in connection.execute(statement)]


def _quote(word: str) -> str:
    """A single lexeme for ``to_tsquery``; quoting keeps operators in the text inert."""
    return "'" + word.replace("'", "''").replace("\\", "") + "'"
