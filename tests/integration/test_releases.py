"""Semester releases on both backends: assembled once, recomputable, shipped, delivered once."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from functools import partial

import pytest
import sqlalchemy as sa

from innovation.bootstrap import Services, bootstrap
from innovation.config import Settings
from innovation.domain.assembly import assemble
from innovation.domain.ideas import OverrideValidation
from innovation.domain.releases import PeriodNotOverError, PeriodOverlapsReleaseError
from innovation.outbound.digest import SENDER_LEASE
from innovation.projections import releases as release_views
from innovation.projections import views
from innovation.releases.shipping import shipping_reader
from innovation.store import Database
from innovation.store.migrate import downgrade, upgrade
from innovation.store.tables import events
from innovation.tokens import Principal, create_token, feed_key_of, revoke_token
from tests.integration.test_migrations import in_thread
from tests.integration.world import LEAD, FakeClock, World
from tests.smtp_server import Mailbox, SmtpServer

H1_END = datetime(2024, 6, 30, 22, 0, tzinfo=UTC)  # 2024-07-01 00:00 in Paris
AFTER_H1 = H1_END + timedelta(hours=1)


async def override(world: World, **submit: object) -> str:
    idea_id = await world.submit(**submit)
    await world.screen(idea_id)
    await world.run(
        OverrideValidation(idea_id=idea_id, reason="Proven at a sister affiliate for years.")
    )
    return idea_id


async def count_events(database: Database, type_name: str) -> int:
    query = sa.select(sa.func.count()).select_from(events).where(events.c.type == type_name)
    return await database.read(lambda connection: connection.execute(query).scalar_one())


async def test_a_period_is_assembled_once_with_what_passed_validation_and_the_ethics_gate(
    world: World, services: Services
) -> None:
    shipped, _ = await world.validated_idea()
    ai_without_review = await override(world, uses_ai=True, title="Voice bot for support calls")
    await world.screen(await world.submit(title="Still being screened"))

    release = await services.releases.assemble("2024-H1", actor=LEAD, now=AFTER_H1)
    again = await services.releases.assemble("2024-H1", actor=LEAD, now=AFTER_H1 + timedelta(1))

    assert [item.idea_id for item in release.bundle.items] == [shipped]
    assert ai_without_review not in {item.idea_id for item in release.bundle.items}
    assert again == release
    assert await count_events(services.database, "release.published") == 1
    [metric, alarms] = release.bundle.items[0].metrics
    assert (metric.baseline, metric.observed, metric.met) == (50.0, 64.0, True)
    assert alarms.change_pct == pytest.approx((290 - 900) / 900 * 100)


async def test_recomputing_a_published_release_from_the_log_at_its_cutoff_gives_the_same_bundle(
    world: World, services: Services
) -> None:
    await world.everything()
    release = await services.releases.assemble("2024-H1", actor=LEAD, now=AFTER_H1)
    await world.validated_idea()  # more work after the cut-off changes nothing of it

    log = services.store
    history = [log.recorded(record) async for record in log.replay(up_to=release.bundle.cutoff)]
    period = services.releases.cadence.parse("2024-H1")

    assert assemble(period, release.bundle.cutoff, history).bundle == release.bundle


async def test_a_period_that_has_not_ended_is_refused_naming_the_period(
    services: Services,
) -> None:
    with pytest.raises(PeriodNotOverError) as refused:
        await services.releases.assemble("2024-H1", actor=LEAD, now=H1_END - timedelta(1))

    assert refused.value.field == "period"
    # when it closes, as the pipeline's zone tells it: midnight in Paris, 1 July
    assert refused.value.message.endswith("it closes at 2024-07-01T00:00:00+02:00")


async def test_any_ended_period_may_be_assembled_by_hand_even_one_before_the_log(
    world: World, services: Services
) -> None:
    """On a service started today every period that has ended lies before its first event:
    a lead assembling one by hand (the design lets a lead assemble any ended period) gets its
    release, empty, and again changes nothing."""
    on_an_empty_log = await services.releases.assemble("2023-H1", actor=LEAD, now=AFTER_H1)
    await world.validated_idea()  # January 2024
    before_it = await services.releases.assemble("2023-H2", actor=LEAD, now=AFTER_H1)
    again = await services.releases.assemble("2023-H2", actor=LEAD, now=AFTER_H1)

    assert (on_an_empty_log.period, on_an_empty_log.bundle.items) == ("2023-H1", ())
    assert (before_it.period, before_it.bundle.items) == ("2023-H2", ())
    assert again == before_it
    assert await count_events(services.database, "release.published") == 2


async def test_catching_up_assembles_every_elapsed_period_in_order_and_an_idea_ships_once(
    world: World, services: Services, clock: FakeClock
) -> None:
    first = await override(world, title="Alarm triage for the network centre")
    clock.now = datetime(2024, 9, 2, tzinfo=UTC)
    second = await override(world, title="Managers certified on responsible AI")

    assembled = await services.releases.catch_up(now=datetime(2025, 1, 5, tzinfo=UTC))
    h1 = await services.releases.release("2024-H1")
    h2 = await services.releases.release("2024-H2")

    assert assembled == ["2024-H1", "2024-H2"]
    assert [item.idea_id for item in h1.bundle.items] == [first]
    assert [item.idea_id for item in h2.bundle.items] == [second]
    assert h1.position < h2.position
    assert await services.releases.catch_up(now=datetime(2025, 1, 6, tzinfo=UTC)) == []


async def test_after_the_cadence_changes_released_time_is_not_released_again(
    world: World, services: Services, database: Database, clock: FakeClock
) -> None:
    await override(world, title="Alarm triage for the network centre")
    await services.releases.catch_up(now=datetime(2025, 1, 5, tzinfo=UTC))
    clock.now = datetime(2025, 2, 10, tzinfo=UTC)
    third = await override(world, title="Fibre cut locator")
    quarterly = bootstrap(
        Settings.from_env({"INNOVATION_RELEASE_CADENCE_MONTHS": "3"}),
        clock=clock,
        database=database,
    )

    assembled = await quarterly.releases.catch_up(now=datetime(2025, 4, 5, tzinfo=UTC))
    with pytest.raises(PeriodOverlapsReleaseError) as refused:
        await quarterly.releases.assemble(
            "2024-Q3", actor=LEAD, now=datetime(2025, 4, 5, tzinfo=UTC)
        )

    assert assembled == ["2025-Q1"]
    q1 = await quarterly.releases.release("2025-Q1")
    assert [item.idea_id for item in q1.bundle.items] == [third]
    assert refused.value.field == "period"
    assert "2024-Q3 was released already, within release 2024-H2" in str(refused.value)
    assert await count_events(database, "release.published") == 3


async def test_after_a_longer_cadence_the_rest_of_the_period_under_way_is_released(
    world: World, database: Database, clock: FakeClock
) -> None:
    quarterly = bootstrap(
        Settings.from_env({"INNOVATION_RELEASE_CADENCE_MONTHS": "3"}),
        clock=clock,
        database=database,
    )
    await override(world, title="Alarm triage for the network centre")
    await quarterly.releases.catch_up(now=datetime(2024, 10, 5, tzinfo=UTC))  # through 2024-Q3
    clock.now = datetime(2024, 11, 4, tzinfo=UTC)
    later = await override(world, title="Fibre cut locator")
    semesters = bootstrap(Settings.from_env({}), clock=clock, database=database)
    q3 = await semesters.releases.release("2024-Q3")

    preview = await semesters.releases.preview(datetime(2024, 11, 5, tzinfo=UTC))
    caught_up = await semesters.releases.catch_up(now=datetime(2025, 1, 5, tzinfo=UTC))
    h2 = await semesters.releases.release("2024-H2")

    assert q3 is not None
    assert h2 is not None
    assert preview.period.label == "2024-H2"  # from October: July to September went out as Q3
    assert preview.period.start == q3.bundle.ends_at
    assert [item.idea_id for item in preview.assembly.bundle.items] == [later]
    assert caught_up == ["2024-H2"]
    assert h2.bundle.starts_at == q3.bundle.ends_at
    assert [item.idea_id for item in h2.bundle.items] == [later]
    assert await semesters.releases.starts_at("2024-H2") == q3.bundle.ends_at  # its cursor


async def test_after_a_change_of_time_zone_every_period_is_still_released(
    world: World, database: Database, clock: FakeClock
) -> None:
    in_utc = bootstrap(
        Settings.from_env({"INNOVATION_TIMEZONE": "UTC"}), clock=clock, database=database
    )
    await override(world, title="Alarm triage for the network centre")
    await in_utc.releases.catch_up(now=datetime(2024, 7, 5, tzinfo=UTC))  # 2024-H1, to 1 July 0:00
    clock.now = datetime(2024, 9, 2, tzinfo=UTC)
    later = await override(world, title="Fibre cut locator")
    in_paris = bootstrap(Settings.from_env({}), clock=clock, database=database)  # 2 hours ahead

    caught_up = await in_paris.releases.catch_up(now=datetime(2025, 1, 5, tzinfo=UTC))

    assert caught_up == ["2024-H2"]  # its first two hours fell in 2024-H1 as UTC counted it
    h2 = await in_paris.releases.release("2024-H2")
    assert [item.idea_id for item in h2.bundle.items] == [later]


async def test_publishing_ships_each_idea_once_and_queues_the_digest_per_recipient(
    world: World, services: Services, database: Database
) -> None:
    shipped = await override(world)
    await database.write(
        partial(create_token, name="cfo", role="executive", email="CFO@example.org", now=AFTER_H1)
    )
    shipping = shipping_reader(services.pipeline, lambda: ("board@example.org",))
    await services.releases.assemble("2024-H1", actor=LEAD, now=AFTER_H1)
    end = await services.store.last_position()

    async with asyncio.timeout(20):
        await services.readers.run_until(shipping, end)
        await services.readers.run_until(shipping, end)  # again: nothing more

    idea = await database.read(lambda connection: views.idea(connection, shipped))
    deliveries = await database.read(release_views.deliveries)
    assert idea.stage == "RELEASED"
    assert await count_events(database, "idea.released") == 1
    assert sorted(d.recipient for d in deliveries) == ["board@example.org", "cfo@example.org"]
    assert {d.status for d in deliveries} == {"PENDING"}


async def test_the_digest_is_delivered_once_per_recipient_through_refusals_and_a_restart(
    world: World, services: Services, database_url: str, clock: FakeClock
) -> None:
    await override(world)
    mailbox = Mailbox(refusals=3)
    with SmtpServer(mailbox) as server:
        env = mail_settings(database_url, server, "ceo@example.org,board@example.org")
        first = _process(env, clock)
        await first.releases.assemble("2024-H1", actor=LEAD, now=AFTER_H1)
        end = await first.store.last_position()
        async with asyncio.timeout(20):
            await first.readers.run_until(first.shipping, end)
        clock.now = AFTER_H1 + timedelta(hours=1)
        await first.outbox.send_due()  # refused twice (both recipients)
        clock.jump(seconds=1)
        await first.outbox.send_due()  # not due yet: nothing tried
        assert mailbox.attempts == 2
        await first.readers.release(first.shipping)
        await first.outbox.readers.release(SENDER_LEASE)
        await first.close()

        second = _process(env, clock)  # the service restarted during retries
        for _ in range(6):
            clock.jump(hours=1)
            await second.outbox.send_due()
        deliveries = await second.database.read(release_views.deliveries)
        await second.close()

    assert sorted(str(m["To"]) for m in mailbox.received) == [
        "board@example.org",
        "ceo@example.org",
    ]
    assert {d.status for d in deliveries} == {"SENT"}
    assert mailbox.attempts == 5  # three refusals, then one message each
    assert sum(d.attempts for d in deliveries) == 5
    assert mailbox.received[0]["Subject"].startswith("Release 2024-H1")


async def test_a_digest_queued_for_an_executive_whose_token_is_then_revoked_is_not_sent(
    world: World, database_url: str, clock: FakeClock
) -> None:
    await override(world)
    async with mailing(database_url, clock, "Board@example.org") as (services, mailbox):
        for name in ("cfo", "cto"):
            await executive(services, name)
        await publish_and_ship(services)
        await services.database.write(lambda c: revoke_token(c, "cfo", AFTER_H1))
        clock.now = AFTER_H1 + timedelta(hours=1)
        assert await services.outbox.send_due() == 2
        assert await services.outbox.send_due(now_or_later=True) == 0  # nothing left to try
        deliveries = await services.database.read(release_views.deliveries)

    assert sorted(str(m["To"]) for m in mailbox.received) == [
        "board@example.org",
        "cto@example.org",
    ]
    by_recipient = {d.recipient: d for d in deliveries}
    assert by_recipient["board@example.org"].status == "SENT"
    assert by_recipient["cto@example.org"].status == "SENT"
    withdrawn = by_recipient["cfo@example.org"]
    assert withdrawn.status == "FAILED"
    assert withdrawn.retry_at is None
    assert "no longer a recipient" in (withdrawn.last_error or "")
    assert mailbox.attempts == 2


@contextlib.asynccontextmanager
async def mailing(
    database_url: str, clock: FakeClock, recipients: str, settings: dict[str, str] | None = None
) -> AsyncIterator[tuple[Services, Mailbox]]:
    """A service mailing its digests to ``recipients`` through a real SMTP server, and what
    that server received."""
    mailbox = Mailbox()
    with SmtpServer(mailbox) as server:
        env = {**mail_settings(database_url, server, recipients), **(settings or {})}
        services = _process(env, clock)
        try:
            yield services, mailbox
        finally:
            await services.close()


async def executive(services: Services, name: str) -> Principal:
    """An executive token for ``name``, mailed at name@example.org."""
    principal, _ = await services.database.write(
        partial(
            create_token, name=name, role="executive", email=f"{name}@example.org", now=AFTER_H1
        )
    )
    return principal


async def publish_and_ship(services: Services) -> None:
    """2024-H1 assembled and published, and its digest queued for every recipient."""
    await services.releases.assemble("2024-H1", actor=LEAD, now=AFTER_H1)
    async with asyncio.timeout(20):
        await services.readers.run_until(services.shipping, await services.store.last_position())


def mail_settings(database_url: str, server: SmtpServer, recipients: str) -> dict[str, str]:
    """The environment of a service that mails its digests to ``recipients`` through ``server``."""
    return {
        "INNOVATION_DATABASE_URL": database_url,
        "INNOVATION_SMTP_HOST": "127.0.0.1",
        "INNOVATION_SMTP_PORT": str(server.port),
        "INNOVATION_DIGEST_RECIPIENTS": recipients,
    }


def _process(env: dict[str, str], clock: FakeClock) -> Services:
    services = bootstrap(Settings.from_env(env), clock=clock)
    services.outbox.first_retry = timedelta(minutes=5)
    return services


async def test_only_a_reader_with_a_feed_key_is_mailed_a_link_to_the_page(
    world: World, database_url: str, clock: FakeClock
) -> None:
    await override(world)
    public = {"INNOVATION_PUBLIC_URL": "https://pipeline.example.org"}
    async with mailing(database_url, clock, "board@example.org", public) as (services, mailbox):
        cfo = await executive(services, "cfo")
        key = await services.database.read(lambda c: feed_key_of(c, cfo.token_id))
        await publish_and_ship(services)
        clock.now = AFTER_H1 + timedelta(hours=1)
        await services.outbox.send_due()

    def texts(to: str) -> str:
        [message] = [m for m in mailbox.received if str(m["To"]) == to]
        return "".join(
            part.get_content() for part in message.walk() if part.get_content_maintype() == "text"
        )

    page = "https://pipeline.example.org/releases/2024-H1"
    assert f"{page}?key={key}" in texts("cfo@example.org")
    assert page not in texts("board@example.org")  # it would open on "a feed key is required"
    assert "What shipped" in texts("board@example.org")


async def test_the_migration_keeping_figures_apart_copies_each_bundles_own(
    world: World, services: Services, database_url: str
) -> None:
    """``0018`` copies each published release's figures out of its bundle, as the projection
    writes them for a release published after it."""
    await world.everything()
    await services.releases.assemble("2024-H1", actor=LEAD, now=AFTER_H1)
    table = release_views.releases_view

    def stored(connection: sa.Connection) -> bytes:
        query = sa.select(table.c.figures).where(table.c.period == "2024-H1")
        return bytes(connection.execute(query).scalar_one())

    written = await services.database.read(stored)
    await in_thread(downgrade, database_url, "0017_counts_by_facet")
    try:
        columns = await services.database.read(
            lambda c: [column["name"] for column in sa.inspect(c).get_columns(table.name)]
        )
        assert "figures" not in columns
    finally:
        await in_thread(upgrade, database_url)

    assert await services.database.read(stored) == written
    view = await services.releases.release("2024-H1")
    assert view is not None
    assert view.figures == view.bundle.figures
