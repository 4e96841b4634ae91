"""The SQLite writer thread: a file it cannot open fails the waiting writes instead of hanging."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import sqlalchemy as sa

from innovation.store import open_database


async def test_a_write_to_a_file_that_cannot_be_opened_fails_and_a_later_one_can_succeed(
    tmp_path: Path,
):
    folder = tmp_path / "not-yet"
    database = open_database(f"sqlite:///{folder / 'store.db'}")
    try:
        for _ in range(2):  # each attempt gets its own writer, and its own answer
            with pytest.raises(sa.exc.OperationalError, match="unable to open database file"):
                await asyncio.wait_for(database.write(lambda c: c.exec_driver_sql("SELECT 1")), 60)

        folder.mkdir()
        answer = await asyncio.wait_for(
            database.write(lambda c: c.exec_driver_sql("SELECT 41 + 1").scalar_one()), 60
        )
        assert answer == 42
    finally:
        await database.close()
