"""A column among a list of keys given when the statement runs, bound as one value.

SQLAlchemy's expanding ``IN`` binds one parameter per key: each time the statement runs its
SQL is made again for that many keys (on PostgreSQL with a cast rendered for each), and on
PostgreSQL a list of another length is another statement for asyncpg to prepare. ``among``
binds the whole list as one value instead: an array on PostgreSQL (``= ANY (:keys)``), a JSON
array on SQLite (``IN (SELECT value FROM json_each(:keys))``). The statement's SQL is then
made once, and each backend still looks the keys up in the column's index, as it does for
``IN``. Reading the experiments of 100 ideas on the bench's data set took 1.2 to 1.4 ms with
``IN`` and 0.8 to 1.05 with ``ANY`` on PostgreSQL, 0.39 and 0.29 ms on SQLite. The page of 100
ideas with their experiments and metrics took 8.6 and 7.7 ms of CPU on PostgreSQL, in process
(the medians of 12 blocks of 80 pages, taken in turn); on SQLite its CPU did not move.
``json_each`` is SQLite's JSON1, built in since SQLite 3.38.

The views' reads use it (``views._among``). A write batch's prefetch keeps ``IN``: with
``among`` there, rebuilding every read model on PostgreSQL took 82.7 and 81.6 s against 71.3
and 68.1 s before, in two rounds taken in turn. Most of that is PostgreSQL's generic plan for
a prepared ``= ANY ($1)``, made once the statement has run five times: in a later round, 68.0 s
on default plans, 58.3 and 54.4 with ``plan_cache_mode = force_custom_plan``, and 54.5 and
50.7 with ``IN``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import msgspec
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.type_api import TypeEngine
from sqlalchemy.sql.visitors import InternalTraversal

_encode = msgspec.json.Encoder().encode


class Keys(sa.TypeDecorator[list[str]]):
    """A list of text keys as one bound value: a text array on PostgreSQL, JSON text on SQLite."""

    impl = sa.String
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(postgresql.ARRAY(sa.String()))
        return dialect.type_descriptor(sa.String())

    def process_bind_param(self, value: Iterable[str] | None, dialect: Dialect) -> Any:
        if value is None:
            raise TypeError("among: a list of keys is required, not None")
        keys = list(value)
        for key in keys:
            if not isinstance(key, str):
                raise TypeError(f"among: keys are text, not {type(key).__name__} ({key!r})")
        if dialect.name == "postgresql":
            return keys
        return _encode(keys).decode()


class Among(ColumnElement[bool]):
    """``column`` is one of the keys bound as ``name`` when the statement runs."""

    inherit_cache = True
    type = sa.Boolean()
    _is_implicitly_boolean = True  # a condition as it stands: no "= 1" where booleans are ints
    _traverse_internals = [
        ("column", InternalTraversal.dp_clauseelement),
        ("keys", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, column: sa.ColumnElement[str], name: str) -> None:
        self.column = column
        self.keys = sa.bindparam(name, type_=Keys())


def among(column: sa.ColumnElement[Any], name: str) -> sa.ColumnElement[bool]:
    """``column`` among the list given as ``name`` when the statement runs: bound as one value
    for a text column (``Among``), SQLAlchemy's expanding ``IN`` for any other."""
    if isinstance(column.type, sa.String):
        return Among(column, name)
    return column.in_(sa.bindparam(name, expanding=True))


@compiles(Among)
def _in_json_array(element: Among, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(element.column, **kw)
    return f"{column} IN (SELECT value FROM json_each({compiler.process(element.keys, **kw)}))"


@compiles(Among, "postgresql")
def _any_of_array(element: Among, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(element.column, **kw)
    return f"{column} = ANY ({compiler.process(element.keys, **kw)})"
