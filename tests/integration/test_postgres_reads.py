"""PostgreSQL's reads: each statement a transaction of its own, no BEGIN or ROLLBACK around it."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
import sqlalchemy as sa
from sqlalchemy.util import await_only

from innovation.store import Database, open_database

pytestmark = pytest.mark.usefixtures("database_url")


def statements_are_transactions_of_their_own(connection: sa.Connection) -> bool:
    """Inside one transaction, ``now()`` is its start for every statement; alone, it moves."""
    first, second = (connection.exec_driver_sql("SELECT now()").scalar_one() for _ in range(2))
    return bool(first != second)


async def test_a_read_sends_no_begin_and_sees_what_commits_between_its_statements(
    backend: str, database: Database
):
    if backend != "postgresql":
        pytest.skip("SQLite reads in a transaction of its own kind (WAL snapshots)")
    await database.write(lambda c: c.exec_driver_sql("CREATE TABLE IF NOT EXISTS seen (n int)"))
    await database.write(lambda c: c.exec_driver_sql("TRUNCATE seen"))
    # Another connection of its own, which commits each statement (asyncpg's default).
    other = await asyncpg.connect(
        database.url.set(drivername="postgresql").render_as_string(hide_password=False)
    )

    def two_statements(connection: sa.Connection) -> tuple[bool, int, int]:
        alone = statements_are_transactions_of_their_own(connection)
        before = connection.exec_driver_sql("SELECT count(*) FROM seen").scalar_one()
        await_only(other.execute("INSERT INTO seen VALUES (1)"))  # a commit between the two
        after = connection.exec_driver_sql("SELECT count(*) FROM seen").scalar_one()
        return alone, before, after

    try:
        alone, before, after = await database.read(two_statements)
        async with database.session() as session:
            in_a_session = await session.run(statements_are_transactions_of_their_own)
    finally:
        await other.close()
        await database.write(lambda c: c.exec_driver_sql("DROP TABLE seen"))
    assert alone
    assert in_a_session
    # READ COMMITTED, as before: a transaction around the two made them agree no better.
    assert (before, after) == (0, 1)


async def test_connections_a_burst_opened_serve_the_next_burst(backend: str, database_url: str):
    if backend != "postgresql":
        pytest.skip("SQLite's readers are threads, each with its own connection")
    database = open_database(database_url, pool_size=2)  # up to 4 connections, kept

    def backend_pid(connection: sa.Connection) -> int:
        return int(connection.exec_driver_sql("SELECT pg_backend_pid(), pg_sleep(0.05)").one()[0])

    async def burst() -> set[int]:
        return set(await asyncio.gather(*(database.read(backend_pid) for _ in range(4))))

    try:
        first = await burst()
        second = await burst()
    finally:
        await database.close()
    assert len(first) == 4
    assert second <= first  # none closed on return and opened again
