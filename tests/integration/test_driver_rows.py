"""A statement read through the database's own driver gives the rows SQLAlchemy gives."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from innovation.store import Database
from innovation.store.driver_rows import driver_rows
from innovation.store.tables import events

UNION = sa.union_all(
    sa.select(sa.null().cast(sa.String(20)), sa.func.count(events.c.position).cast(sa.BigInteger)),
    sa.select(sa.literal_column("'ideas'"), sa.literal_column("7").cast(sa.BigInteger)),
)


async def test_the_driver_s_rows_are_sqlalchemy_s(database: Database):
    by_driver = await database.read(lambda c: [tuple(row) for row in driver_rows(c, UNION)])
    by_sqlalchemy = await database.read(lambda c: [tuple(row) for row in c.execute(UNION)])

    assert by_driver == by_sqlalchemy == [(None, 0), ("ideas", 7)]


async def test_a_statement_binding_a_value_is_refused_by_name(database: Database):
    bound = sa.select(events.c.position).where(events.c.stream_id == "idea-1")

    with pytest.raises(ValueError, match="binds no value"):
        await database.read(lambda c: driver_rows(c, bound))
