"""A batch's inserts and updates on PostgreSQL, every table's in one statement.

On SQLite a statement costs no round trip; on PostgreSQL each costs one, and a command that
changes three read models (a measurement: the experiment, the metric, the measurement's own
row) waited for three. Here every write of a flush is a data-modifying ``WITH`` clause of one
statement, its rows passed as one array per column and spread back into rows by ``unnest``:

    WITH w0 AS (INSERT INTO t (a, b) SELECT * FROM unnest($1::text[], $2::integer[])),
         w1 AS (UPDATE u SET c = v.c FROM unnest($3::text[], $4::float[]) AS v(k_id, c)
                WHERE u.id = v.k_id)
    SELECT 1

Counts are added the same way, by an insert that adds to the row it meets (``ON CONFLICT …
DO UPDATE``), and a batch's own extra writes (``Batch.write_along``) join the statement too.

The clauses run on one snapshot and none sees another's rows, which a batch never needs: each
table appears once per kind of write, a row the batch inserts is never updated in the same
flush, and deletes run before, as statements of their own. Values go through each column's
own bind processor, as SQLAlchemy would send them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Dialect


class Write(NamedTuple):
    """Rows to insert into ``table`` (``keys`` None), or to update by ``keys`` (their values
    under ``key_<name>``), setting ``columns``. An insert ``adding`` columns adds their values
    to a row already there with the same primary key, instead of failing on it."""

    table: sa.Table
    keys: tuple[str, ...] | None
    columns: tuple[str, ...]
    rows: Sequence[dict[str, Any]]
    adding: tuple[str, ...] = ()


Converter = Callable[[Any], Any] | None
Shape = tuple[tuple[sa.Table, tuple[str, ...] | None, tuple[str, ...], tuple[str, ...]], ...]
_STATEMENTS: dict[Shape, tuple[str, tuple[tuple[str, Converter], ...]]] = {}
"""The SQL of each shape of flush, and each parameter's row field and converter: a command
kind writes the same tables and columns every time, so these are few."""


def write_together(connection: Connection, writes: Sequence[Write]) -> None:
    """Run every write in one statement (one round trip)."""
    if not writes:
        return
    shape = tuple((write.table, write.keys, write.columns, write.adding) for write in writes)
    found = _STATEMENTS.get(shape)
    if found is None:
        found = _STATEMENTS[shape] = _statement(connection.dialect, writes)
    sql, fields = found
    parameters: list[list[Any]] = []
    at = 0
    for write in writes:
        width = len(write.columns) + len(write.keys or ())
        for field, convert in fields[at : at + width]:
            values = [row[field] for row in write.rows]
            parameters.append(values if convert is None else [convert(v) for v in values])
        at += width
    connection.exec_driver_sql(sql, tuple(parameters))


def _statement(
    dialect: Dialect, writes: Sequence[Write]
) -> tuple[str, tuple[tuple[str, Converter], ...]]:
    quote = dialect.identifier_preparer.quote
    clauses: list[str] = []
    fields: list[tuple[str, Converter]] = []

    def arrays(table: sa.Table, named: Sequence[tuple[str, str]]) -> str:
        """``$n::type[]`` for each (column, row field), noting how each is converted."""
        out = []
        for column, field in named:
            kind = table.c[column].type
            fields.append((field, kind.dialect_impl(dialect).bind_processor(dialect)))
            out.append(f"${len(fields)}::{kind.compile(dialect=dialect)}[]")
        return ", ".join(out)

    for number, write in enumerate(writes):
        table = dialect.identifier_preparer.format_table(write.table)
        if write.keys is None:
            columns = ", ".join(quote(name) for name in write.columns)
            spread = arrays(write.table, [(name, name) for name in write.columns])
            upsert = ""
            if write.adding:
                target = ", ".join(quote(column.name) for column in write.table.primary_key)
                sums = ", ".join(
                    f"{quote(name)} = {table}.{quote(name)} + excluded.{quote(name)}"
                    for name in write.adding
                )
                upsert = f" ON CONFLICT ({target}) DO UPDATE SET {sums}"
            clauses.append(
                f"w{number} AS (INSERT INTO {table} ({columns})"
                f" SELECT * FROM unnest({spread}){upsert})"
            )
            continue
        keyed = [(name, f"key_{name}") for name in write.keys]
        spread = arrays(write.table, [*keyed, *((name, name) for name in write.columns)])
        aliases = ", ".join(quote(field) for _, field in keyed)
        aliases += "".join(f", {quote(name)}" for name in write.columns)
        sets = ", ".join(f"{quote(name)} = v.{quote(name)}" for name in write.columns)
        where = " AND ".join(f"{table}.{quote(name)} = v.{quote(key)}" for name, key in keyed)
        clauses.append(
            f"w{number} AS (UPDATE {table} SET {sets} FROM unnest({spread}) AS v({aliases})"
            f" WHERE {where})"
        )
    return "WITH " + ", ".join(clauses) + " SELECT 1", tuple(fields)
