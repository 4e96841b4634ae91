"""A short statement that binds nothing, read through the database's own driver.

SQLAlchemy turns each statement's result into its own rows, and on PostgreSQL runs it through
its adapter of asyncpg's cursors: for a statement of a few dozen short rows that is most of
what the service spends on it. The pipeline's counts, read
for every ``pipeline`` request, cost the service 134 to 165 µs of CPU a statement through
SQLAlchemy and 77 to 100 through asyncpg directly (2,000 statements each, three rounds, on the
bench's data set); on SQLite 49 against 33 through ``sqlite3``'s cursor. The statement is
compiled once for each dialect; its rows are the driver's own (tuples on SQLite, asyncpg's
records on PostgreSQL), which unpack alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Dialect

from innovation.store.pg_batches import fetch
from innovation.store.sqlite_log import driver


def driver_rows(connection: Connection, statement: sa.ClauseElement) -> list[Sequence[Any]]:
    """Every row of ``statement`` (which binds no value), read by the driver itself."""
    sql = _compiled(statement, connection.dialect)
    if connection.dialect.name == "postgresql":
        return fetch(connection, sql)
    return list(driver(connection).execute(sql).fetchall())


@lru_cache(maxsize=64)
def _compiled(statement: sa.ClauseElement, dialect: Dialect) -> str:
    compiled = statement.compile(dialect=dialect)
    if compiled.params:
        raise ValueError(f"a statement read by the driver binds no value, not {compiled.params}")
    return str(compiled)
