"""``among``: a text column among a list bound as one value, on both backends, as ``IN`` finds."""

from __future__ import annotations

import re
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from innovation.projections.among import among
from innovation.projections.telling import search_terms_view
from innovation.store import Database

TABLE = search_terms_view
STORED = [
    "",
    "plain",
    "it's",
    'say "hi"',
    "back\\slash",
    "[1, 2]",
    "line\nbreak",
    "énergie",
    "日本",
    "🙂",
    "%_*",
    "NULL",
]
# Text either backend stores: PostgreSQL refuses NUL, UTF-8 has no lone surrogates.
KEY = st.one_of(
    st.sampled_from(STORED),
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=8),
)


async def _store(database: Database) -> None:
    def write(connection: sa.Connection) -> None:
        connection.execute(sa.delete(TABLE))
        connection.execute(
            sa.insert(TABLE), [{"stem": stem, "ideas": n} for n, stem in enumerate(STORED)]
        )

    await database.write(write)


async def _found(database: Database, keys: list[Any], column: str = "stem") -> list[str]:
    query = sa.select(TABLE.c.stem).where(among(TABLE.c[column], "keys")).order_by(TABLE.c.ideas)
    return await database.read(lambda c: list(c.execute(query, {"keys": keys}).scalars()))


@settings(max_examples=60)
@given(keys=st.lists(KEY, max_size=12))
async def test_the_rows_found_are_those_whose_text_is_one_of_the_keys(
    database: Database, keys: list[str]
):
    await _store(database)
    found = await _found(database, keys)
    assert found == [stem for stem in STORED if stem in keys]


async def test_no_keys_find_nothing(database: Database):
    await _store(database)
    assert await _found(database, []) == []


async def test_a_list_of_any_length_is_one_statement_with_one_parameter(database: Database):
    """The point of ``among``: SQL made once and prepared once, whatever the list's length.
    SQLAlchemy's expanding ``IN`` sends ``IN (?)`` for one key and ``IN (?, ?, ?)`` for three."""
    await _store(database)
    sent: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        sent.append((statement, parameters))

    query = sa.select(TABLE.c.stem).where(among(TABLE.c.stem, "keys"))

    def read(connection: sa.Connection) -> list[list[str]]:
        sa.event.listen(connection, "before_cursor_execute", capture)
        try:
            return [
                list(connection.execute(query, {"keys": keys}).scalars())
                for keys in (["plain"], ["plain", "it's", "missing"], STORED)
            ]
        finally:
            sa.event.remove(connection, "before_cursor_execute", capture)

    answers = await database.read(read)

    assert [sorted(found) for found in answers] == [["plain"], ["it's", "plain"], sorted(STORED)]
    statements = {statement for statement, _ in sent}
    assert len(statements) == 1, statements
    assert all(len(parameters) == 1 for _, parameters in sent), sent


async def test_a_column_of_another_type_is_looked_up_with_in(database: Database):
    await _store(database)
    query = sa.select(TABLE.c.stem).where(among(TABLE.c.ideas, "keys")).order_by(TABLE.c.ideas)
    found = await database.read(lambda c: list(c.execute(query, {"keys": [1, 3]}).scalars()))
    assert found == [STORED[1], STORED[3]]


@pytest.mark.parametrize(
    ("keys", "message"), [(None, "not None"), (["plain", 7], "text, not int (7)")]
)
async def test_keys_other_than_a_list_of_text_are_refused_by_name(
    database: Database, keys: Any, message: str
):
    with pytest.raises(sa.exc.StatementError, match=re.escape(message)):
        await _found(database, keys)
