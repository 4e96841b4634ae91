"""SQLite's reads: kept connections per thread, and glances that never stall the event loop."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

import sqlalchemy as sa

from innovation.store import open_database
from innovation.store.migrate import upgrade


def last_position(connection: sa.Connection) -> int:
    return int(connection.exec_driver_sql("SELECT count(*) FROM events").scalar_one())


async def test_a_glance_runs_on_the_loop_and_one_refused_as_busy_goes_to_a_reader_thread(
    tmp_path: Path,
):
    path = tmp_path / "store.db"
    upgrade(f"sqlite:///{path}")
    database = open_database(f"sqlite:///{path}")
    loop_thread = threading.get_ident()
    ran_in: list[int] = []

    def busy_on_the_loop(connection: sa.Connection) -> int:
        ran_in.append(threading.get_ident())
        if threading.get_ident() == loop_thread:  # as SQLite answers a lock it will not wait for
            raise sa.exc.OperationalError(
                "SELECT", {}, sqlite3.OperationalError("database is locked")
            )
        return last_position(connection)

    try:
        assert await database.glance(last_position) == 0
        assert await database.glance(busy_on_the_loop) == 0
        busy_timeout = await database.glance(
            lambda c: c.exec_driver_sql("PRAGMA busy_timeout").scalar_one()
        )
    finally:
        await database.close()

    assert ran_in[0] == loop_thread
    assert ran_in[1] != loop_thread
    assert busy_timeout == 0  # the loop's connection never waits for a lock


async def test_reads_from_every_thread_see_the_latest_commit(tmp_path: Path):
    path = tmp_path / "store.db"
    upgrade(f"sqlite:///{path}")
    database = open_database(f"sqlite:///{path}")
    try:
        await database.write(lambda c: c.exec_driver_sql("CREATE TABLE seen (n INTEGER)"))
        for n in range(1, 4):
            await database.write(lambda c, n=n: c.exec_driver_sql(f"INSERT INTO seen VALUES ({n})"))

            def count(connection: sa.Connection) -> int:
                return int(connection.exec_driver_sql("SELECT count(*) FROM seen").scalar_one())

            # Each reader thread keeps its connection: none may answer from an older snapshot.
            answers = await asyncio.gather(*(database.read(count) for _ in range(12)))
            assert set(answers) == {n}
            assert await database.glance(count) == n
    finally:
        await database.close()


async def test_glances_arriving_together_on_a_fresh_database_share_one_connection(tmp_path: Path):
    path = tmp_path / "store.db"
    upgrade(f"sqlite:///{path}")
    database = open_database(f"sqlite:///{path}")
    try:
        # more than the pool holds: each opening a connection of its own left most waiting
        found = await asyncio.wait_for(
            asyncio.gather(*(database.glance(last_position) for _ in range(24))), 20
        )
        opened = len(database._read_connections)
    finally:
        await database.close()

    assert found == [0] * 24
    assert opened == 1
