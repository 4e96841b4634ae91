"""The composition root: settings in, a wired set of services out. Nothing else builds them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from innovation.config import Settings
from innovation.store import Database, EventStore, Mapper, open_database

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Services:
    """What a process needs to serve requests: one of these per process."""

    settings: Settings
    database: Database
    store: EventStore
    clock: Clock

    async def close(self) -> None:
        await self.database.close()


def event_mapper() -> Mapper:
    """Every event type the service stores, by its stable name."""
    return Mapper()


def bootstrap(
    settings: Settings, *, clock: Clock = utcnow, database: Database | None = None
) -> Services:
    database = database or open_database(
        settings.database.url,
        synchronous=settings.database.sqlite_synchronous,
        pool_size=settings.database.pool_size,
    )
    store = EventStore(database, event_mapper(), clock=clock)
    return Services(settings=settings, database=database, store=store, clock=clock)
