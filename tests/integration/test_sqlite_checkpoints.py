"""SQLite's WAL is copied into the database file by a thread of its own, not by the commits."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

from innovation.store import open_database
from innovation.store.checkpoints import BACKSTOP

BLOB = 100_000
WRITES = 20  # 2 MB, about 500 pages: under the 1,000 at which SQLite checkpoints by default


def checkpointers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "innovation-sqlite-checkpoint"]


async def test_what_the_writer_commits_reaches_the_database_file_without_a_commit_copying_it(
    tmp_path: Path,
):
    path = tmp_path / "store.db"
    database = open_database(f"sqlite:///{path}")
    try:
        await database.write(lambda c: c.exec_driver_sql("CREATE TABLE blobs (b BLOB)"))
        autocheckpoint = await database.write(
            lambda c: c.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one()
        )
        assert autocheckpoint == BACKSTOP
        before = path.stat().st_size
        for n in range(WRITES):
            blob = bytes([n]) * BLOB
            await database.write(
                lambda c, blob=blob: c.exec_driver_sql("INSERT INTO blobs VALUES (?)", (blob,))
            )
        deadline = time.monotonic() + 60
        while path.stat().st_size < before + WRITES * BLOB:
            assert time.monotonic() < deadline, "the WAL was never copied into the database file"
            await asyncio.sleep(0.02)
        count = await database.read(
            lambda c: c.exec_driver_sql("SELECT count(*) FROM blobs").scalar_one()
        )
        assert count == WRITES
        assert len(checkpointers()) == 1
    finally:
        await database.close()
    assert checkpointers() == []
