"""Read-model rows gathered in memory while events are folded, then written a table at a time.

Every projection folds events into a ``Batch`` rather than running statements per event: the
rows it reads are loaded once (``prefetch``, or one by one on a miss), the rows it adds and the
columns it changes are kept in memory, and ``flush`` writes each table with one ``executemany``
per kind of change. The live path folds one command's events and flushes; a rebuild folds a page
of the log and flushes. Both run the same fold, so a rule is written once.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Dialect

from innovation.domain.recorded import Recorded
from innovation.projections.together import Write, write_together
from innovation.store.tables import UTCDateTime

Key = tuple[Any, ...]
Row = dict[str, Any]
Condition = tuple[tuple[str, Any], ...]

IN_CHUNK = 2000
"""Values per ``IN (...)`` of a prefetch: well under every backend's limit on parameters."""

_INSERTS: dict[sa.Table, sa.Insert] = {}
_UPDATES: dict[sa.Table, sa.Update] = {}
_DELETES: dict[tuple[sa.Table, str], sa.Delete] = {}
_SELECTS: dict[tuple[sa.Table, tuple[str, ...], bool], sa.Select[Any]] = {}
"""Statements built once per shape: building one and its cache key costs more than running it."""


def touched(envelopes: Iterable[Recorded[Any]], kinds: tuple[type, ...], field: str) -> list[Any]:
    """The ``field`` (an aggregate's id) of every event of these kinds: the rows to prefetch."""
    types = frozenset(kinds)
    return [getattr(e.event, field) for e in envelopes if type(e.event) in types]


Shape = tuple[tuple[str, ...], tuple[str, ...], Row, Callable[[Mapping[str, Any]], Any]]
_SHAPES: dict[sa.Table, Shape] = {}


def _shape(table: sa.Table) -> Shape:
    """A table's key names, column names, a row of NULLs (never changed: copied), and a
    getter of a row's key: worked out once per table, not once per command."""
    shape = _SHAPES.get(table)
    if shape is None:
        # Plain ``str``: SQLAlchemy's names may be a subclass, which msgspec takes for no key.
        key_names = tuple(str(column.name) for column in table.primary_key.columns)
        names = tuple(str(column.name) for column in table.columns)
        shape = (key_names, names, dict.fromkeys(names), operator.itemgetter(*key_names))
        _SHAPES[table] = shape
    return shape


class Rows:
    """One table's rows as a batch sees them: read from the database, added, or changed."""

    def __init__(self, connection: Connection, table: sa.Table) -> None:
        self.connection = connection
        self.table = table
        self.key_names, self.names, self._blank, self._keys = _shape(table)
        self._single = len(self.key_names) == 1
        self._known: dict[Key, Row] = {}
        self._inserted: list[Row] = []
        self._fresh: set[Key] = set()
        self._changed: dict[Key, set[str]] = {}
        self._loaded: set[Condition] = set()
        self._deleted: dict[str, dict[Any, None]] = {}
        self._keep: tuple[str, ...] = ()
        self._stored: dict[Key, Row] = {}
        self._unread: dict[Key, Row] = {}
        self._written: dict[Key, Row] = {}

    def keep_stored(self, columns: Sequence[str]) -> None:
        """Remember these columns of every row loaded from now on, as stored, until the flush."""
        self._keep = tuple(columns)

    def stored_and_current(self) -> Iterator[tuple[Row | None, Row | None]]:
        """(as stored, as now) for every row the batch added, changed or deleted, of the kept
        columns as stored; None for a row that was not stored or is no more."""
        for key, stored in self._stored.items():
            now = self._known.get(key)
            if now is None or key in self._changed:
                yield stored, now
        for key in self._fresh:
            yield None, self._known[key]

    def key(self, row: Mapping[str, Any]) -> Key:
        return (self._keys(row),) if self._single else self._keys(row)

    def prefetch(self, column: str, values: Iterable[Any]) -> None:
        """Load every stored row whose ``column`` is one of ``values``, in a few statements."""
        wanted = [
            value for value in dict.fromkeys(values) if ((column, value),) not in self._loaded
        ]
        for start in range(0, len(wanted), IN_CHUNK):
            chunk = wanted[start : start + IN_CHUNK]
            self._merge(_select(self.table, (column,), among=True), {column: chunk})
            self._loaded.update(((column, value),) for value in chunk)

    def find(self, key: Key) -> Row | None:
        """The row with this primary key as the batch has it, or None when there is none."""
        row = self._known.get(key)
        if row is None and not self._covered(key):
            self._merge(_select(self.table, self.key_names), dict(self._named(key)))
            row = self._known.get(key)
        return row

    def row(self, key: Key) -> Row:
        """The row with this primary key; the log guarantees it exists."""
        found = self.find(key)
        if found is None:
            raise LookupError(f"no row {key} in {self.table.name}")
        return found

    def where(self, **equal: Any) -> list[Row]:
        """Every row whose columns equal these values, stored or added by this batch."""
        condition = tuple(sorted(equal.items()))
        if condition not in self._loaded:
            names = tuple(name for name, _ in condition)
            if any(value is None for _, value in condition):  # IS NULL, not = NULL
                self._merge(sa.select(self.table).filter_by(**equal), {})
            else:
                self._merge(_select(self.table, names), dict(condition))
            self._loaded.add(condition)
        return [
            row
            for row in self._known.values()
            if all(row[name] == value for name, value in condition)
        ]

    def insert(self, values: Mapping[str, Any]) -> Row:
        """Add a row; columns not given are NULL, as an INSERT that leaves them out."""
        row = {**self._blank, **values}
        key = self.key(row)
        self._unread.pop(key, None)  # changes to a row that was not there: they did nothing
        self._known[key] = row
        self._fresh.add(key)
        self._inserted.append(row)
        return row

    def update(self, key: Key, changes: Mapping[str, Any]) -> None:
        """Change columns of a row; nothing when there is no such row, as an UPDATE."""
        row = self.find(key)
        if row is None:
            return
        row.update(changes)
        if key not in self._fresh:
            self._changed.setdefault(key, set()).update(changes)

    def update_unread(self, key: Key, changes: Mapping[str, Any]) -> None:
        """``update``, without reading the row first when the batch does not hold it: for
        tables whose rows a fold only changes, never reads. The changes wait for the flush's
        UPDATE, which (like ``update``) does nothing when there is no such row; a row read
        later in the batch comes with them."""
        if key in self._known:
            self.update(key, changes)
        else:
            self._unread.setdefault(key, {}).update(changes)

    def delete_where(self, column: str, value: Any) -> None:
        """Remove every row whose ``column`` equals ``value``, stored or added by this batch."""
        if self._unread:
            raise ValueError(f"{self.table.name}: rows changed unread cannot be deleted by value")
        self._deleted.setdefault(column, {})[value] = None
        self._inserted = [row for row in self._inserted if row[column] != value]
        for key in [key for key, row in self._known.items() if row[column] == value]:
            del self._known[key]
            self._fresh.discard(key)
            self._changed.pop(key, None)

    def flush(self, later: list[Write] | None = None) -> None:
        """Write what the batch did: deletes, then inserts, then updates grouped by columns.

        Given ``later``, the deletes still run now, and the inserts and updates are added to
        it, for the batch to write every table's in one statement (PostgreSQL)."""
        connection = self.connection
        for column, values in self._deleted.items():
            connection.execute(_delete(self.table, column), [{"value": v} for v in values])
        writes: list[Write] = []
        if self._inserted:
            writes.append(Write(self.table, None, self.names, self._inserted))
        groups: dict[tuple[str, ...], list[Row]] = {}
        changes = ((key, self._known[key], names) for key, names in self._changed.items())
        unread = ((key, pending, pending.keys()) for key, pending in self._unread.items())
        for key, row, names in (*changes, *unread):
            params = {f"key_{name}": value for name, value in self._named(key)}
            params.update((name, row[name]) for name in names)
            groups.setdefault(tuple(sorted(names)), []).append(params)
        for columns, group in groups.items():
            writes.append(Write(self.table, self.key_names, columns, group))
        if later is not None:
            later.extend(writes)
        else:
            for write in writes:
                statement = (
                    _insert(self.table)
                    if write.keys is None
                    else _update(self.table, self.key_names)
                )
                _executemany(connection, statement, write.columns, list(write.rows))
        self._written, self._known = self._known, {}
        self._inserted = []
        self._fresh.clear()
        self._changed.clear()
        self._loaded.clear()
        self._deleted.clear()
        self._stored.clear()
        self._unread.clear()

    def written(self, key: Key) -> Row | None:
        """The row with this key as the last flush wrote or left it, whole, when the batch
        held it (read, added or changed; not a row changed unread or deleted)."""
        return self._written.get(key)

    def _named(self, key: Key) -> Iterator[tuple[str, Any]]:
        return zip(self.key_names, key, strict=True)

    def _covered(self, key: Key) -> bool:
        """Whether a prefetch by a one-column primary key already looked for this key."""
        return len(key) == 1 and ((self.key_names[0], key[0]),) in self._loaded

    def _merge(self, query: sa.Select[Any], parameters: dict[str, Any]) -> None:
        """Keep the stored rows the batch does not know yet; its own are newer."""
        deleted = self._deleted
        result = self.connection.execute(query, parameters)
        names = [str(name) for name in result.keys()]  # noqa: SIM118 (plain ``str``, as _shape)
        for stored in result:
            row = dict(zip(names, stored, strict=True))
            key = self.key(row)
            if key in self._known:
                continue
            if any(row[column] in values for column, values in deleted.items()):
                continue
            self._known[key] = row
            if self._keep:
                self._stored[key] = {name: row[name] for name in self._keep}
            pending = self._unread.pop(key, None)
            if pending is not None:
                row.update(pending)
                self._changed.setdefault(key, set()).update(pending)


Plan = tuple[str, Callable[[Row], tuple[Any, ...]], tuple[tuple[int, Callable[[Any], Any]], ...]]
"""A statement's SQL, a getter of a row's parameters in its order, and the converters of the
parameters that need one (by index)."""
_PLANS: dict[tuple[sa.Insert | sa.Update, tuple[str, ...]], Plan] = {}
"""Compiled once per statement (each built once per table) and set of columns: bounded."""


def _executemany(
    connection: Connection,
    statement: sa.Insert | sa.Update,
    columns: Sequence[str],
    rows: list[Row],
) -> None:
    """Run ``statement`` once per row, setting ``columns`` (and binding its other parameters).

    On SQLite the rows reach the driver as tuples converted by each column's own bind
    processor, skipping SQLAlchemy's per-row parameter handling: most of a flush's time.
    """
    if connection.dialect.name != "sqlite":
        connection.execute(statement, rows)
        return
    sql, take, conversions = _plan(connection, statement, tuple(columns))
    values: list[Any] = [take(row) for row in rows]
    if conversions:
        for number, taken in enumerate(values):
            converted = list(taken)
            for index, convert in conversions:
                converted[index] = convert(converted[index])
            values[number] = tuple(converted)
    connection.exec_driver_sql(sql, values)


def _plan(
    connection: Connection, statement: sa.Insert | sa.Update, columns: tuple[str, ...]
) -> Plan:
    """The statement's SQL and, in its parameters' order, each one's name and converter."""
    plan = _PLANS.get((statement, columns))
    if plan is None:
        dialect = connection.dialect
        compiled = statement.compile(dialect=dialect, column_keys=list(columns))
        assert compiled.positiontup is not None, "SQLite's parameters are positional"
        names = compiled.positiontup
        conversions = tuple(
            (index, convert)
            for index, name in enumerate(names)
            if (convert := _converter(compiled.binds[name].type, dialect)) is not None
        )
        # itemgetter of one name gives the value, not a tuple of it
        take = _one(names[0]) if len(names) == 1 else operator.itemgetter(*names)
        plan = _PLANS[(statement, columns)] = (str(compiled), take, conversions)
    return plan


def _one(name: str) -> Callable[[Row], tuple[Any, ...]]:
    return lambda row: (row[name],)


def _converter(kind: sa.types.TypeEngine[Any], dialect: Dialect) -> Callable[[Any], Any] | None:
    """How a value of this type reaches SQLite's driver: its own bind processor, but for
    instants, the same text as ``UTCDateTime`` and SQLite's DATETIME write, produced directly
    (through their chain of processors it was a sixth of a rebuild's time)."""
    if isinstance(kind, UTCDateTime):
        return _sqlite_instant
    return kind.dialect_impl(dialect).bind_processor(dialect)


def _sqlite_instant(value: datetime | None) -> str | None:
    """An instant as SQLite's DATETIME stores it: UTC, ``YYYY-MM-DD HH:MM:SS.ffffff``.

    The text of the last one is kept: a row's instants, and the rows of one event, are mostly
    the same moment (half of a rebuild's 2 million conversions, 1.7 µs each, and a comparison
    costs 0.05). Equal instants are the same moment in any zone, so they have the same text."""
    if value is None:
        return None
    seen, text = _LAST_INSTANT[0]
    if value == seen:  # a naive value equals no aware one: it is refused below
        return text
    offset = value.utcoffset()
    if offset is None:
        raise ValueError("naive datetime given where a UTC instant is required")
    text = (value.astimezone(UTC) if offset else value).isoformat(" ", "microseconds")[:26]
    _LAST_INSTANT[0] = (value, text)  # one tuple: a reader on another thread sees both or none
    return text


_LAST_INSTANT: list[tuple[datetime | None, str | None]] = [(None, None)]


def _insert(table: sa.Table) -> sa.Insert:
    statement = _INSERTS.get(table)
    if statement is None:
        statement = _INSERTS[table] = table.insert()
    return statement


def _update(table: sa.Table, key_names: tuple[str, ...]) -> sa.Update:
    """An UPDATE by primary key that sets the columns its parameters name."""
    statement = _UPDATES.get(table)
    if statement is None:
        where = [table.c[name] == sa.bindparam(f"key_{name}") for name in key_names]
        statement = _UPDATES[table] = table.update().where(*where)
    return statement


def _select(table: sa.Table, columns: tuple[str, ...], *, among: bool = False) -> sa.Select[Any]:
    """The rows whose ``columns`` equal the parameters of the same names, or (``among``) whose
    one column is any of the list its parameter holds."""
    statement = _SELECTS.get((table, columns, among))
    if statement is None:
        where = [
            table.c[name].in_(sa.bindparam(name, expanding=True))
            if among
            else table.c[name] == sa.bindparam(name)
            for name in columns
        ]
        statement = _SELECTS[(table, columns, among)] = sa.select(table).where(*where)
    return statement


def _delete(table: sa.Table, column: str) -> sa.Delete:
    statement = _DELETES.get((table, column))
    if statement is None:
        statement = _DELETES[(table, column)] = table.delete().where(
            table.c[column] == sa.bindparam("value")
        )
    return statement


class Batch:
    """The rows of every read model one run of events touches, written together by ``flush``."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self._tables: dict[sa.Table, Rows] = {}
        self._before_flush: dict[Callable[[Batch], None], None] = {}
        self._along: list[Write] = []

    @property
    def together(self) -> bool:
        """Whether a flush writes in one statement (PostgreSQL), taking ``write_along``'s."""
        return self.connection.dialect.name == "postgresql"

    def write_along(self, write: Write) -> None:
        """Have the next flush write ``write`` in its statement (only when ``together``)."""
        assert self.together
        self._along.append(write)

    def __getitem__(self, table: sa.Table) -> Rows:
        rows = self._tables.get(table)
        if rows is None:
            rows = self._tables[table] = Rows(self.connection, table)
        return rows

    def written(self, table: sa.Table, key: Key) -> Row | None:
        """A row of ``table`` as the last flush wrote or left it (``Rows.written``)."""
        rows = self._tables.get(table)
        return None if rows is None else rows.written(key)

    def before_flush(self, step: Callable[[Batch], None]) -> None:
        """Run ``step`` at each flush, before any row is written (once however often asked)."""
        self._before_flush[step] = None

    def flush(self) -> None:
        for step in self._before_flush:
            step(self)
        if not self.together:
            for rows in self._tables.values():
                rows.flush()
            return
        writes: list[Write] = []
        for rows in self._tables.values():
            rows.flush(writes)
        writes += self._along
        self._along = []
        write_together(self.connection, writes)
