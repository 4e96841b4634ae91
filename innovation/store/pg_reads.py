"""PostgreSQL's read connections: kept by the process between reads, rather than taken from
SQLAlchemy's pool and handed back for each one.

A read job is most of what a request asks of the database, and through the pool it paid more
for the checkout and the return (the pool's events, the connection's isolation level set to
``AUTOCOMMIT`` and reset again) than for its statement: 78 µs of CPU for a job that ran
nothing, 196 for one ``SELECT 1``, against 9 and 95 on a connection kept (asyncpg alone: 25).
So a read takes a kept connection, already in ``AUTOCOMMIT``, and leaves it for the next.

At most ``limit`` connections are kept, the pool's share that the writers leave (the pool is
never waited on); a read finding them all busy waits for one. A replay's session holds one of
them while it lasts. A connection that broke is closed, and, as the pool does when it learns
the server went away, so is every one kept idle: the next reads connect afresh. That holds
too when SQLAlchemy never saw it break: a job reading through asyncpg directly (a stream, the
settled position) gets asyncpg's own error, so the connection itself is asked (``ended``).
A read that met a kept connection ended (the server restarted since, or a pooler closed it
while idle) runs once more on a new one (``PostgresDatabase.read``): after a restart, each
kept connection would otherwise have failed one read with the server already back. A read
cancelled half-way closes its connection back into the pool, which resets it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import NoReturn

import asyncpg
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from innovation.store.errors import ConnectionLostError, causes, connection_ended, unavailable


class KeptConnectionEndedError(ConnectionLostError):
    """A connection kept between reads had ended meanwhile (the server restarted, a pooler
    closed it while idle): the server may well be back, and a new connection may serve."""


class ReadConnections:
    """Up to ``limit`` connections of ``engine`` (an ``AUTOCOMMIT`` one), kept for reads."""

    def __init__(self, engine: AsyncEngine, limit: int) -> None:
        self.engine = engine
        self.limit = limit
        self._slots = asyncio.Semaphore(limit)
        self._idle: list[AsyncConnection] = []
        self._closed = False

    @contextlib.asynccontextmanager
    async def connection(self) -> AsyncIterator[AsyncConnection]:
        """A kept connection for one read (or one session of them), kept again after."""
        async with self._slots:
            kept = bool(self._idle)
            connection = self._idle.pop() if kept else await self.engine.connect()
            try:
                yield connection
            except BaseException as error:
                if ended(connection, error):
                    for each in (connection, *self._take_idle()):  # ended with it, most likely
                        await discard(each)
                    if isinstance(error, Exception) and kept:
                        raise KeptConnectionEndedError.of(error) from error
                    if isinstance(error, Exception):
                        raise_ended(error)
                elif isinstance(error, Exception):  # the job failed, its connection did not
                    await self._keep(connection)
                else:  # cancelled half-way: the pool resets it
                    await self._forget(connection)
                raise
            await self._keep(connection)

    async def _keep(self, connection: AsyncConnection) -> None:
        if self._closed or connection.invalidated:  # the pool takes it back, or discards it
            await self._forget(connection)
        else:
            self._idle.append(connection)

    async def _forget(self, *connections: AsyncConnection) -> None:
        for connection in connections:
            with contextlib.suppress(Exception):
                await connection.close()

    def _take_idle(self) -> list[AsyncConnection]:
        idle, self._idle = self._idle, []
        return idle

    async def close(self) -> None:
        """Hand every kept connection back to the pool; reads still running hand theirs back
        as they end."""
        self._closed = True
        await self._forget(*self._take_idle())


def ended(connection: AsyncConnection, error: BaseException) -> bool:
    """Whether ``error`` leaves ``connection`` unfit to serve again: it ended (the server
    restarted or ended it, the network cut it), as SQLAlchemy saw on its own statements, or
    as asyncpg knows when a job read through asyncpg directly and SQLAlchemy saw nothing
    ("connection is closed", as SQLAlchemy tells it); or asyncpg's protocol went wrong on it
    (``InternalClientError``: a query sent while the server's word that it ended the
    connection was still on its way left it "cannot switch to state 12; another operation (2)
    is in progress"). asyncpg's other ``InterfaceError``s (``DataError``: a value the column
    cannot take) say nothing of the connection."""
    if connection.invalidated:
        return True
    for found in causes(error):
        if connection_ended(found) or isinstance(found, asyncpg.InternalClientError):
            return True
    try:
        driver = connection.sync_connection.connection.driver_connection  # type: ignore[union-attr]
    except Exception:  # no connection left to ask
        return True
    return driver is None or bool(driver.is_closed())


async def discard(connection: AsyncConnection) -> None:
    """Close ``connection`` for good: the pool would otherwise keep one that SQLAlchemy never
    saw end (``ended``) and hand it out again."""
    with contextlib.suppress(Exception):
        await connection.invalidate()
    with contextlib.suppress(Exception):
        await connection.close()


def raise_ended(error: Exception) -> NoReturn:
    """Raise ``error``, met on a connection that ended, as an error that says so
    (``unavailable``): asyncpg may call it anything, down to a protocol state it cannot
    switch to."""
    if unavailable(error):
        raise error
    raise ConnectionLostError.of(error) from error
