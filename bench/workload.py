"""The events both sides write: an idea with a title, a summary, a country and a few numbers.

Ours are msgspec structs wrapped in ``NewEvent``; the peer's are events of an ``Aggregate``
subclass. Both carry the same fields, so each side stores roughly 250-350 bytes of JSON per event
(``payload_sizes`` reports the exact figures with the results).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import cycle, islice

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

from innovation.store import Event, Mapper, Metadata, NewEvent, new_event_id


@dataclass(frozen=True, slots=True)
class Payload:
    title: str
    summary: str
    country: str
    source_kind: str
    reach: int
    confidence: float


_PAYLOADS = (
    Payload(
        "Network slicing for stadium broadcast crews",
        "Reserve a slice of the 5G core for camera crews during matches; piloted with a start-up.",
        "FR",
        "STARTUP",
        12_000,
        0.7,
    ),
    Payload(
        "Voice assistant answers billing questions",
        "A generative model drafts answers to billing questions; an agent checks each one first.",
        "ES",
        "PARTNER",
        250_000,
        0.5,
    ),
    Payload(
        "Fraud alerts from SIM-swap signals",
        "Share SIM-swap events with banks through a network API so they can stop account takeover.",
        "SN",
        "OPEN_SOURCE",
        80_000,
        0.8,
    ),
    Payload(
        "Self-service fibre install scheduling",
        "Customers pick an engineer slot in the app; slots come from the field-service planner.",
        "PL",
        "EMPLOYEE",
        40_000,
        0.6,
    ),
)

_OCCURRED_AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


class IdeaSubmitted(Event, frozen=True, tag="bench.idea-submitted"):
    title: str
    summary: str
    country: str
    source_kind: str
    reach: int
    confidence: float


class IdeaRevised(Event, frozen=True, tag="bench.idea-revised"):
    title: str
    summary: str
    country: str
    source_kind: str
    reach: int
    confidence: float


def our_mapper() -> Mapper:
    return Mapper([IdeaSubmitted, IdeaRevised])


def our_stream(events: int) -> list[NewEvent]:
    """One idea's history: submitted, then revised ``events - 1`` times."""
    correlation = uuid.uuid4()
    metadata = Metadata(actor="scout-17", occurred_at=_OCCURRED_AT, correlation_id=correlation)
    out: list[NewEvent] = []
    for number, payload in enumerate(islice(cycle(_PAYLOADS), events)):
        cls = IdeaSubmitted if number == 0 else IdeaRevised
        out.append(
            NewEvent(
                event=cls(
                    title=payload.title,
                    summary=payload.summary,
                    country=payload.country,
                    source_kind=payload.source_kind,
                    reach=payload.reach + number,
                    confidence=payload.confidence,
                ),
                metadata=metadata,
                event_id=new_event_id(),  # as the service makes them: time-ordered
            )
        )
    return out


class Idea(Aggregate):
    """The peer's aggregate: the same fields, recorded through its ``@event`` decorator."""

    @event("Submitted")
    def __init__(
        self,
        title: str,
        summary: str,
        country: str,
        source_kind: str,
        reach: int,
        confidence: float,
    ) -> None:
        self.title = title
        self.reach = reach

    @event("Revised")
    def revise(
        self,
        title: str,
        summary: str,
        country: str,
        source_kind: str,
        reach: int,
        confidence: float,
    ) -> None:
        self.title = title
        self.reach = reach


def peer_stream(events: int) -> list[Aggregate.Event]:
    """The peer's version of ``our_stream``: the aggregate's pending events, collected."""
    payloads: Iterator[Payload] = islice(cycle(_PAYLOADS), events)
    first = next(payloads)
    idea = Idea(
        first.title, first.summary, first.country, first.source_kind, first.reach, first.confidence
    )
    for number, payload in enumerate(payloads, start=1):
        idea.revise(
            payload.title,
            payload.summary,
            payload.country,
            payload.source_kind,
            payload.reach + number,
            payload.confidence,
        )
    return list(idea.collect_events())  # type: ignore[arg-type]


def payload_sizes() -> dict[str, float]:
    """Average stored bytes per event on each side (ours: data and metadata columns)."""
    mapper = our_mapper()
    stored = [mapper.to_stored(new) for new in our_stream(40)]
    app: Application[uuid.UUID] = Application(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    theirs = [app.mapper.to_stored_event(e) for e in peer_stream(40)]
    app.close()
    return {
        "ours_data": sum(len(s.data) for s in stored) / len(stored),
        "ours_metadata": sum(len(s.metadata) for s in stored) / len(stored),
        "peer_state": sum(len(s.state) for s in theirs) / len(theirs),
    }
