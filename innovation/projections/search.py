"""Finding ideas like a given text: the database's full-text index finds, a stem overlap scores.

Candidates come from each database's own full-text facility, matching any of the text's most
telling words after stemming (so "networks" finds "network" and the wording may differ):

* SQLite: an FTS5 index (``ideas_fts``, Porter stemming) kept by this projection, ranked by BM25.
* PostgreSQL: an expression GIN index on ``to_tsvector('english', title || ' ' || summary)``,
  created by the migration; the matches are ranked by how many of the words each holds.

Which words are telling, as Lucene's MoreLikeThis picks them: the rarest in the corpus that
still occur in some other idea (``telling.py``: counted exactly on SQLite, from the statistics
and the index on PostgreSQL, where a command writes nothing that other ideas' commands write
too). This projection keeps each idea's stems (``search_ideas_view``). Matching only the rarest
few words keeps the candidates few: a common word such as "customer" matches a large share of
all ideas, and ranking every match made each hint cost time in proportion to the corpus.

The similarity score is then the same on both: the Ochiai coefficient of the two texts' sets of
Snowball stems, ``|A ∩ B| / sqrt(|A| |B|)``, from 0 to 1. Ranking scores such as BM25 depend on
the rest of the corpus. With a handful of ideas, BM25 gives two near-identical texts almost
nothing, so it cannot say how alike two texts are.
"""

from __future__ import annotations

import math
import re
import threading
from collections import Counter
from collections.abc import Iterable, Sequence
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
from innovation.projections.batch import Batch
from innovation.projections.fulltext import remake_empty
from innovation.projections.ideas import ideas_view
from innovation.projections.telling import (
    ALL,
    POOL,
    Telling,
    matching,
    search_ideas_view,
    search_terms_view,
    telling_words,
    write_counts,
)

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


def index_along(batch: Batch, envelopes: Sequence[Recorded]) -> list[Recorded]:
    """Index the ideas these events submit in the batch's own flush, where it writes in one
    statement (PostgreSQL: one round trip fewer per submission); the events left to ``apply``
    after the flush. A submission's whole text is in its event, and nothing is indexed yet."""
    if not batch.together:
        return list(envelopes)
    left = []
    for envelope in envelopes:
        event = envelope.event
        if isinstance(event, IdeaSubmitted):
            new = _join(stems(f"{event.title} {event.summary}"))
            batch[search_ideas_view].insert(
                {"idea_id": event.idea_id, "fts_row": None, "stems": new}
            )
        else:
            left.append(envelope)
    return left


def apply_all(connection: Connection, envelopes: Sequence[Recorded]) -> None:
    """``apply`` each in order; on SQLite each run of submissions is indexed together."""
    submitted: list[IdeaSubmitted] = []
    sqlite = connection.dialect.name == "sqlite"
    for envelope in envelopes:
        if sqlite and isinstance(envelope.event, IdeaSubmitted):
            submitted.append(envelope.event)
            continue
        _index_submitted(connection, submitted)
        submitted = []
        apply(connection, envelope)
    _index_submitted(connection, submitted)


def _index_submitted(connection: Connection, submitted: Sequence[IdeaSubmitted]) -> None:
    """SQLite: ideas just submitted (their whole text in their events, nothing of them indexed
    yet) into the full-text index in order, as ``apply`` would one by one, in three statements
    for all of them, not three each: a write batch's submissions share them."""
    if not submitted:
        return
    last = connection.exec_driver_sql("SELECT coalesce(max(rowid), 0) FROM ideas_fts").scalar()
    held = [stems(f"{event.title} {event.summary}") for event in submitted]
    changes = Counter(stem for found in held for stem in found)
    changes[ALL] = len(submitted)
    write_counts(connection, dict(changes))
    rows = [(int(last or 0) + number, event) for number, event in enumerate(submitted, start=1)]
    connection.exec_driver_sql(
        "INSERT INTO ideas_fts (rowid, idea_id, title, summary) VALUES (?, ?, ?, ?)",
        [(row, event.idea_id, event.title, event.summary) for row, event in rows],
    )
    connection.exec_driver_sql(
        "INSERT INTO search_ideas_view (idea_id, fts_row, stems) VALUES (?, ?, ?)",
        [
            (event.idea_id, row, _join(found))
            for (row, event), found in zip(rows, held, strict=True)
        ],
    )


def apply(connection: Connection, envelope: Recorded) -> None:
    """Index the idea's text as ``ideas_view`` now holds it (the ideas' projection ran first)."""
    event = envelope.event
    idea_id = indexed_idea(event)
    if idea_id is None:
        return
    if isinstance(event, IdeaSubmitted):  # the whole text is in the event, and nothing indexed
        text, before = (event.title, event.summary), None
    else:
        text = connection.execute(
            sa.select(ideas_view.c.title, ideas_view.c.summary).where(
                ideas_view.c.idea_id == idea_id
            )
        ).one()
        before = connection.execute(
            sa.select(search_ideas_view.c.fts_row, search_ideas_view.c.stems).where(
                search_ideas_view.c.idea_id == idea_id
            )
        ).first()
    title, summary = text
    new = stems(f"{title} {summary}")
    row = None
    if connection.dialect.name == "sqlite":
        old = _split(before.stems) if before is not None else frozenset()
        changes = dict.fromkeys(new - old, 1) | dict.fromkeys(old - new, -1)
        if before is None:
            changes[ALL] = 1
        write_counts(connection, changes)
        if before is not None and before.fts_row is not None:
            connection.exec_driver_sql("DELETE FROM ideas_fts WHERE rowid = ?", (before.fts_row,))
        row = connection.exec_driver_sql(
            "INSERT INTO ideas_fts (idea_id, title, summary) VALUES (?, ?, ?)",
            (idea_id, title, summary),
        ).lastrowid
    values = {"idea_id": idea_id, "fts_row": row, "stems": _join(new)}
    if before is None:
        connection.execute(search_ideas_view.insert(), values)
    else:
        connection.execute(
            search_ideas_view.update().where(search_ideas_view.c.idea_id == idea_id), values
        )


class Reindex:
    """The index of a rebuild, written once at its end instead of event by event.

    Event by event, each revision of an idea's text takes its old text back out of the index
    and its stems' counts. The index only ever holds each idea's text as ``ideas_view`` does,
    so it is written from there at the end, ideas in the order event-by-event indexing leaves
    them (last indexed last), which keeps the order of equally ranked matches.
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
        ideas = list(self._order)
        self._order.clear()
        sqlite = connection.dialect.name == "sqlite"
        counts: Counter[str] = Counter()
        for start in range(0, len(ideas), _CHUNK):
            chunk = ideas[start : start + _CHUNK]
            texts = {
                row.idea_id: (row.title, row.summary)
                for row in connection.execute(
                    sa.select(ideas_view.c.idea_id, ideas_view.c.title, ideas_view.c.summary).where(
                        ideas_view.c.idea_id.in_(chunk)
                    )
                )
            }
            rows = []
            for number, idea_id in enumerate(chunk, start=start + 1):
                found = stems(" ".join(texts[idea_id]))
                if sqlite:
                    counts.update(found)
                fts_row = number if sqlite else None
                rows.append({"idea_id": idea_id, "fts_row": fts_row, "stems": _join(found)})
            if sqlite:
                connection.exec_driver_sql(
                    "INSERT INTO ideas_fts (rowid, idea_id, title, summary) VALUES (?, ?, ?, ?)",
                    [(row["fts_row"], row["idea_id"], *texts[row["idea_id"]]) for row in rows],
                )
            connection.execute(search_ideas_view.insert(), rows)
        if ideas and sqlite:
            counts[ALL] = len(ideas)
            merge_index(connection)
        terms = sorted(counts.items())
        for start in range(0, len(terms), _CHUNK):
            connection.execute(
                search_terms_view.insert(),
                [{"stem": stem, "ideas": ideas} for stem, ideas in terms[start : start + _CHUNK]],
            )


def merge_index(connection: Connection) -> None:
    """SQLite's index into one segment (FTS5's optimize, 0.3 s for 100,000 ideas) once written in
    bulk, whose many segments a later single insert merged at once (150 ms; 0.4 at the median)."""
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("INSERT INTO ideas_fts (ideas_fts) VALUES ('optimize')")


_CHUNK = 2000
"""Ideas indexed per ``executemany``: parameters for every idea at once cost memory, not time."""


def clear(connection: Connection) -> None:
    if connection.dialect.name == "sqlite":
        remake_empty(connection, "ideas_fts")
    connection.execute(search_ideas_view.delete())
    connection.execute(search_terms_view.delete())


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
    own = None
    if exclude is not None:
        own = connection.execute(
            sa.select(search_ideas_view.c.stems).where(search_ideas_view.c.idea_id == exclude)
        ).scalar()
    return _similar(connection, text, limit, exclude, own)


def similar_to_idea(connection: Connection, idea_id: str, limit: int = 5) -> list[Similar]:
    """Other ideas that read like this one: the duplicate hints a scout sees after submitting."""
    row = connection.execute(
        sa.select(ideas_view.c.title, ideas_view.c.summary, search_ideas_view.c.stems)
        .outerjoin(search_ideas_view, search_ideas_view.c.idea_id == ideas_view.c.idea_id)
        .where(ideas_view.c.idea_id == idea_id)
    ).first()
    if row is None:
        return []
    return _similar(connection, f"{row.title} {row.summary}", limit, idea_id, row.stems)


def _similar(
    connection: Connection, text: str, limit: int, exclude: str | None, own: str | None
) -> list[Similar]:
    """``similar_ideas``, told the stems of the idea left out (counted among those holding)."""
    by_stem: dict[str, str] = {}
    for word in terms(text):
        by_stem.setdefault(stem(word), word)
    telling = telling_words(connection, by_stem, own, exclude)
    if not telling.words:
        return []
    candidates = _candidates(connection, telling, exclude)
    wanted = stems(text)
    scored = [
        (round(similarity(wanted, _split(found)), 4), order, idea_id)
        for order, (idea_id, found) in enumerate(candidates)
    ]
    scored.sort(key=lambda item: (-item[0], item[1]))
    return [Similar(idea_id, score) for score, _, idea_id in scored[:limit] if score > 0]


def _candidates(
    connection: Connection, telling: Telling, exclude: str | None
) -> list[tuple[str, str]]:
    """Ideas holding any of ``words``, with their stems, best ranked first.

    At most about ``POOL`` matches are ranked: when more may match (``matching``), they are cut
    before ranking, to the most recently indexed ``POOL`` on SQLite, to any ``POOL`` on
    PostgreSQL. On SQLite, merged ideas are left out of the best ``2 * CANDIDATES`` ranked,
    so a text whose best matches are mostly merged gets fewer.
    """
    singles, pairs, many = matching(telling)
    if connection.dialect.name == "sqlite":
        query = " OR ".join(
            [f'"{word}"' for word in singles] + [f'("{a}" AND "{b}")' for a, b in pairs]
        )
        recent = (
            "AND rowid >= coalesce((SELECT rowid FROM ideas_fts WHERE ideas_fts MATCH :query "
            "ORDER BY rowid DESC LIMIT 1 OFFSET :last), 0) "
            if many
            else ""
        )
        # Ranked in the index alone, then joined: each join costs two lookups per row.
        rows = connection.execute(
            sa.text(
                "SELECT f.idea_id, d.stems FROM ("
                "SELECT rowid AS fts_row, idea_id, bm25(ideas_fts, 0.0, 2.0, 1.0) AS rank "
                f"FROM ideas_fts WHERE ideas_fts MATCH :query AND idea_id != :exclude {recent}"
                "ORDER BY rank, rowid LIMIT :ranked) AS f "
                "JOIN ideas_view AS v ON v.idea_id = f.idea_id "
                "JOIN search_ideas_view AS d ON d.idea_id = f.idea_id "
                "WHERE v.stage != :merged ORDER BY f.rank, f.fts_row LIMIT :candidates"
            ),
            {
                "query": query,
                "merged": str(Stage.MERGED),
                "exclude": exclude or "",
                "last": POOL - 1,
                "ranked": 2 * CANDIDATES,
                "candidates": CANDIDATES,
            },
        )
        return [(row[0], row[1]) for row in rows]
    # Ranking by ts_rank_cd would parse each match's text again (to_tsvector: the index keeps
    # no document): instead, matches are ranked by how many of the words they hold, which is
    # what cover density comes to for a query of single words, from the stems kept here.
    query_text = " | ".join(
        [_quote(word) for word in singles] + [f"({_quote(a)} & {_quote(b)})" for a, b in pairs]
    )
    tsquery = sa.func.to_tsquery(sa.literal_column("'english'"), query_text)
    held = (
        sa.select(search_ideas_view.c.stems)
        .where(search_ideas_view.c.idea_id == ideas_view.c.idea_id)
        .scalar_subquery()
    )
    statement = (
        sa.select(ideas_view.c.idea_id, held)
        .where(SEARCH_DOCUMENT.op("@@")(tsquery))
        .where(ideas_view.c.stage != str(Stage.MERGED))
        .where(ideas_view.c.idea_id != (exclude or ""))
    )
    if many:
        statement = statement.limit(POOL)
    wanted = frozenset(map(stem, telling.words))
    matches = [
        (len(wanted & _split(found)), idea_id, found)
        for idea_id, found in connection.execute(statement)
    ]
    matches.sort(key=lambda match: (-match[0], match[1]))
    return [(idea_id, found) for _, idea_id, found in matches[:CANDIDATES]]


def _quote(word: str) -> str:
    """A single lexeme for ``to_tsquery``; quoting keeps operators in the text inert."""
    return "'" + word.replace("'", "''").replace("\\", "") + "'"


def _join(found: frozenset[str]) -> str:
    return " ".join(sorted(found))


def _split(stored: str) -> frozenset[str]:
    return frozenset(stored.split())
