"""Alembic environment: one script for SQLite (synchronous) and PostgreSQL (asyncpg)."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import create_engine, event, pool
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.ext.asyncio import create_async_engine

from innovation.all_tables import metadata
from innovation.config import get_settings
from innovation.store.migrate import include_object

config = context.config

MIGRATION_LOCK = 0x696E6E6F
"""PostgreSQL advisory lock key ('inno') held while migrating, so that processes started
together (each running ``innovation db upgrade``) migrate one after the other: the later ones
wait, then find the schema at head."""
WAIT_FOR_ANOTHER_SECONDS = 3600
"""SQLite: how long an upgrade waits for another one holding the file's write lock."""


def _url() -> str:
    return config.attributes.get("url") or get_settings().database.url


def _configure(connection: Connection) -> None:
    """Run every pending migration in one transaction, on both backends (SQLite's DDL is
    transactional too): a failure leaves the schema where it was, and a second process
    upgrading at the same time waits for this one and then has nothing to do."""
    sqlite = connection.dialect.name == "sqlite"
    context.configure(
        connection=connection,
        target_metadata=metadata,
        include_object=include_object,
        render_as_batch=sqlite,
        transactional_ddl=True,
        compare_type=True,
    )
    with context.begin_transaction():
        if not sqlite:  # SQLite's transaction begins with the write lock (``_sqlite_engine``)
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
        context.run_migrations()


def _sqlite_engine(url: str) -> Engine:
    """The driver's own transaction handling left off, so that the migration's transaction is
    one ``BEGIN IMMEDIATE``: it holds the file's write lock before the current revision is read,
    and covers the DDL, which the driver would otherwise run outside any transaction."""
    engine = create_engine(
        url,
        poolclass=pool.NullPool,
        connect_args={"isolation_level": None, "timeout": WAIT_FOR_ANOTHER_SECONDS},
    )

    @event.listens_for(engine, "begin")
    def begin_immediate(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


async def _run_async(url: str) -> None:
    engine = create_async_engine(url, poolclass=pool.NullPool)
    async with engine.connect() as connection:
        await connection.run_sync(_configure)
    await engine.dispose()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        return
    url = make_url(_url())
    if url.get_backend_name() == "postgresql":
        asyncio.run(_run_async(url.set(drivername="postgresql+asyncpg").render_as_string(False)))
        return
    engine = _sqlite_engine(url.set(drivername="sqlite+pysqlite").render_as_string(False))
    with engine.connect() as connection:
        _configure(connection)
    engine.dispose()


if context.is_offline_mode():
    context.configure(url=_url(), target_metadata=metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
