"""Small event types for exercising the store, independent of the pipeline's own events."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import ClassVar

from innovation.store import Event, Mapper, Metadata, NewEvent


class Noted(Event, frozen=True, tag="test.noted"):
    text: str


class Counted(Event, frozen=True, tag="test.counted"):
    amount: int


class Renamed(Event, frozen=True, tag="test.renamed"):
    """Version 2 split ``name`` into ``first`` and ``last``; version-1 rows are upcast on read."""

    schema_version: ClassVar[int] = 2
    first: str
    last: str


def test_mapper() -> Mapper:
    mapper = Mapper([Noted, Counted, Renamed, Batched])

    @mapper.upcaster("test.renamed", 1)
    def upcast_v1_v2(data: dict[str, object]) -> dict[str, object]:
        first, _, last = str(data.pop("name")).partition(" ")
        return {**data, "first": first, "last": last}

    return mapper


test_mapper.__test__ = False  # type: ignore[attr-defined]

META = Metadata(
    actor="tester",
    occurred_at=datetime(2026, 1, 1, tzinfo=UTC),
    correlation_id=uuid.UUID(int=1),
)


def new(event: Event, event_id: uuid.UUID | None = None) -> NewEvent:
    return NewEvent(event=event, metadata=META, event_id=event_id or uuid.uuid4())


def notes(*texts: str) -> list[NewEvent]:
    return [new(Noted(text=text)) for text in texts]


class Batched(Event, frozen=True, tag="test.batched"):
    """One of ``size`` events appended together, so a half-written batch can be recognised."""

    batch: str
    size: int
    index: int
