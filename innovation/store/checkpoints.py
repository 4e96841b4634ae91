"""SQLite's checkpoints, taken off the writer: the WAL copied into the database file by a thread
of its own while the writer goes on committing.

In WAL mode a commit appends pages to the ``-wal`` file; a *checkpoint* copies them back into
the database file and syncs it, after which the WAL can start again from its beginning. SQLite
checkpoints by itself inside the commit that takes the WAL past 1,000 pages, so under a steady
stream of writes one batch in a few waited for a whole checkpoint before its callers heard
back: with 16 callers of ``submitIdea`` on the full-scale bench data set, commits took 4.5 ms
at the median but 26 ms at the 90th percentile and 37 at the 99th. Here a ``Checkpointer``
runs passive checkpoints, which never wait for the writer or the readers, soon after commits,
and the writer's connection checkpoints by itself only past ``BACKSTOP`` pages: by then the
thread has copied nearly all of them, so the writer's checkpoint is short, and it lets the WAL
start again from its beginning (a background checkpoint rarely finds a moment with no commit
after it). The same load then saw commits of 9 to 12 ms at the 90th percentile.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from typing import Any

from sqlalchemy.engine import Connection

from innovation.store.errors import writes_stopped

log = logging.getLogger(__name__)

BACKSTOP = 4_000
"""Pages (about 17 MB of WAL at 4 KB a page) past which the writer checkpoints in its commit."""

AFTER_FAILURE = 5.0
"""Seconds to wait after a failed checkpoint (a full disk, say) before the next one."""


class Checkpointer:
    """Runs ``PRAGMA wal_checkpoint(PASSIVE)`` after writes, at most once per ``pause`` seconds,
    on a connection of its own to the file at ``path`` (outside the pool the jobs share); a
    checkpoint never undoes or delays a commit, so durability is the commit's own (its WAL
    sync), as before."""

    def __init__(self, path: str, writer: Connection, *, pause: float = 0.1) -> None:
        self.path = path
        self.pause = pause
        self._wrote = threading.Event()
        self._stopping = threading.Event()
        driver: Any = writer.connection.driver_connection
        driver.execute(f"PRAGMA wal_autocheckpoint = {BACKSTOP}")
        self._thread = threading.Thread(
            target=self._run, name="innovation-sqlite-checkpoint", daemon=True
        )
        self._thread.start()

    def wrote(self) -> None:
        """The writer committed: the WAL has pages to copy."""
        self._wrote.set()

    def stop(self) -> None:
        """Finish the checkpoint under way, if any, and stop (the database's last connection to
        close checkpoints what is left)."""
        self._stopping.set()
        self._wrote.set()
        self._thread.join()

    def _run(self) -> None:
        try:
            connection = sqlite3.connect(self.path, isolation_level=None)
        except sqlite3.Error:
            log.exception("no connection to checkpoint with; the writer's backstop remains")
            return
        try:
            while True:
                self._wrote.wait()
                if self._stopping.is_set():
                    return
                self._wrote.clear()
                pause = self.pause
                try:
                    connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                except sqlite3.Error as error:
                    why = writes_stopped(error)
                    if why is not None:  # no fault of the code: one line, not a traceback
                        log.error("checkpointing the WAL failed, %s: %s", why, error)
                    else:
                        log.exception("checkpointing the WAL failed; trying again in a while")
                    pause = AFTER_FAILURE
                if self._stopping.wait(pause):
                    return
        finally:
            connection.close()
