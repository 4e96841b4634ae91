"""What publishing a release sets off, as one checkpointed reader of the log.

For each ``ReleasePublished`` it moves every shipped idea to RELEASED (an event on the idea)
and queues the digest for every recipient (an event per delivery, which the outbox sends).
Both are written in the transaction that moves the reader's checkpoint, so a batch is done
once or not at all; the commands' ids derive from the release's log position, so a batch read
again after a crash is recognised and writes nothing twice.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Callable, Iterable

from sqlalchemy.engine import Connection

from innovation.domain.deliveries import DigestQueued, QueueDigest
from innovation.domain.errors import DomainError
from innovation.domain.ideas import IdeaReleased, MarkReleased
from innovation.domain.recorded import Recorded
from innovation.domain.releases import ReleasePublished
from innovation.services import Actor
from innovation.services.pipeline import Pipeline
from innovation.store import CheckpointedReader, type_name
from innovation.tokens import executive_addresses

log = logging.getLogger(__name__)

NAME = "releases.ship"
SHIPPER = Actor("system:release-shipper", "admin")
SHIPPING = uuid.UUID("a8d3c1f2-5b6e-4f70-9c1d-7e2b3a4f5c60")


def delivery_id(release_position: int, recipient: str) -> str:
    """One delivery per release and recipient, named by the release's log position."""
    return f"{release_position}-{hashlib.sha256(recipient.encode()).hexdigest()[:12]}"


def recipients(connection: Connection, configured: tuple[str, ...]) -> list[str]:
    """Executives with an e-mail address, and the configured list, each address once."""
    return addressees(executive_addresses(connection), configured)


def addressees(executives: Iterable[str], configured: tuple[str, ...]) -> list[str]:
    """``recipients``, given the executives' addresses."""
    addresses = dict.fromkeys(address.lower() for address in configured)
    addresses.update(dict.fromkeys(executives))
    return sorted(addresses)


class ShippedReleases:
    """Which releases a log shows this reader has shipped, for a log restored elsewhere.

    A restored log holds the reader's work (ideas moved to RELEASED, digests queued) but not its
    checkpoint. Read again from the start, it would queue every past release's digest for any
    recipient added since, and, where the restore renumbered positions, for everyone again.
    The reader ships releases in log order, so a release whose shipping shows in the log
    (an idea released in it, or a digest queued for it) was shipped with every one before it.
    """

    def __init__(self) -> None:
        self._published: dict[str, int] = {}
        self._shipped: set[str] = set()

    def note(self, recorded: Recorded) -> None:
        match recorded.event:
            case ReleasePublished(bundle=bundle):
                self._published[bundle.period] = recorded.position
            case IdeaReleased(release_id=period) | DigestQueued(period=period):
                self._shipped.add(period)

    @property
    def through(self) -> int:
        """The position of the last release shipped (0 when none was): the checkpoint."""
        shipped = (
            position for period, position in self._published.items() if period in self._shipped
        )
        return max(shipped, default=0)


def shipping_reader(
    pipeline: Pipeline, configured_recipients: Callable[[], tuple[str, ...]]
) -> CheckpointedReader:
    def handle(connection: Connection, batch: list[Recorded]) -> None:
        for recorded in batch:
            if isinstance(recorded.event, ReleasePublished):
                ship(connection, pipeline, recorded, configured_recipients())

    return CheckpointedReader(NAME, handle, types=frozenset({type_name(ReleasePublished)}))


def ship(
    connection: Connection,
    pipeline: Pipeline,
    recorded: Recorded,
    configured: tuple[str, ...],
) -> None:
    event = recorded.event
    assert isinstance(event, ReleasePublished)
    period = event.bundle.period
    for item in event.bundle.items:
        command = MarkReleased(idea_id=item.idea_id, release_id=period)
        ident = uuid.uuid5(SHIPPING, f"ship/{recorded.position}/{item.idea_id}")
        try:
            pipeline.run_within(
                connection, command, SHIPPER, at=recorded.occurred_at, command_id=ident
            )
        except DomainError as refused:
            # Changed between the cut-off and now (rejected, say): the release stands as
            # published; the idea keeps its stage, and the log says why here.
            log.warning("release %s: idea %s not marked: %s", period, item.idea_id, refused)
    for address in recipients(connection, configured):
        queued = QueueDigest(
            delivery_id=delivery_id(recorded.position, address), period=period, recipient=address
        )
        ident = uuid.uuid5(SHIPPING, f"queue/{queued.delivery_id}")
        pipeline.run_within(connection, queued, SHIPPER, at=recorded.occurred_at, command_id=ident)
