"""Durable by default: SQLite in WAL with synchronous=FULL, PostgreSQL with synchronous_commit."""

from __future__ import annotations

import pytest

from innovation.config import Settings
from innovation.store import Database, SQLiteDatabase


async def test_commits_are_durable_on_every_connection(database: Database, backend: str):
    if backend == "sqlite":

        def pragmas(connection):
            journal = connection.exec_driver_sql("PRAGMA journal_mode").scalar()
            synchronous = connection.exec_driver_sql("PRAGMA synchronous").scalar()
            return journal, synchronous

        assert await database.write(pragmas) == ("wal", 2)  # 2 is FULL
        assert await database.read(pragmas) == ("wal", 2)
    else:

        def synchronous_commit(connection):
            return connection.exec_driver_sql("SHOW synchronous_commit").scalar()

        assert await database.write(synchronous_commit) == "on"
        assert await database.read(synchronous_commit) == "on"


async def test_sqlite_synchronous_can_be_relaxed_on_purpose(database_url: str, backend: str):
    if backend != "sqlite":
        pytest.skip("the synchronous pragma is SQLite's; PostgreSQL always commits durably here")
    relaxed = SQLiteDatabase(database_url, synchronous="NORMAL")
    try:
        level = await relaxed.write(lambda c: c.exec_driver_sql("PRAGMA synchronous").scalar())
    finally:
        await relaxed.close()

    assert level == 1  # NORMAL


def test_the_default_settings_ask_for_full_synchronous_sqlite():
    assert Settings.from_env({}).database.sqlite_synchronous == "FULL"
    relaxed = Settings.from_env({"INNOVATION_SQLITE_SYNCHRONOUS": "normal"})
    assert relaxed.database.sqlite_synchronous == "NORMAL"
