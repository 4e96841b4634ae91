"""PostgreSQL's reads: each statement a transaction of its own, no BEGIN or ROLLBACK around it,
unless the job asks for one snapshot."""

from __future__ import annotations

import asyncio
import logging

import asyncpg
import pytest
import sqlalchemy as sa
from sqlalchemy.util import await_only

from innovation.store import Database, open_database
from innovation.store.errors import cancelled, unavailable
from innovation.store.postgres import _fetch

pytestmark = pytest.mark.usefixtures("database_url")


def driver_pid(connection: sa.Connection) -> int:
    """The server process behind a connection, asked through asyncpg directly, as the stream
    reads and the settled position ask (``store/postgres.py``'s ``_fetch``)."""
    return int(_fetch(connection, "SELECT pg_backend_pid()")[0][0])


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


async def test_a_read_asking_for_one_snapshot_sees_none_of_what_commits_meanwhile(
    backend: str, database_url: str
):
    """``one_snapshot``: its statements agree, and the connection it ran on, kept for the next
    reads, runs their statements alone again, whether the job ended well or failed."""
    if backend != "postgresql":
        pytest.skip("SQLite reads every job in a transaction: one snapshot already")
    database = open_database(database_url, pool_size=1)  # one connection kept for reads
    await database.write(lambda c: c.exec_driver_sql("CREATE TABLE IF NOT EXISTS seen (n int)"))
    await database.write(lambda c: c.exec_driver_sql("TRUNCATE seen"))
    other = await asyncpg.connect(
        database.url.set(drivername="postgresql").render_as_string(hide_password=False)
    )

    def count(connection: sa.Connection) -> int:
        return int(connection.exec_driver_sql("SELECT count(*) FROM seen").scalar_one())

    def two_counts(connection: sa.Connection) -> tuple[int, int]:
        before = count(connection)
        await_only(other.execute("INSERT INTO seen VALUES (1)"))  # a commit between the two
        return before, count(connection)

    def fails_after_a_commit(connection: sa.Connection) -> None:
        two_counts(connection)
        connection.exec_driver_sql("SELECT 1 / 0")

    try:
        agreed = await database.read(two_counts, one_snapshot=True)
        alone_after = await database.read(statements_are_transactions_of_their_own)
        with pytest.raises(sa.exc.DBAPIError, match="division by zero"):
            await database.glance(fails_after_a_commit, one_snapshot=True)
        alone_after_failing = await database.read(statements_are_transactions_of_their_own)
        both = await database.glance(two_counts, one_snapshot=True)
        seen = await database.read(count)
    finally:
        await other.close()
        await database.write(lambda c: c.exec_driver_sql("DROP TABLE seen"))
        await database.close()
    assert agreed == (0, 0)
    assert alone_after
    assert alone_after_failing
    assert both == (2, 2)
    assert seen == 3


async def test_connections_a_burst_opened_serve_the_next_burst(backend: str, database_url: str):
    if backend != "postgresql":
        pytest.skip("SQLite's readers are threads, each with its own connection")
    # A pool of 6 connections: 2 for the writers, 4 kept for reads.
    database = open_database(database_url, pool_size=3)

    def backend_pid(connection: sa.Connection) -> int:
        return int(connection.exec_driver_sql("SELECT pg_backend_pid(), pg_sleep(0.05)").one()[0])

    async def burst(size: int) -> list[int]:
        return list(await asyncio.gather(*(database.read(backend_pid) for _ in range(size))))

    try:
        first = set(await burst(4))
        second = set(await burst(4))
        # More reads than kept connections wait for one, and leave the writers theirs.
        bigger, written = await asyncio.gather(
            burst(9), database.write(lambda c: c.exec_driver_sql("SELECT 1").scalar_one())
        )
    finally:
        await database.close()
    assert len(first) == 4
    assert second == first  # none closed on return and opened again
    assert set(bigger) == first
    assert written == 1


async def test_a_read_that_fails_leaves_its_connection_fit_for_the_next(
    backend: str, database_url: str
):
    if backend != "postgresql":
        pytest.skip("PostgreSQL's kept read connections")
    database = open_database(database_url, pool_size=1)  # one connection kept for reads

    def pid(connection: sa.Connection) -> int:
        return int(connection.exec_driver_sql("SELECT pg_backend_pid()").scalar_one())

    def fails(connection: sa.Connection) -> None:
        connection.exec_driver_sql("SELECT 1 / 0")

    def too_large(connection: sa.Connection) -> None:  # refused by asyncpg, read through it
        _fetch(connection, "SELECT $1::int", 2**40)

    try:
        before = await database.read(pid)
        with pytest.raises(sa.exc.DBAPIError, match="division by zero"):
            await database.read(fails)
        after = await database.read(pid)
        ended = await database.read(lambda c: c.exec_driver_sql("SELECT 2").scalar_one())
        with pytest.raises(asyncpg.DataError) as refused:
            await database.read(too_large)
        still = await database.read(driver_pid)
    finally:
        await database.close()
    assert after == before
    assert ended == 2
    assert not unavailable(refused.value)  # a value refused says nothing of the connection
    assert still == before


async def test_reads_connect_again_after_the_server_ends_their_connections(
    backend: str, database_url: str
):
    if backend != "postgresql":
        pytest.skip("PostgreSQL's kept read connections")
    database = open_database(database_url, pool_size=3)

    def pid(connection: sa.Connection) -> int:
        return int(connection.exec_driver_sql("SELECT pg_backend_pid(), pg_sleep(0.02)").one()[0])

    try:
        kept = set(await asyncio.gather(*(database.read(pid) for _ in range(4))))
        # The server ends every kept connection, as a restart would.
        await database.write(
            lambda c: c.exec_driver_sql(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                f" WHERE pid IN ({', '.join(str(p) for p in kept)})"
            ).all()
        )
        failed = 0
        for _ in range(4):
            try:
                await database.read(pid)
            except sa.exc.DBAPIError:
                failed += 1
        again = set(await asyncio.gather(*(database.read(pid) for _ in range(4))))
    finally:
        await database.close()
    assert failed <= 1  # the first read that met a dead connection let go of the others
    assert again.isdisjoint(kept)


async def test_a_read_that_meets_a_kept_connection_the_server_ended_runs_again_on_a_new_one(
    backend: str, database_url: str
):
    """Jobs that read through asyncpg directly (the stream reads, the settled position that
    every reader of the log asks for) meet a connection the server ended without SQLAlchemy
    noticing. That connection goes, and the read runs once more on a new one: a read changes
    nothing, and a server restarted since is back. Before, the dead connection was kept and
    every such read failed on it until some other read came by."""
    if backend != "postgresql":
        pytest.skip("PostgreSQL's kept read connections")
    database = open_database(database_url, pool_size=1)  # one connection kept for reads
    try:
        kept = await database.read(driver_pid)
        await database.write(
            lambda c: c.exec_driver_sql(f"SELECT pg_terminate_backend({kept})").all()
        )
        first = await database.read(driver_pid)
        second = await database.read(driver_pid)
        # A session (a replay) is not run again: what it met is told, as unavailable.
        await database.write(
            lambda c: c.exec_driver_sql(f"SELECT pg_terminate_backend({second})").all()
        )
        with pytest.raises(ConnectionError) as told:
            async with database.session() as session:
                await session.run(driver_pid)
        third = await database.read(driver_pid)
    finally:
        await database.close()
    assert first != kept
    assert second == first  # the new one is kept
    assert unavailable(told.value)
    assert third not in (kept, second)


async def test_a_write_batch_that_meets_a_connection_the_server_ended_runs_again_on_a_new_one(
    backend: str, database_url: str, caplog: pytest.LogCaptureFixture
):
    """As after a restart, or where the server ends idle sessions (``idle_session_timeout``, a
    pooler's idle cut): a quiet service meets it at each write after a pause, so the write that
    gets in on a new connection is one INFO line, not a warning."""
    if backend != "postgresql":
        pytest.skip("PostgreSQL's writers")
    caplog.set_level(logging.INFO, logger="innovation.store.pg_writers")
    database = open_database(database_url, pool_size=1)  # one writer, on one connection

    try:
        writer = await database.write(driver_pid)
        await database.read(
            lambda c: c.exec_driver_sql(f"SELECT pg_terminate_backend({writer})").all()
        )
        again = await database.write(driver_pid)
    finally:
        await database.close()
    assert again != writer
    [record] = [r for r in caplog.records if r.name == "innovation.store.pg_writers"]
    assert record.levelno == logging.INFO
    assert record.getMessage().startswith("a writer's connection ended (")
    assert record.getMessage().endswith("); the batch runs again on a new one")
    assert "\n" not in record.getMessage()  # not the statement, nor what it was given


async def test_a_read_cancelled_half_way_leaves_the_next_reads_their_answers(
    backend: str, database_url: str
):
    if backend != "postgresql":
        pytest.skip("PostgreSQL's kept read connections")
    database = open_database(database_url, pool_size=1)  # one connection kept for reads

    try:
        slow = asyncio.ensure_future(
            database.read(lambda c: c.exec_driver_sql("SELECT pg_sleep(5)").all())
        )
        await asyncio.sleep(0.2)
        slow.cancel()
        with pytest.raises(asyncio.CancelledError):
            await slow
        answers = await asyncio.wait_for(
            asyncio.gather(
                *(
                    database.read(lambda c, n=n: c.exec_driver_sql(f"SELECT {n}").scalar_one())
                    for n in range(3)
                )
            ),
            timeout=3,
        )
    finally:
        await database.close()
    assert answers == [0, 1, 2]


async def test_a_statement_the_server_cancels_is_told_as_such_and_its_connection_goes_on(
    backend: str, database_url: str
):
    """``pg_cancel_backend``, as an operator runs it, or a ``statement_timeout`` running out:
    PostgreSQL's 57014, a moment's refusal rather than a bug, on a connection still good."""
    if backend != "postgresql":
        pytest.skip("PostgreSQL's cancel of a statement")
    database = open_database(database_url, pool_size=1)  # one connection kept for reads
    operator = open_database(database_url)
    sleeping = "SELECT pg_sleep(30) AS cancelled_here"

    def running(connection: sa.Connection) -> int | None:
        # Asleep in pg_sleep itself: the statement also shows as active while asyncpg prepares
        # it, and a cancel that lands between the prepare and the run cancels nothing.
        return connection.execute(
            sa.text(
                "SELECT pid FROM pg_stat_activity"
                " WHERE query = :q AND state = 'active' AND wait_event = 'PgSleep'"
            ),
            {"q": sleeping},
        ).scalar()

    try:
        slow = asyncio.ensure_future(database.read(lambda c: c.exec_driver_sql(sleeping).all()))
        pid = None
        while pid is None:
            assert not slow.done(), slow
            pid = await operator.read(running)
        await operator.read(lambda c: c.exec_driver_sql(f"SELECT pg_cancel_backend({pid})").all())
        with pytest.raises(sa.exc.DBAPIError) as refused:
            await asyncio.wait_for(slow, timeout=20)
        after = await database.read(driver_pid)
    finally:
        await operator.close()
        await database.close()

    assert cancelled(refused.value)
    assert unavailable(refused.value)
    assert after == pid  # the connection was kept, not thrown away


async def test_a_write_that_waits_past_the_lock_timeout_is_told_to_try_again(
    backend: str, database_url: str
):
    """A ``lock_timeout`` set for the service's role, and a row another transaction holds
    (an operator's, a migration's): a moment's refusal, as SQLite's write lock held past its
    wait is, rather than a bug."""
    if backend != "postgresql":
        pytest.skip("PostgreSQL's lock_timeout")
    url = sa.make_url(database_url).set(drivername="postgresql").render_as_string(False)
    holder = await asyncpg.connect(url)
    database = open_database(database_url)

    def wait_briefly(connection: sa.Connection) -> None:
        connection.exec_driver_sql("SET LOCAL lock_timeout = '50ms'")
        connection.exec_driver_sql("LOCK TABLE pipeline_counts_view IN EXCLUSIVE MODE")

    try:
        async with holder.transaction():
            await holder.execute("LOCK TABLE pipeline_counts_view IN EXCLUSIVE MODE")
            with pytest.raises(sa.exc.DBAPIError) as refused:
                await database.write(wait_briefly)
        await database.write(wait_briefly)  # let go of: the next write goes on
    finally:
        await database.close()
        await holder.close()

    assert isinstance(refused.value.orig.__cause__, asyncpg.LockNotAvailableError)
    assert unavailable(refused.value)


async def test_a_statement_that_outlasts_the_timeout_is_an_outage_and_the_next_goes_on(
    backend: str, database_url: str
):
    """``INNOVATION_DB_TIMEOUT``: a statement left unanswered (a network cut that sends no
    reset looks like this one, which sleeps) is given up on as an outage, not waited for."""
    if backend != "postgresql":
        pytest.skip("PostgreSQL's statement timeout")
    database = open_database(database_url, pool_size=1, timeout=1)

    try:
        with pytest.raises(Exception) as gave_up:  # noqa: PT011  # whatever the driver calls it
            await database.read(lambda c: c.exec_driver_sql("SELECT pg_sleep(30)").all())
        answer = await database.read(lambda c: c.exec_driver_sql("SELECT 1").scalar_one())
    finally:
        await database.close()

    assert unavailable(gave_up.value)
    assert answer == 1
