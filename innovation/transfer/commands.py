"""``innovation import``, ``export`` and ``restore`` (README: "Importing and exporting")."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import click

from innovation.config import get_settings
from innovation.domain.bounds import SCOUT_LENGTH
from innovation.domain.errors import InvalidInputError
from innovation.domain.values import validate_text
from innovation.tokens import ROLES

if TYPE_CHECKING:
    from collections.abc import Callable

    from rich.progress import Progress
    from sqlalchemy.engine import Connection

    from innovation.services import Actor


def _actor(text: str) -> Actor:
    """Who imports: a role that may submit ideas through the API too (``submitIdea``)."""
    from innovation.api.permissions import AUTHORS
    from innovation.services import Actor

    role, _, name = text.partition(":")
    authors = ", ".join(r for r in ROLES if r in AUTHORS)
    if role not in ROLES or not name.strip():
        raise click.BadParameter(f"must read role:name with a role of {authors}", param_hint="--as")
    if role not in AUTHORS:
        raise click.BadParameter(
            f"the {role} role does not submit ideas: use one of {authors}", param_hint="--as"
        )
    try:  # the actor of every event the import writes, and the scout of rows naming none
        return Actor(validate_text(text, "--as", SCOUT_LENGTH), role)
    except InvalidInputError as refused:
        raise click.BadParameter(refused.message, param_hint="--as") from None


@click.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--as",
    "actor",
    default="scout:import",
    show_default=True,
    help="Who imports (role:name); the scout of rows that name none.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(("csv", "jsonl")),
    default=None,
    help="The file's format (default: by its extension).",
)
def import_ideas(path: Path, actor: str, fmt: str | None) -> None:
    """Submit the ideas of a CSV or JSON Lines file; report every row that is refused.

    Rows already imported (same external_ref, same content) are not written again.
    """
    from innovation.bootstrap import bootstrap
    from innovation.cli import _database_errors, _now, _progress, console
    from innovation.transfer.importer import import_rows
    from innovation.transfer.rows import ImportFileError, format_of, read_rows

    who = _actor(actor)
    now = _now()
    try:
        rows = list(
            read_rows(
                path.read_bytes(),
                format_of(path.name, fmt),
                who.name,
                now,
                themes=get_settings().pipeline.themes,
            )
        )
    except ImportFileError as error:
        console.print(f"[red]{path.name}: nothing imported:[/red] {error}")
        sys.exit(2)

    async def run() -> Any:
        services = bootstrap(get_settings())
        try:
            with _progress() as bar:
                task = bar.add_task(f"importing {path.name}", total=len(rows))
                return await import_rows(
                    services.pipeline,
                    rows,
                    who,
                    now,
                    progress=lambda done: bar.update(task, completed=done),
                )
        finally:
            await services.close()

    again = (
        "has `innovation db upgrade` run? The rows imported before it stopped stay imported: "
        "import the file again once the database answers, and only the rest is written"
    )
    with _database_errors(hint=again):
        report = asyncio.run(run())
    for problem in report.problems:
        click.echo(f"{path.name}: {problem}")
    summary = (
        f"{path.name}: {report.rows} rows: {len(report.written)} imported, "
        f"{len(report.already)} already imported, {len(report.refused)} refused"
    )
    if not report.written:
        summary += "; nothing new was written"
    click.echo(summary)
    if report.refused:
        sys.exit(1)


@click.command("export")
@click.argument("kind", type=click.Choice(("events", "ideas", "releases")))
@click.option(
    "--format", "fmt", type=click.Choice(("jsonl", "csv")), default="jsonl", show_default=True
)
@click.option(
    "--since",
    default=None,
    metavar="DATE",
    help="Only what was recorded (events), changed (ideas) or published (releases) "
    "at or after DATE (ISO date or date-time, UTC unless it names a zone).",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="File to write (default stdout).",
)
def export(kind: str, fmt: str, since: str | None, output: Path | None) -> None:
    """Write the log (events), the ideas or the releases out as JSON Lines or CSV."""
    from innovation.bootstrap import bootstrap
    from innovation.cli import _run, console
    from innovation.transfer import exports

    try:
        moment = None if since is None else exports.parse_moment(since)
    except ValueError:
        raise click.BadParameter(
            f"{since!r} is not an ISO date or date-time", param_hint="--since"
        ) from None

    async def run(out: IO[str], bar: Progress | None) -> int:
        services = bootstrap(get_settings())
        try:
            writer = exports.Writer(out, fmt, exports.columns_of(kind), guarded=kind != "events")
            if kind == "events":
                end = await services.store.settled_position()
                task = None if bar is None else bar.add_task("exporting the log", total=end)
                async for row in exports.events(services.store, moment):
                    writer.write(row)
                    if bar is not None and task is not None and writer.count % 1000 == 0:
                        bar.update(task, completed=row["position"])
                if bar is not None and task is not None:
                    bar.update(task, completed=end)
            else:
                read = exports.ideas if kind == "ideas" else exports.releases

                def write_out(connection: Connection) -> None:
                    total = exports.count(connection, kind, moment)
                    task = None if bar is None else bar.add_task(f"exporting {kind}", total=total)
                    for row in read(connection, moment):
                        writer.write(row)
                        if bar is not None and task is not None and writer.count % 1000 == 0:
                            bar.update(task, completed=writer.count)
                    if bar is not None and task is not None:
                        bar.update(task, completed=writer.count)

                await services.database.read(write_out)
            return writer.count
        finally:
            await services.close()

    if output is None:
        count = _run(run(sys.stdout, None))
    else:
        count = _write_whole(output, lambda out, bar: _run(run(out, bar)))
    console.print(f"exported {count} {kind}" + (f" to {output}" if output else ""))


def _write_whole(output: Path, write: Callable[[IO[str], Progress], int]) -> int:
    """``write`` into a file beside ``output``, renamed to it once whole: a failed export (the
    database gone half-way, a full disk) leaves no truncated file under the name asked for."""
    from innovation.cli import _progress

    if not output.parent.is_dir():
        raise click.BadParameter(f"no folder {output.parent}", param_hint="--output")
    partial = output.with_name(f".{output.name}.partial")
    try:
        out = partial.open("w", encoding="utf-8", newline="")
    except OSError as error:
        raise click.BadParameter(
            f"cannot write in {output.parent}: {error.strerror}", param_hint="--output"
        ) from None
    try:
        with out, _progress() as bar:
            count = write(out, bar)
        partial.replace(output)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return count


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(("jsonl", "csv")),
    default=None,
    help="The export's format (default: by its extension).",
)
def restore(path: Path, fmt: str | None) -> None:
    """Load an events export into an empty database, as it was, and project it."""
    from innovation.bootstrap import bootstrap
    from innovation.cli import _progress, _run, console
    from innovation.seed import SeedClock
    from innovation.transfer.exports import ExportReadError, count_events, read_events
    from innovation.transfer.restore import RestoreError
    from innovation.transfer.restore import restore as restore_events
    from innovation.transfer.rows import ImportFileError, format_of

    try:
        kind = format_of(path.name, fmt)
    except ImportFileError as error:
        raise click.BadParameter(error.problem.reason, param_hint="PATH") from None

    async def run() -> Any:
        clock = SeedClock()
        services = bootstrap(get_settings(), clock=clock)
        try:
            with path.open(encoding="utf-8", newline="") as lines:
                total = count_events(lines, kind) or None
            with path.open(encoding="utf-8", newline="") as lines, _progress() as bar:
                task = bar.add_task(f"restoring {path.name}", total=total)
                projected = bar.add_task("projecting", total=total, start=False)

                def projecting(done: int, total: int) -> None:
                    bar.start_task(projected)
                    bar.update(projected, completed=done, total=total)

                return await restore_events(
                    services,
                    clock,
                    read_events(lines, kind),
                    progress=lambda done: bar.update(task, completed=done),
                    projecting=projecting,
                )
        finally:
            await services.close()

    try:
        report = _run(run())
    except (RestoreError, ExportReadError) as error:
        console.print(f"[red]{path.name}: restore stopped:[/red] {error}")
        sys.exit(1)
    console.print(f"restored {report.events} events from {path.name} and projected them")
    if report.renumbered:
        console.print(f"{report.renumbered} events have new positions: the exported log had gaps")


def add_to(group: click.Group) -> None:
    """Give the ``innovation`` command its import, export and restore."""
    for command in (import_ideas, export, restore):
        group.add_command(command)
