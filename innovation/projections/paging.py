"""Keyset pages in both directions: ``first``/``after`` forwards, ``last``/``before`` backwards.

A page is ordered by one sort key and then by id, so ties keep a stable order and a cursor
(the key, the id, and the ordering's name) points at exactly one place, however rows move.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import msgspec
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Result

V = TypeVar("V")
Row = Mapping[str, Any]
"""A row as the views take it: a plain dict (``plain_rows``)."""
Views = Callable[[tuple[str, ...], Sequence[Sequence[Any]]], list[V]]
"""Rows made views all at once: ``views(names, rows)``, each row its columns in ``names``'
order (``each`` makes one of a view of one row)."""


def each(view: Callable[[Row], V]) -> Views[V]:
    """``Views`` from a view of one row, given each row as a plain dict."""

    def views(names: tuple[str, ...], rows: Sequence[Sequence[Any]]) -> list[V]:
        return [view(dict(zip(names, row, strict=True))) for row in rows]

    return views


class InvalidCursorError(ValueError):
    """A pagination cursor this service did not hand out."""


class Page(msgspec.Struct, frozen=True):
    """The views of one page, each with its cursor, and whether more follow."""

    rows: list[tuple[str, Any]]
    has_next: bool
    total: int | None = None
    has_previous: bool = False


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


class Window(msgspec.Struct, frozen=True, kw_only=True):
    """Which slice of a list: the ``first`` after a cursor, or the ``last`` before one."""

    first: int | None = None
    after: str | None = None
    last: int | None = None
    before: str | None = None


class Ordering(msgspec.Struct, frozen=True, kw_only=True):
    """A sort key with its name (kept in cursors) and how its value reads back from a cursor."""

    name: str
    key: Any  # a SQL expression
    parse: Callable[[str], Any]
    show: Callable[[Any], str] = str


def keyset_page(
    connection: Connection,
    query: sa.Select[Any],
    ordering: Ordering,
    id_column: Any,
    descending: bool,
    window: Window,
    views: Views[V],
    *,
    found_first: bool = False,
    split: Sequence[sa.ColumnElement[bool]] = (),
    cursors: bool = True,
    fixed_key: Any = None,
) -> Page:
    """One page of ``query`` in the given order; rows come back in that order either way.

    With ``found_first``, the rows matching the query are found first and then sorted: it is
    planned as a subquery of its own (PostgreSQL's ``OFFSET 0``), so the planner cannot walk
    an index of the order checking its condition row by row, expecting to meet enough rows
    early. For a condition costly to check (a text search) whose matches lie far along the
    order (ideas of an older topic), such a walk checked every newer row first: 1.1 to 3.0 s
    for a page of 20 at 190,000 ideas, against 2 to 83 ms found through the search index.

    With ``split`` (conditions that part the rows, each read in the order from an index of its
    own), the page is the first rows of each part, merged: for a condition an index holds value
    by value (several stages), where the database would otherwise read every row of those values
    and sort them all.

    Without ``cursors``, only the first row and the last carry theirs (a page's start and end
    cursors), the others an empty one: for a caller that asks for no edge's cursor. Encoding
    every row's took about a sixteenth of the CPU of the bench's page of 100 ideas.

    With ``fixed_key``, the query keeps only rows whose key has that one value (the filter
    fixes it): they are ordered by id alone, which the database reads in order from an index of
    (key, id) with the key's value given, where SQLite sorted them all when ordered by both.

    A page whose statement binds nothing but its size has the size written into the statement:
    PostgreSQL then plans it once and keeps the plan, where a size given as a parameter had each
    statement planned afresh (the bench's page of 100 ideas, 2,000 statements of each through
    asyncpg: 120 to 170 µs of PostgreSQL's CPU a statement against 175 to 195). A statement
    with other parameters keeps its size one too, so that PostgreSQL plans it for the values
    it is given: one plan kept for every value of a filter suits some of them only."""
    key = ordering.key.label("sort_key")
    query = query.add_columns(key)
    backwards = window.last is not None
    size = window.last if backwards else window.first
    assert size is not None  # the API asks for one of them
    for cursor, later in ((window.after, True), (window.before, False)):
        if cursor is not None:
            beyond = _beyond(ordering, id_column, cursor, descending == later, fixed_key)
            query = query.where(beyond)
    # Backwards: walk the other way from ``before``, then turn the rows round.
    walk_descending = descending != backwards
    limit: Any = size + 1
    if query.whereclause is None and not split and not found_first:
        limit = sa.bindparam("page_size", size + 1, literal_execute=True)

    def ordered(query: sa.Select[Any], key: Any, ident: Any) -> sa.Select[Any]:
        keys = (ident,) if fixed_key is not None else (key, ident)
        return query.order_by(
            *(part.desc() if walk_descending else part.asc() for part in keys)
        ).limit(limit)

    if split:
        parts = [ordered(query.where(part), ordering.key, id_column).subquery() for part in split]
        found = sa.union_all(*(sa.select(part) for part in parts)).subquery("found")
        query = ordered(sa.select(found), found.c.sort_key, found.c[id_column.name])
    elif found_first:
        found = query.offset(0).subquery("found")
        query = ordered(sa.select(found), found.c.sort_key, found.c[id_column.name])
    else:
        query = ordered(query, ordering.key, id_column)
    result = connection.execute(query)
    names = plain_names(result)
    rows = list(result.all())
    more = len(rows) > size
    del rows[size:]
    if backwards:
        rows.reverse()
    ends = (0, len(rows) - 1)
    key_at, id_at = names.index("sort_key"), names.index(id_column.name)
    page = [
        (
            encode_cursor(ordering.name, ordering.show(row[key_at]), row[id_at])
            if cursors or index in ends
            else "",
            made,
        )
        for index, (row, made) in enumerate(zip(rows, views(names, rows), strict=True))
    ]
    if backwards:
        return Page(page, has_next=window.before is not None, has_previous=more)
    return Page(page, has_next=more, has_previous=window.after is not None)


def plain_rows(result: Result[Any]) -> list[dict[str, Any]]:
    """A result's rows as plain dicts, the column names read once rather than for each row
    (SQLAlchemy's ``RowMapping`` builds its keys again for every row asked for its items).
    Names are made plain ``str``: SQLAlchemy's may be a subclass, which msgspec does not take
    as a key. The rows are fetched at once (``all``): iterating the result fetches them one
    call at a time."""
    names = plain_names(result)
    return [dict(zip(names, row, strict=True)) for row in result.all()]


def plain_names(result: Result[Any]) -> tuple[str, ...]:
    """A result's column names as plain ``str`` (``plain_rows``)."""
    return tuple(str(name) for name in result.keys())  # noqa: SIM118 (a result, not a dict)


def _beyond(
    ordering: Ordering, id_column: Any, cursor: str, below: bool, fixed_key: Any = None
) -> sa.ColumnElement[bool]:
    """Rows past the cursor: below it (smaller key, then smaller id) or above it. With
    ``fixed_key`` (every row's key), the key's part is decided here, and only the id is asked."""
    name, raw, row_id = decode_cursor(cursor, 3)
    if name != ordering.name:
        raise InvalidCursorError(f"a cursor of the {name} ordering, not of {ordering.name}")
    try:
        value = ordering.parse(raw)
    except ValueError:
        raise InvalidCursorError(f"not a cursor of this list: {cursor!r}") from None
    if fixed_key is not None and fixed_key != value:
        return sa.true() if (fixed_key < value) == below else sa.false()
    if fixed_key is not None:
        return id_column < row_id if below else id_column > row_id
    if below:
        return sa.or_(ordering.key < value, sa.and_(ordering.key == value, id_column < row_id))
    return sa.or_(ordering.key > value, sa.and_(ordering.key == value, id_column > row_id))
