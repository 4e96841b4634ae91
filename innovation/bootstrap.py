"""The composition root: settings in, a wired set of services out. Nothing else builds them."""

from __future__ import annotations

from dataclasses import dataclass

from innovation.config import Settings
from innovation.domain import EVENT_TYPES
from innovation.projections import Projector
from innovation.services.pipeline import Pipeline
from innovation.store import Clock, Database, Log, Mapper, Readers, open_database, utcnow
from innovation.store.follow import LogFollower

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

    async def close(self) -> None:
        await self.follower.close()
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
    )
    mapper = event_mapper()
    store = Log(database, mapper, clock=clock)
    projector = Projector(mapper)
    pipeline = Pipeline(
        database,
        store.recorder,
        mapper,
        projector,
        themes=settings.pipeline.themes,
        snapshot_every=settings.pipeline.snapshot_every,
    )
    follower = LogFollower(store)
    pipeline.on_commit.append(follower.wake)
    return Services(
        settings=settings,
        database=database,
        store=store,
        projector=projector,
        pipeline=pipeline,
        follower=follower,
        # Leases measure real time, whatever clock commands are given.
        readers=Readers(store),
        clock=clock,
    )
