"""Handlers of the release's commands, and of what publishing it sets off: shipping each idea
and queueing the digest for each recipient."""

from __future__ import annotations

from innovation.domain import DELIVERY, IDEA, RELEASE
from innovation.domain.deliveries import QueueDigest, RecordFailure, RecordSent
from innovation.domain.ideas import MarkReleased
from innovation.domain.releases import PublishRelease
from innovation.services.unit_of_work import Handler, UnitOfWork


def publish_release(uow: UnitOfWork, command: PublishRelease, expected: int | None) -> None:
    """The release stream's first event is appended with NO_STREAM: one release per period."""
    uow.decide(RELEASE, command.bundle.period, command, expected)


def mark_released(uow: UnitOfWork, command: MarkReleased, expected: int | None) -> None:
    uow.decide(IDEA, command.idea_id, command, expected)


def on_delivery(
    uow: UnitOfWork, command: QueueDigest | RecordSent | RecordFailure, expected: int | None
) -> None:
    uow.decide(DELIVERY, command.delivery_id, command, expected)


HANDLERS: dict[type, Handler] = {
    PublishRelease: publish_release,
    MarkReleased: mark_released,
    QueueDigest: on_delivery,
    RecordSent: on_delivery,
    RecordFailure: on_delivery,
}
