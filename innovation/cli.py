"""The ``innovation`` command: the operator's and the developer's way in."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import Callable, Coroutine, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click
from rich.console import Console
from sqlalchemy.engine import Connection

from innovation.config import SettingsError, get_settings
from innovation.tokens import ROLES

if TYPE_CHECKING:
    from rich.progress import Progress

T = TypeVar("T")
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
    with _database_errors(hint="is the server up and the user allowed to create tables?"):
        upgrade(url, revision)
    console.print(f"database at [bold]{revision}[/bold]: {_safe(url)}")


@db.command("current")
def db_current() -> None:
    """Print the revision the database is at, and the newest one this code has."""
    from innovation.store.migrate import current_revision, head_revision

    current = _job(current_revision, write=False)
    click.echo(f"current: {current or '(empty database)'}\nhead:    {head_revision()}")


@db.command("revision")
@click.option("-m", "--message", required=True, help="What the migration does.")
def db_revision(message: str) -> None:
    """Write a new migration from the difference between the models and the database."""
    from alembic import command

    from innovation.store.migrate import alembic_config

    command.revision(alembic_config(get_settings().database.url), message, autogenerate=True)


@main.command()
@click.option("--host", default=None, help="Listen address (default INNOVATION_HOST).")
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    default=None,
    help="Listen port (default INNOVATION_PORT).",
)
@click.option(
    "--workers", type=click.IntRange(min=1), default=1, show_default=True, help="Server processes."
)
def serve(host: str | None, port: int | None, workers: int) -> None:
    """Serve GraphQL, GraphiQL and /health over HTTP (uvicorn); each worker its own socket."""
    _serve(host, port, workers, announce=True)


def _serve(host: str | None, port: int | None, workers: int, *, announce: bool) -> None:
    from innovation.serving import ensure_free, ensure_schema, public_url_note
    from innovation.serving import serve as serve_http

    settings = get_settings().server
    host, port = host or settings.host, port or settings.port
    ensure_free(host, port)
    ensure_schema(get_settings().database.url)
    if announce:  # not after ``demo``, which printed the address beside the tokens
        console.print(f"GraphiQL: [bold]http://{host}:{port}/graphql[/bold]   health: /health")
    note = public_url_note(host, get_settings().releases.public_url)
    if note is not None:
        console.print(f"[yellow]note:[/yellow] {note}", soft_wrap=True)  # one journal entry
    serve_http(host, port, workers)


@main.command()
@click.pass_context
def demo(context: click.Context) -> None:
    """What `make run` does, in one process: migrate, seed an empty log, demo tokens, serve."""
    from innovation.serving import ensure_free

    ensure_free(get_settings().server.host, get_settings().server.port)  # before any token
    context.invoke(db_upgrade)
    context.invoke(seed_load, paths=(), if_empty=True)
    context.invoke(token_demo)  # prints GraphiQL's address with the tokens
    _serve(None, None, 1, announce=False)


@main.group()
def token() -> None:
    """API tokens: each carries one role; the secret is shown once and stored hashed."""


@token.command("create")
@click.option("--name", required=True, help="Who or what the token is for.")
@click.option(
    "--role",
    required=True,
    type=click.Choice(ROLES, case_sensitive=False),
    help="What the holder may do.",
)
@click.option("--email", default=None, help="Where release digests go (executives).")
def token_create(name: str, role: str, email: str | None) -> None:
    """Create a token and print its secret once."""
    from innovation.tokens import TokenRefusedError, create_token

    try:
        principal, secret = _job(
            lambda c: create_token(c, name=name, role=role, email=email, now=_now())
        )
    except TokenRefusedError as refused:
        console.print(f"[red]{refused.field}:[/red] {refused.message}")
        sys.exit(2)
    console.print(f"created {principal.role} token for {principal.name} ({principal.token_id})")
    console.print("store it now, it is not shown again:")
    click.echo(secret)
    if principal.email and principal.role != "executive":
        console.print(
            f"note: digests go to executives only; {principal.email} gets them if it is listed "
            "in INNOVATION_DIGEST_RECIPIENTS"
        )


@token.command("list")
def token_list() -> None:
    """List tokens (never their secrets)."""
    from rich.table import Table

    from innovation.tokens import list_tokens

    table = Table("id", "name", "role", "email", "created", "revoked")
    for info in _job(list_tokens, write=False):
        table.add_row(
            str(info.token_id),
            info.name,
            info.role,
            info.email or "",
            f"{info.created_at:%Y-%m-%d %H:%M}",
            f"{info.revoked_at:%Y-%m-%d %H:%M}" if info.revoked_at else "",
        )
    # Never cut short to fit a narrow terminal (80 columns, or a pipe): the id and the name
    # are what ``token revoke`` takes, so they must come out whole, to be copied.
    whole = Console(width=10_000).measure(table).maximum
    Console(width=max(Console().width, whole)).print(table)


@token.command("revoke")
@click.argument("which")
def token_revoke(which: str) -> None:
    """Revoke the token with this id, or every live token with this name."""
    from innovation.tokens import revoke_token

    count = _job(lambda c: revoke_token(c, which, _now()))
    if not count:
        console.print(f"[red]no live token with id or name {which!r}[/red]")
        sys.exit(1)
    console.print(f"revoked {count} token{'s' if count > 1 else ''}")


DEMO_ROLES = ("scout", "lead", "ethics", "executive", "admin")


@token.command("demo")
def token_demo() -> None:
    """Issue one fresh demo-<role> token per role (revoking the previous ones) and print them."""
    from innovation.tokens import create_token, feed_key_of, revoke_token

    def issue(connection: Connection) -> list[tuple[str, str, str, str]]:
        now = _now()
        issued = []
        for role in DEMO_ROLES:
            name = f"demo-{role}"
            revoke_token(connection, name, now)
            principal, secret = create_token(connection, name=name, role=role, email=None, now=now)
            key = feed_key_of(connection, principal.token_id)
            assert key is not None  # the token was just made
            issued.append((role, principal.actor, secret, key))
        return issued

    issued = _job(issue)
    issued_keys = {role: key for role, _, _, key in issued}
    settings = get_settings().server
    click.echo("demo tokens (new on every run; the previous demo tokens are revoked):")
    for role, actor, secret, _ in issued:
        click.echo(f"  {role:<10} {actor:<26} {secret}")
    click.echo(f"GraphiQL: http://{settings.host}:{settings.port}/graphql")
    click.echo('  in its Headers tab: {"Authorization": "Bearer <token>"}')
    key = issued_keys.get("executive")
    base = get_settings().releases.public_url
    click.echo(f"Releases: {base}/releases?key={key}")
    click.echo(f"Atom feed: {base}/releases.atom?key={key}")


@main.group()
def seed() -> None:
    """Demo data: commands replayed through the handlers at their own times."""


@seed.command("load")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--if-empty", is_flag=True, help="Load only into an empty log (a quick restart of make run)."
)
def seed_load(paths: tuple[Path, ...], if_empty: bool = False) -> None:
    """Load seed files (default: seed/*.jsonl); what is already loaded is not written twice."""
    if if_empty:
        from innovation.store.log import Recorder

        events = _job(Recorder().last_position, write=False)
        if events:
            console.print(
                f"the log already holds events (up to position {events}): seed not loaded again"
            )
            return
    from innovation.bootstrap import bootstrap
    from innovation.seed import (
        SeedClock,
        SeedError,
        load_seed,
        read_seed,
        release_elapsed,
        seed_files,
    )

    files: list[Path] = []
    for path in paths or (Path("seed"),):  # a folder stands for its *.jsonl files
        files.extend(seed_files(path) if path.is_dir() else [path] if path.is_file() else [])
    if not files:  # `make run` starts in the project's folder, whose seed/ holds the demo data
        looked = ", ".join(str(path.absolute()) for path in paths or (Path("seed"),))
        console.print(f"no seed data to load: no seed file (*.jsonl) at {looked}", soft_wrap=True)
        return
    try:
        commands = [command for path in files for command in read_seed(path)]
    except SeedError as error:
        console.print(f"[red]seed error:[/red] {error}")
        sys.exit(1)

    async def run() -> tuple[int, int]:
        clock = SeedClock()
        services = bootstrap(get_settings(), clock=clock)

        async def ship() -> None:
            """Mark each release's ideas released as soon as it is published."""
            end = await services.store.settled_position()
            await services.readers.run_until(services.shipping, end)

        try:
            with _progress() as bar:
                task = bar.add_task("loading seed commands", total=len(commands))
                report = await load_seed(
                    services.pipeline,
                    clock,
                    commands,
                    progress=lambda done: bar.update(task, completed=done),
                    releases=services.releases,
                    ship=ship,
                )
            await release_elapsed(services.releases, clock, _now(), ship)
            await ship()  # a release the log held already, published before this load
            await services.readers.release(services.shipping)
        finally:
            await services.close()
        return report.commands, report.written

    try:
        total, written = _run(run())
    except SeedError as error:
        console.print(f"[red]seed error:[/red] {error}")
        sys.exit(1)
    names = ", ".join(path.name for path in files)
    console.print(
        f"seed {names}: {total} commands, {written} newly written, {total - written} already loaded"
    )


@main.group()
def schema() -> None:
    """The GraphQL schema (SDL)."""


@schema.command("export")
@click.option(
    "--output",
    type=click.Path(dir_okay=False),
    default=None,
    help="File to write (default stdout).",
)
def schema_export(output: str | None) -> None:
    """Print the GraphQL schema as SDL: what schema.graphql must contain."""
    from innovation.api.schema import sdl

    text = sdl()
    if output is None:
        click.echo(text, nl=False)
    else:
        Path(output).write_text(text, encoding="utf-8")
        console.print(f"wrote {output}")


@main.group()
def projections() -> None:
    """Read models derived from the log."""


@projections.command("rebuild")
def projections_rebuild() -> None:
    """Clear every read model and replay the whole log into it, in one transaction (running
    services wait for it: stop them first, or choose a quiet hour)."""
    from functools import partial

    from innovation.bootstrap import bootstrap

    settings = get_settings()

    async def run() -> int:
        services = bootstrap(settings)
        try:
            with _progress() as bar:
                task = bar.add_task("replaying events", total=None)

                def progress(done: int, total: int) -> None:
                    bar.update(task, completed=done, total=total)

                return await services.database.write(
                    partial(
                        services.projector.rebuild,
                        recorder=services.store.recorder,
                        progress=progress,
                    )
                )
        finally:
            await services.close()

    count = _run(run())
    console.print(f"read models rebuilt from {count} events")


def _run(work: Coroutine[Any, Any, T]) -> T:
    """Run the command's async work; a database that cannot be reached is a message, not a trace."""
    with _database_errors():
        return asyncio.run(work)


@contextlib.contextmanager
def _database_errors(hint: str = "has `innovation db upgrade` run?") -> Iterator[None]:
    """A database that cannot be reached or used: a message naming it (its password masked)
    and exit status 1, rather than a traceback."""
    from sqlalchemy.exc import DBAPIError

    try:
        yield
    except BrokenPipeError:  # what reads the output stopped (``| head``): stop too, quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
    except (DBAPIError, OSError) as error:
        from innovation.store.errors import writes_stopped

        url = _safe(get_settings().database.url)
        reason = getattr(error, "orig", None) or error
        console.print(f"[red]cannot use the database {url}:[/red] {reason}")
        why = writes_stopped(error)  # the address is right: the database takes no writes
        console.print(f"{why}" if why else f"is INNOVATION_DATABASE_URL right, and {hint}")
        sys.exit(1)


def _progress(on: Console | None = None) -> Progress:
    """The bar long CLI work shows (stderr unless told): what, how far, done of total, time left."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    return Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=on or console,
    )


def _now() -> datetime:
    return datetime.now(UTC)


def _job(job: Callable[[Connection], T], *, write: bool = True) -> T:
    """Run one database job against INNOVATION_DATABASE_URL from this synchronous command."""
    from innovation.store import open_database

    settings = get_settings().database

    async def run() -> T:
        database = open_database(
            settings.url, synchronous=settings.sqlite_synchronous, timeout=settings.timeout
        )
        try:
            return await (database.write(job) if write else database.read(job))
        finally:
            await database.close()

    return _run(run())


def _ensure_sqlite_folder(url: str) -> None:
    import sqlalchemy as sa

    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database:
        Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)


def _safe(url: str) -> str:
    import sqlalchemy as sa

    return sa.make_url(url).render_as_string(hide_password=True)


def _release_commands() -> None:
    from innovation.releases.commands import release, scheduler

    main.add_command(release)
    main.add_command(scheduler)
    from innovation.transfer.commands import add_to

    add_to(main)


_release_commands()

if __name__ == "__main__":
    main()
