"""The composition root: settings in, a wired set of services out. Nothing else builds them."""

from __future__ import annotations

from dataclasses import dataclass

from innovation.config import Settings
from innovation.domain import EVENT_TYPES
from innovation.domain.periods import Cadence
from innovation.outbound.digest import DigestOutbox
from innovation.outbound.smtp import SmtpSender, SmtpSettings
from innovation.projections import Projector
from innovation.releases.documents import Documents
from innovation.releases.service import Releases
from innovation.releases.shipping import shipping_reader
from innovation.services.pipeline import Pipeline
from innovation.store import (
    CheckpointedReader,
    Clock,
    Database,
    KeptStates,
    Log,
    Mapper,
    Readers,
    open_database,
    utcnow,
)
from innovation.store.follow import LogFollower
from innovation.tokens import Tokens

__all__ = ["Clock", "Services", "bootstrap", "event_mapper", "utcnow"]


@dataclass
class Services:
    """What a process needs to serve requests: one of these per process."""

    settings: Settings
    database: Database
    store: Log
    projector: Projector
    pipeline: Pipeline
    follower: LogFollower
    readers: Readers
    """Runs this process's checkpointed readers (one holder per reader across processes)."""
    clock: Clock
    releases: Releases
    documents: Documents
    """What the releases are read as (digests, e-mails, pages, the index and the feed)."""
    shipping: CheckpointedReader
    """Marks shipped ideas RELEASED and queues the digest, once per published release."""
    outbox: DigestOutbox
    tokens: Tokens
    """Who a bearer token belongs to, remembered for INNOVATION_TOKEN_CACHE_SECONDS."""

    async def close(self) -> None:
        await self.follower.close()
        await self.documents.close()
        await self.database.close()


def event_mapper() -> Mapper:
    """Every event type the service stores, by its stable name."""
    return Mapper(EVENT_TYPES)


def bootstrap(
    settings: Settings, *, clock: Clock = utcnow, database: Database | None = None
) -> Services:
    database = database or open_database(
        settings.database.url,
        synchronous=settings.database.sqlite_synchronous,
        pool_size=settings.database.pool_size,
        timeout=settings.database.timeout,
    )
    mapper = event_mapper()
    store = Log(database, mapper, clock=clock)
    kept = KeptStates()  # the streams' states commands left: read ahead and loaded from
    projector = Projector(mapper, store.recorder, kept)
    pipeline = Pipeline(
        database,
        store.recorder,
        mapper,
        projector,
        themes=settings.pipeline.themes,
        snapshot_every=settings.pipeline.snapshot_every,
        kept=kept,
    )
    follower = LogFollower(store)
    pipeline.on_commit.append(follower.wake)
    readers = Readers(store)  # leases measure real time, whatever clock commands are given
    release_settings = settings.releases
    releases = Releases(
        store,
        pipeline,
        Cadence(release_settings.cadence_months, settings.pipeline.timezone),
    )
    documents = Documents(releases, public_url=release_settings.public_url)
    outbox = DigestOutbox(
        releases=releases,
        documents=documents,
        pipeline=pipeline,
        readers=readers,
        smtp=SmtpSender(
            SmtpSettings(
                host=release_settings.smtp_host,
                port=release_settings.smtp_port,
                username=release_settings.smtp_user,
                password=release_settings.smtp_password,
                tls=release_settings.smtp_tls,
            )
        ),
        sender=release_settings.sender,
        clock=clock,
        recipients=lambda: release_settings.recipients,
    )
    return Services(
        settings=settings,
        database=database,
        store=store,
        projector=projector,
        pipeline=pipeline,
        follower=follower,
        readers=readers,
        clock=clock,
        releases=releases,
        documents=documents,
        shipping=shipping_reader(pipeline, lambda: release_settings.recipients),
        outbox=outbox,
        tokens=Tokens(database, seconds=settings.api.token_cache_seconds),
    )
