"""``innovation release …`` and ``innovation scheduler``: releases from the command line."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, TypeVar
from zoneinfo import ZoneInfo

import click
from rich.table import Table

from innovation.bootstrap import Services, bootstrap
from innovation.config import get_settings
from innovation.domain.errors import DomainError
from innovation.domain.periods import Period, days_left
from innovation.domain.releases import NOT_VALIDATED, Blocked
from innovation.releases.digest import local_day
from innovation.services import Actor

if TYPE_CHECKING:
    from innovation.projections.releases import DeliveryView

T = TypeVar("T")
OPERATOR = Actor("admin:cli", "admin")


def _with_services(work: Callable[[Services], Awaitable[T]]) -> T:
    from innovation.cli import _run

    async def run() -> T:
        services = bootstrap(get_settings())
        try:
            return await work(services)
        finally:
            await services.close()

    return _run(run())


def _closes(period: Period, now: datetime) -> str:
    """'2026-H2 closes 2027-01-01 00:00 Europe/Paris, in 26 days' (markup for the console)."""
    zone = get_settings().pipeline.timezone
    closes = period.end.astimezone(ZoneInfo(zone))
    left = days_left(period, now)
    when = "within a day" if left == 0 else f"in {left} day{'' if left == 1 else 's'}"
    return f"[bold]{period.label}[/bold] closes {closes:%Y-%m-%d %H:%M} {zone}, {when}"


def _local_time(moment: datetime) -> str:
    """A moment as the pipeline's clock shows it: '2026-12-05 08:14:05 Europe/Paris'."""
    zone = get_settings().pipeline.timezone
    return f"{moment.astimezone(ZoneInfo(zone)):%Y-%m-%d %H:%M:%S} {zone}"


def _refuse(error: DomainError) -> None:
    from innovation.cli import console

    console.print(f"[red]{error.field or 'error'}:[/red] {error.message}")
    sys.exit(2)


@click.group()
def release() -> None:
    """Semester releases: preview, assemble, show, deliver."""


@release.command("preview")
def release_preview() -> None:
    """What would ship if the current period closed now, and why each other idea would not."""
    from innovation.cli import _now, console

    now = _now()
    preview = _with_services(lambda services: services.releases.preview(now))
    bundle = preview.assembly.bundle
    local = ZoneInfo(get_settings().pipeline.timezone)
    console.print(f"{_closes(preview.period, now)} (log position {preview.cutoff})")
    if not bundle.items:
        console.print("nothing would ship: no idea is validated and cleared for this period yet")
    else:
        shipped = Table("would ship", "from", "validated")
        for item in bundle.items:
            shipped.add_row(
                item.title,
                f"{item.organisation} ({item.country})",
                local_day(item.validated_at, local),
            )
        console.print(shipped)
    held = [idea for idea in preview.assembly.blocked if idea.reason != NOT_VALIDATED]
    if held:
        blocked = Table("validated, would not ship", "because")
        for idea in held:
            blocked.add_row(idea.title, f"ethics {idea.reason.lower()}")
        console.print(blocked)
    waiting = _not_validated(preview.assembly.blocked)
    if waiting:
        console.print(waiting, soft_wrap=True)


def _not_validated(blocked: Sequence[Blocked]) -> str | None:
    """The ideas still in the pipeline that are not validated, counted by stage: one line, where
    a row each made tens of thousands of lines on a large pipeline, all saying the same."""
    stages = Counter(str(idea.stage) for idea in blocked if idea.reason == NOT_VALIDATED)
    if not stages:
        return None
    total = sum(stages.values())
    each = ", ".join(f"{count:,} {stage}" for stage, count in stages.most_common())
    return (
        f"not validated yet, so would not ship: {total:,} idea{'s' if total > 1 else ''} ({each});"
        " GraphQL's nextRelease { blocked { title stage reason } } names each"
    )


@release.command("assemble")
@click.option("--period", required=True, help="The period to release, e.g. 2026-H1.")
def release_assemble(period: str) -> None:
    """Assemble a period that has ended (and any earlier one still without a release)."""
    from innovation.cli import _now, console

    try:
        view = _with_services(
            lambda services: services.releases.assemble(period, actor=OPERATOR, now=_now())
        )
    except DomainError as error:
        _refuse(error)
        return
    bundle = view.bundle
    console.print(
        f"release {bundle.period}: {len(bundle.items)} shipped, {len(bundle.stopped)} stopped, "
        f"frozen at log position {bundle.cutoff} (published {view.published_at:%Y-%m-%d %H:%M} UTC)"
    )


@release.command("show")
@click.argument("period")
@click.option("--html", "as_html", is_flag=True, help="The HTML page instead of Markdown.")
def release_show(period: str, as_html: bool) -> None:
    """Print a release's digest."""
    from innovation.cli import console

    async def show(services: Services) -> str | None:
        view = await services.releases.release(period)
        if view is None:
            services.releases.cadence.parse(period)  # a malformed period is refused by name
            return None
        digest = await services.documents.digest(view)
        return digest.html if as_html else digest.markdown

    try:
        text = _with_services(show)
    except DomainError as error:
        _refuse(error)
        return
    if text is None:
        console.print(f"[red]period:[/red] no release for {period} (yet)")
        sys.exit(2)
    click.echo(text, nl=False)


@release.command("deliver")
def release_deliver() -> None:
    """Queue what published releases still owe and send every pending digest now."""
    from innovation.cli import _now, console

    async def deliver(services: Services) -> tuple[int, list[DeliveryView], int, str | None]:
        from innovation.outbound.digest import SENDER_LEASE
        from innovation.projections.releases import deliveries
        from innovation.releases.shipping import recipients
        from innovation.store.leases import live_holder

        end = await services.store.settled_position()
        async with asyncio.timeout(120):
            await services.readers.run_until(services.shipping, end)
        sent = await services.outbox.send_due(now_or_later=True)
        await services.readers.release(services.shipping)
        await services.readers.release(SENDER_LEASE)
        pending = [d for d in await services.database.read(deliveries) if d.status == "PENDING"]
        configured = get_settings().releases.recipients
        addressed = await services.database.read(lambda c: recipients(c, configured))
        sender = await services.database.read(
            partial(live_holder, reader=SENDER_LEASE.name, now=services.clock())
        )
        return sent, pending, len(addressed), sender

    sent, pending, addressed, sender = _with_services(deliver)
    if pending and sender is not None:  # it could send none of them: another process sends
        due = min((d.retry_at or _now() for d in pending), default=_now())
        when = "within seconds" if due <= _now() else f"the next at {_local_time(due)}"
        console.print(
            f"sent {sent} digest(s); {len(pending)} still pending, sent by the process that "
            f"holds the outbox ({sender}) as each falls due ({when}); stop it to send them "
            "from here at once"
        )
    else:
        console.print(
            f"sent {sent} digest(s); {len(pending)} still pending (retried with back-off)"
        )
    if not addressed:
        console.print(
            "nobody receives digests yet: give executives an address "
            "(innovation token create --role executive --email …) "
            "or list addresses in INNOVATION_DIGEST_RECIPIENTS"
        )


@click.command()
def scheduler() -> None:
    """Assemble releases at each period's end (and catch up), ship them and send the digest,
    in a process of its own; stop with Ctrl-C or SIGTERM."""
    from litestar.logging.config import LoggingConfig

    from innovation.cli import _now, console
    from innovation.releases.workers import ReleaseWorkers
    from innovation.serving import ensure_schema

    ensure_schema(get_settings().database.url)
    LoggingConfig().configure()  # as the service logs: releases published, digests sent

    async def run(services: Services) -> None:
        stop = asyncio.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):  # a service manager stops with SIGTERM
            asyncio.get_running_loop().add_signal_handler(signum, stop.set)
        next_one = await services.releases.upcoming(_now())
        workers = ReleaseWorkers(services, scheduler=True)
        workers.start()
        console.print(  # one line, as a service manager's journal keeps it
            f"release scheduler running: {_closes(next_one, _now())}; what it publishes and "
            "sends is logged (Ctrl-C stops it)",
            soft_wrap=True,
        )
        try:
            await stop.wait()
        finally:
            await workers.stop()

    with contextlib.suppress(KeyboardInterrupt):  # before the handlers are in place
        _with_services(run)
    console.print("release scheduler stopped")
