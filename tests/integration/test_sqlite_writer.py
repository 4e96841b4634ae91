"""SQLite's writer: where its batches run, how it waits for the lock, and a file it cannot open
failing the waiting writes instead of hanging."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from innovation.store import Database, open_database, sqlite_writer
from innovation.store.database import Deferring, Job
from innovation.store.sqlite_log import driver


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


def plain(connection: sa.Connection) -> str:
    connection.exec_driver_sql("INSERT INTO marks (thread) VALUES (?)", (thread_name(),))
    return thread_name()


def thread_name() -> str:
    return threading.current_thread().name


class NothingLeft:
    """Work a command's job leaves to its batch (``Deferring``): none, here."""

    def open(self, connection: sa.Connection) -> None:
        pass

    def left(self, connection: sa.Connection) -> int:
        return 0

    def finish(self, connection: sa.Connection) -> None:
        pass

    def discard(self, connection: sa.Connection) -> None:
        pass


def command(job: Job[str]) -> Deferring[str]:
    return Deferring(job, NothingLeft())


async def test_commands_run_on_the_loops_thread_and_other_writes_in_the_writers_thread(
    tmp_path: Path,
):
    database = open_database(f"sqlite:///{tmp_path / 'store.db'}")
    try:
        await database.write(lambda c: c.exec_driver_sql("CREATE TABLE marks (thread TEXT)"))
        alone = await database.write(command(plain))
        together = await asyncio.gather(*(database.write(command(plain)) for _ in range(5)))
        other = await database.write(plain)
        mixed = await asyncio.gather(database.write(command(plain)), database.write(plain))
        written = await database.read(
            lambda c: c.exec_driver_sql("SELECT count(*) FROM marks").scalar_one()
        )
    finally:
        await database.close()

    loop = thread_name()
    assert alone == loop
    assert together == [loop] * 5
    assert other.startswith("innovation-sqlite-write")
    # A batch holding any job that is not a command's runs in the thread, whole:
    assert mixed[1].startswith("innovation-sqlite-write")
    assert written == 1 + 5 + 1 + 2


async def test_a_command_waits_in_the_thread_for_a_lock_another_connection_holds(
    tmp_path: Path,
):
    path = tmp_path / "store.db"
    database = open_database(f"sqlite:///{path}")
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        await database.write(lambda c: c.exec_driver_sql("CREATE TABLE marks (thread TEXT)"))
        other.execute("BEGIN IMMEDIATE")  # another process's writer, say
        other.execute("INSERT INTO marks (thread) VALUES ('other')")
        waiting = asyncio.ensure_future(database.write(command(plain)))
        ticks = 0
        while ticks < 20:  # the loop goes on while the command waits for the lock
            await asyncio.sleep(0.005)
            ticks += 1
        assert not waiting.done()
        other.execute("COMMIT")
        assert await asyncio.wait_for(waiting, 60) == thread_name()
        order = await database.read(
            lambda c: [
                row[0] for row in c.exec_driver_sql("SELECT thread FROM marks ORDER BY rowid")
            ]
        )
    finally:
        other.close()
        await database.close()

    assert order == ["other", thread_name()]


@contextlib.asynccontextmanager
async def beside_another(
    tmp_path: Path, busy_timeout_ms: int
) -> AsyncIterator[tuple[Database, sqlite3.Connection]]:
    """A database with a table of marks, and another process's connection to its file."""
    path = tmp_path / "store.db"
    database = open_database(f"sqlite:///{path}", busy_timeout_ms=busy_timeout_ms)
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        await database.write(lambda c: c.exec_driver_sql("CREATE TABLE marks (thread TEXT)"))
        yield database, other
    finally:
        other.close()
        await database.close()


async def test_a_writer_waiting_for_the_lock_asks_again_every_millisecond(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """Not SQLite's busy handler, whose pauses grow to 100 ms: against another process
    committing one short transaction after another (an import beside the service), its tries
    kept landing inside them and a command waited seconds, or failed after its whole wait,
    for a lock that was free hundreds of times a second."""
    pauses: list[float] = []
    async with beside_another(tmp_path, busy_timeout_ms=2_000) as (database, other):

        def pause(seconds: float) -> None:  # the other process lets go after the fifth pause
            pauses.append(seconds)
            if len(pauses) == 5:
                other.execute("COMMIT")

        monkeypatch.setattr(sqlite_writer, "_pause", pause)
        other.execute("BEGIN IMMEDIATE")
        written = await asyncio.wait_for(database.write(plain), 60)
    assert written == "innovation-sqlite-write_0"
    assert pauses == [sqlite_writer.LOCK_POLL_SECONDS] * 5
    assert sqlite_writer.LOCK_POLL_SECONDS <= 0.001


async def test_a_writer_gives_up_once_the_lock_stayed_taken_for_its_whole_wait(
    tmp_path: Path,
):
    async with beside_another(tmp_path, busy_timeout_ms=50) as (database, other):
        other.execute("BEGIN IMMEDIATE")
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            await asyncio.wait_for(database.write(plain), 60)
        other.execute("COMMIT")
        after = await asyncio.wait_for(database.write(plain), 60)
    assert after == "innovation-sqlite-write_0"


async def test_a_loop_of_another_thread_gets_a_writer_of_its_own_closed_with_the_database(
    tmp_path: Path,
):
    database = open_database(f"sqlite:///{tmp_path / 'store.db'}")
    try:
        await database.write(lambda c: c.exec_driver_sql("CREATE TABLE marks (thread TEXT)"))
        elsewhere = await asyncio.to_thread(asyncio.run, database.write(command(plain)))
        here = await database.write(command(plain))
        count = await database.read(
            lambda c: c.exec_driver_sql("SELECT count(*) FROM marks").scalar_one()
        )
    finally:
        await database.close()

    assert elsewhere != here == thread_name()
    assert count == 2
    assert not [t for t in threading.enumerate() if t.name.startswith("innovation-sqlite")]


async def test_a_transaction_left_open_by_a_failed_batch_is_rolled_back_before_the_next(
    tmp_path: Path,
):
    database = open_database(f"sqlite:///{tmp_path / 'store.db'}")
    try:
        await database.write(lambda c: c.exec_driver_sql("CREATE TABLE marks (thread TEXT)"))
        writer = database._writers[asyncio.get_running_loop()]  # type: ignore[attr-defined]
        left_open = driver(writer._connection)
        left_open.execute("BEGIN IMMEDIATE")  # as a batch whose rollback failed would leave it
        left_open.execute("INSERT INTO marks (thread) VALUES ('never committed')")
        assert await database.write(command(plain)) == thread_name()
        assert (await database.write(plain)).startswith("innovation-sqlite-write")
        marks = await database.read(
            lambda c: [row[0] for row in c.exec_driver_sql("SELECT thread FROM marks")]
        )
    finally:
        await database.close()

    assert "never committed" not in marks
    assert len(marks) == 2
