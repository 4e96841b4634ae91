"""The ``innovation`` command: the operator's and the developer's way in."""

from __future__ import annotations

import sys

import click
from rich.console import Console

from innovation.config import SettingsError, get_settings

console = Console(stderr=True)


@click.group()
def main() -> None:
    """Run and operate the innovation pipeline service (see README.md)."""
    try:
        get_settings()
    except SettingsError as error:
        console.print(f"[red]configuration error:[/red] {error}")
        sys.exit(2)


@main.group()
def db() -> None:
    """The database schema (Alembic migrations)."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True, help="Alembic revision to reach.")
def db_upgrade(revision: str) -> None:
    """Create or migrate the schema of INNOVATION_DATABASE_URL."""
    from innovation.store.migrate import upgrade

    url = get_settings().database.url
    _ensure_sqlite_folder(url)
    upgrade(url, revision)
    console.print(f"database at [bold]{revision}[/bold]: {_safe(url)}")


@db.command("current")
def db_current() -> None:
    """Print the revision the database is at, and the newest one this code has."""
    import sqlalchemy as sa

    from innovation.store.migrate import current_revision, head_revision

    url = sa.make_url(get_settings().database.url)
    if url.get_backend_name() == "postgresql":
        import asyncio

        from innovation.store import open_database

        async def read() -> str | None:
            database = open_database(url)
            try:
                return await database.read(current_revision)
            finally:
                await database.close()

        current = asyncio.run(read())
    else:
        engine = sa.create_engine(url.set(drivername="sqlite+pysqlite"))
        with engine.connect() as connection:
            current = current_revision(connection)
        engine.dispose()
    click.echo(f"current: {current or '(empty database)'}\nhead:    {head_revision()}")


@db.command("revision")
@click.option("-m", "--message", required=True, help="What the migration does.")
def db_revision(message: str) -> None:
    """Write a new migration from the difference between the models and the database."""
    from alembic import command

    from innovation.store.migrate import alembic_config

    command.revision(alembic_config(get_settings().database.url), message, autogenerate=True)


def _ensure_sqlite_folder(url: str) -> None:
    import sqlalchemy as sa

    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database:
        from pathlib import Path

        Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)


def _safe(url: str) -> str:
    import sqlalchemy as sa

    return sa.make_url(url).render_as_string(hide_password=True)


if __name__ == "__main__":
    main()
