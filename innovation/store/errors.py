"""The store's own exceptions: callers never see a driver error for a rule of the log."""

from __future__ import annotations

import socket
from collections.abc import Iterator


class StoreError(Exception):
    """Base of every error the event store raises on purpose."""


class ConcurrencyError(StoreError):
    """The stream is not at the version the caller expected."""

    def __init__(self, stream_id: str, expected: int, actual: int) -> None:
        self.stream_id = stream_id
        self.expected = expected
        self.actual = actual
        super().__init__(
            f"stream {stream_id!r} is at version {actual}, not at the expected {_name(expected)}"
        )


class DuplicateEventError(StoreError):
    """Some, but not all, of the appended event ids are already in the log (or elsewhere)."""

    def __init__(self, stream_id: str, event_ids: list[str]) -> None:
        self.stream_id = stream_id
        self.event_ids = event_ids
        listed = ", ".join(event_ids)
        super().__init__(f"append to {stream_id!r} repeats events already logged: {listed}")


class UnknownEventTypeError(StoreError):
    """A stored type name (or version) has no registered class or upcaster."""


class ConnectionLostError(ConnectionError):
    """A job failed on a connection the server or the network had ended (a restart, say),
    whatever its driver called it: as any ``ConnectionError``, it says try again shortly."""

    @classmethod
    def of(cls, error: BaseException) -> ConnectionLostError:
        return cls(f"the database connection ended: {said(error)}")


def _name(expected: int) -> str:
    from innovation.store.records import ANY, NO_STREAM

    return {NO_STREAM: "NO_STREAM", ANY: "ANY"}.get(expected, str(expected))


def unavailable(error: BaseException) -> bool:
    """Whether ``error`` says the database cannot be reached or used just now (a server down,
    starting or full, a connection lost, a statement it cancelled (``cancelled``), a lock held
    past its wait or a deadlock, or taking no writes at all: ``writes_stopped``) rather than
    that something is wrong with the request or the code: worth trying again later. What it
    wraps is looked at too (``causes``)."""
    import sqlite3

    import asyncpg.exceptions as pg
    from sqlalchemy import exc as sa_exc

    transient = (
        ConnectionError,  # refused, reset, aborted
        TimeoutError,
        socket.gaierror,  # the host's name does not resolve
        sa_exc.TimeoutError,  # no pooled connection came free in time
        pg.PostgresConnectionError,
        pg.CannotConnectNowError,  # starting up, shutting down
        pg.AdminShutdownError,
        pg.TooManyConnectionsError,
        pg.QueryCanceledError,
        pg.LockNotAvailableError,  # its lock_timeout ran out (as SQLite's busy wait, below)
        pg.DeadlockDetectedError,  # one of two transactions is refused: the other went on
    )
    for found in causes(error):
        if isinstance(found, transient):
            return True
        if connection_ended(found):
            return True
        if isinstance(found, sqlite3.OperationalError) and found.sqlite_errorcode & 0xFF in (
            sqlite3.SQLITE_BUSY,
            sqlite3.SQLITE_LOCKED,
        ):
            return True
    return writes_stopped(error) is not None


def cancelled(error: BaseException) -> bool:
    """Whether the server cancelled a statement of ``error``'s (PostgreSQL's 57014): its
    ``statement_timeout`` ran out, or an operator cancelled it (``pg_cancel_backend``). Its
    transaction wrote nothing, and the connection goes on."""
    import asyncpg.exceptions as pg

    return any(isinstance(found, pg.QueryCanceledError) for found in causes(error))


DISK_FULL = "the database's disk is full"
READ_ONLY = "the database takes no writes (it is read-only)"


def writes_stopped(error: BaseException) -> str | None:
    """Why no write can succeed until someone sees to the database, when ``error`` says so:
    its disk is full (SQLite's ``SQLITE_FULL``, PostgreSQL's 53100, the system's ``ENOSPC``),
    or it takes no writes at all (a SQLite file that may not be written, a file system gone
    read-only after disk errors; a PostgreSQL standby, as the old primary becomes after a
    failover: 25006). Nothing was written. What it wraps is looked at too (``causes``)."""
    import errno
    import sqlite3

    import asyncpg.exceptions as pg

    for found in causes(error):
        code = getattr(found, "sqlite_errorcode", 0) & 0xFF
        if isinstance(found, pg.DiskFullError) or (
            isinstance(found, sqlite3.Error) and code == sqlite3.SQLITE_FULL
        ):
            return DISK_FULL
        if isinstance(found, OSError) and found.errno == errno.ENOSPC:
            return DISK_FULL
        if isinstance(found, pg.ReadOnlySQLTransactionError) or (
            isinstance(found, sqlite3.Error) and code == sqlite3.SQLITE_READONLY
        ):
            return READ_ONLY
    return None


def out_of_space(error: BaseException) -> bool:
    """Whether ``error`` says the database's disk is full (``writes_stopped``)."""
    return writes_stopped(error) == DISK_FULL


def connection_ended(found: BaseException) -> bool:
    """Whether ``found`` (one error, not what it wraps) says the connection it came through
    has ended: as SQLAlchemy saw it on its own statements, or as asyncpg says it to a job
    reading through it directly ("connection is closed", the words SQLAlchemy looks for)."""
    import asyncpg.exceptions as pg
    from sqlalchemy import exc as sa_exc

    if isinstance(found, sa_exc.DBAPIError) and found.connection_invalidated:
        return True
    return isinstance(found, pg.InterfaceError) and "connection is closed" in str(found)


def said(error: BaseException) -> str:
    """``error`` in one line, for a log line that is not a traceback: its type and its words,
    or those of the first error it wraps that is not SQLAlchemy's (``causes``), the driver's
    own, without the statement and the values given to it (an idea's text, say)."""
    first = error
    for found in causes(error):
        first = found
        if not type(found).__module__.startswith("sqlalchemy"):
            break
    words = " ".join(str(first).split())
    return f"{type(first).__name__}: {words}" if words else type(first).__name__


def causes(error: BaseException) -> Iterator[BaseException]:
    """``error``, then what it wraps, and so on: drivers' errors come wrapped (SQLAlchemy's,
    around its adapter's, around asyncpg's); what each wraps is its ``orig``, or what it was
    raised from (not what it was raised while handling, which may be a bug's own error)."""
    seen: set[int] = set()
    found: BaseException | None = error
    while found is not None and id(found) not in seen:
        seen.add(id(found))
        yield found
        orig = getattr(found, "orig", None)
        found = orig if isinstance(orig, BaseException) else found.__cause__
