"""PostgreSQL's reads: each statement a transaction of its own, no BEGIN or ROLLBACK around it."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from innovation.store import Database

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
    other = sa.create_engine(
        str(database.url.set(drivername="postgresql+psycopg")), isolation_level="AUTOCOMMIT"
    )

    def two_statements(connection: sa.Connection) -> tuple[bool, int, int]:
        alone = statements_are_transactions_of_their_own(connection)
        before = connection.exec_driver_sql("SELECT count(*) FROM seen").scalar_one()
        with other.connect() as writer:  # a commit between the read's two statements
            writer.exec_driver_sql("INSERT INTO seen VALUES (1)")
        after = connection.exec_driver_sql("SELECT count(*) FROM seen").scalar_one()
        return alone, before, after

    try:
        alone, before, after = await database.read(two_statements)
        async with database.session() as session:
            in_a_session = await session.run(statements_are_transactions_of_their_own)
    finally:
        other.dispose()
        await database.write(lambda c: c.exec_driver_sql("DROP TABLE seen"))
    assert alone
    assert in_a_session
    # READ COMMITTED, as before: a transaction around the two made them agree no better.
    assert (before, after) == (0, 1)
