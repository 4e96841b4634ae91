"""The rebuild's floor: its rows written by the bare driver alone.

A rebuild reads the log, folds it and writes every read model. ``write_rows`` times the last
part by itself: the read models' rows, as the rebuild left them, written again by the backend's
own driver into empty tables of the same definitions (indexes and SQLite's full-text table
included), in one transaction, committed. No rebuild can take less, whatever it does before;
the bench prints it beside the rebuild and ``read_all`` (bench/README.md).

* SQLite: ``sqlite3`` into a file in a folder beside the data set, removed after (WAL, ``synchronous=FULL`` and the
  rebuild's page cache, as the service opens it), each table in the order of its rows
  (``rowid``: the order the rebuild wrote them), ``executemany`` 5,000 rows at a time as they
  are read; the full-text index merged into one segment, as the rebuild leaves it.
* PostgreSQL: asyncpg's ``COPY`` (its fastest way in) of each table's own ``COPY`` text into a
  schema of its own whose tables are made ``LIKE`` the read models ``INCLUDING ALL`` (the
  full-text GIN index with them); the schema is dropped after.

Reading the rows to write is not timed.
"""

from __future__ import annotations

import io
import sqlite3
import tempfile
from contextlib import closing
from pathlib import Path
from typing import Any

import sqlalchemy as sa

CHUNK = 5000
SCHEMA = "bench_write_rows"
FULL_TEXT = "ideas_fts"


def read_model_tables() -> list[str]:
    """Every read model the rebuild writes: the folded ones, then the search index's."""
    from innovation.projections import search
    from innovation.projections.projector import TABLES

    return [table.name for table in (*TABLES, search.search_ideas_view, search.search_terms_view)]


async def write_rows(url: str, timer: Any) -> dict[str, Any]:
    """Write the read models of the database at ``url`` again, timing the writes with
    ``timer`` (``time.perf_counter``); return the rows written per table and the seconds."""
    if sa.make_url(url).get_backend_name() == "sqlite":
        return _sqlite(url, timer)
    return await _postgres(url, timer)


def _sqlite(url: str, timer: Any) -> dict[str, Any]:
    from innovation.projections.projector import REBUILD_CACHE_KIB

    source_path = Path(sa.make_url(url).database or "")
    rows: dict[str, int] = {}
    seconds = 0.0
    with (
        tempfile.TemporaryDirectory(dir=source_path.parent) as scratch,
        closing(sqlite3.connect(f"file:{source_path}?mode=ro", uri=True)) as source,
        closing(sqlite3.connect(Path(scratch) / "write_rows.db", isolation_level=None)) as target,
    ):
        target.execute("PRAGMA journal_mode=WAL")
        target.execute("PRAGMA synchronous=FULL")
        target.execute(f"PRAGMA cache_size=-{REBUILD_CACHE_KIB}")
        names = [*read_model_tables(), FULL_TEXT]
        for name in names:
            for (made,) in source.execute(
                "SELECT sql FROM sqlite_master WHERE tbl_name = ? AND sql IS NOT NULL"
                " ORDER BY type DESC",  # the table, then its indexes
                (name,),
            ):
                target.execute(made)
        target.execute("BEGIN IMMEDIATE")
        for name in names:
            columns = "rowid, idea_id, title, summary" if name == FULL_TEXT else "*"
            read = source.execute(f'SELECT {columns} FROM "{name}" ORDER BY rowid')
            listed = f"({columns})" if name == FULL_TEXT else ""
            marks = ", ".join("?" * len(read.description))
            insert = f'INSERT INTO "{name}" {listed} VALUES ({marks})'
            rows[name] = 0
            while chunk := read.fetchmany(CHUNK):
                rows[name] += len(chunk)
                started = timer()
                target.executemany(insert, chunk)
                seconds += timer() - started
            if name == FULL_TEXT:
                started = timer()
                target.execute(f"INSERT INTO {FULL_TEXT} ({FULL_TEXT}) VALUES ('optimize')")
                seconds += timer() - started
        started = timer()
        target.execute("COMMIT")
        seconds += timer() - started
        for name in names:
            counted = target.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
            _check(name, rows[name], counted)
    return {"rows": rows, "seconds": seconds}


async def _postgres(url: str, timer: Any) -> dict[str, Any]:
    import asyncpg

    plain = sa.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    rows: dict[str, int] = {}
    seconds = 0.0
    connection = await asyncpg.connect(plain)
    try:
        await connection.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE; CREATE SCHEMA {SCHEMA}")
        names = read_model_tables()
        for name in names:
            await connection.execute(
                f'CREATE TABLE {SCHEMA}."{name}" (LIKE public."{name}" INCLUDING ALL)'
            )
        transaction = connection.transaction()
        await transaction.start()
        try:
            for name in names:
                # The rows as COPY's own text: written back exactly as read, nothing converted.
                text = io.BytesIO()
                await connection.copy_from_table(name, schema_name="public", output=text)
                rows[name] = text.getvalue().count(b"\n")
                text.seek(0)
                started = timer()
                await connection.copy_to_table(name, schema_name=SCHEMA, source=text)
                seconds += timer() - started
                del text
            started = timer()
            await transaction.commit()
            seconds += timer() - started
        except BaseException:
            await transaction.rollback()
            raise
        for name in names:
            counted = await connection.fetchval(f'SELECT count(*) FROM {SCHEMA}."{name}"')
            _check(name, rows[name], counted)
    finally:
        await connection.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
        await connection.close()
    return {"rows": rows, "seconds": seconds}


def _check(name: str, read: int, written: int) -> None:
    """The rows written are the rows read, or the step fails: a floor of less work is none."""
    if written != read:
        raise RuntimeError(f"{name}: {written} rows written of the {read} read")
