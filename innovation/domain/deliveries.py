"""The digest outbox, one stream per delivery (``delivery-<period>-<n>``): queued, tried, sent.

A delivery is one digest for one recipient. Every attempt is an event: a failure records the
error and when to try again (exponential back-off), or that trying again cannot help; a
success records that it was sent, after which nothing sends it again.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TypeAlias

import msgspec
from msgspec.structs import replace

from innovation.domain.decider import Decider
from innovation.domain.decider import fold as fold_events
from innovation.domain.errors import DomainError, ErrorCode
from innovation.domain.messages import Command, Event

STREAM_PREFIX = "delivery-"
FIRST_RETRY = timedelta(seconds=30)
LONGEST_WAIT = timedelta(hours=6)
ERROR_MAX_LENGTH = 500


def backoff(
    attempt: int, first: timedelta = FIRST_RETRY, longest: timedelta = LONGEST_WAIT
) -> timedelta:
    """How long to wait after failed attempt number ``attempt`` (1, 2, …): doubling, capped."""
    return min(first * 2 ** (attempt - 1), longest)


class QueueDigest(Command, frozen=True, kw_only=True):
    delivery_id: str
    period: str
    recipient: str


class RecordSent(Command, frozen=True, kw_only=True):
    delivery_id: str
    at: datetime


class RecordFailure(Command, frozen=True, kw_only=True):
    delivery_id: str
    at: datetime
    error: str
    retry: bool
    first_retry: timedelta = FIRST_RETRY


DeliveryCommand: TypeAlias = QueueDigest | RecordSent | RecordFailure


class DigestQueued(Event, frozen=True, kw_only=True, tag="delivery.queued"):
    delivery_id: str
    period: str
    recipient: str


class DigestSent(Event, frozen=True, kw_only=True, tag="delivery.sent"):
    delivery_id: str
    attempt: int


class DeliveryFailed(Event, frozen=True, kw_only=True, tag="delivery.failed"):
    """An attempt that did not go; ``retry_at`` is None when trying again cannot help."""

    delivery_id: str
    attempt: int
    error: str
    retry_at: datetime | None


DeliveryEvent: TypeAlias = DigestQueued | DigestSent | DeliveryFailed


class DeliveryClosedError(DomainError):
    """A delivery that was sent, or given up, takes no more attempts."""

    code = ErrorCode.INVALID_TRANSITION

    def __init__(self, delivery_id: str, status: str) -> None:
        super().__init__(f"delivery {delivery_id} is already {status.lower()}")


class DeliveryNotFoundError(DomainError):
    code = ErrorCode.NOT_FOUND

    def __init__(self, delivery_id: str) -> None:
        super().__init__(f"there is no delivery {delivery_id!r}")


class Delivery(msgspec.Struct, frozen=True, kw_only=True):
    id: str = ""
    exists: bool = False
    period: str = ""
    recipient: str = ""
    status: str = "PENDING"
    """PENDING, SENT or FAILED (given up)."""
    attempts: int = 0
    retry_at: datetime | None = None
    last_error: str | None = None
    version: int = 0


def initial_state() -> Delivery:
    return Delivery()


def decide(command: DeliveryCommand, state: Delivery) -> list[DeliveryEvent]:
    match command:
        case QueueDigest():
            if state.exists:
                return []
            return [
                DigestQueued(
                    delivery_id=command.delivery_id,
                    period=command.period,
                    recipient=command.recipient,
                )
            ]
        case RecordSent():
            if not state.exists:
                raise DeliveryNotFoundError(command.delivery_id)
            if state.status == "SENT":
                return []
            if state.status != "PENDING":
                raise DeliveryClosedError(state.id, state.status)
            return [DigestSent(delivery_id=state.id, attempt=state.attempts + 1)]
        case RecordFailure():
            if not state.exists:
                raise DeliveryNotFoundError(command.delivery_id)
            if state.status != "PENDING":
                raise DeliveryClosedError(state.id, state.status)
            attempt = state.attempts + 1
            retry_at = command.at + backoff(attempt, command.first_retry) if command.retry else None
            return [
                DeliveryFailed(
                    delivery_id=state.id,
                    attempt=attempt,
                    error=command.error[:ERROR_MAX_LENGTH],
                    retry_at=retry_at,
                )
            ]


def evolve(state: Delivery, event: object) -> Delivery:
    version = state.version + 1
    match event:
        case DigestQueued():
            return replace(
                state,
                id=event.delivery_id,
                exists=True,
                period=event.period,
                recipient=event.recipient,
                version=version,
            )
        case DigestSent():
            return replace(
                state, status="SENT", attempts=event.attempt, retry_at=None, version=version
            )
        case DeliveryFailed():
            return replace(
                state,
                status="PENDING" if event.retry_at is not None else "FAILED",
                attempts=event.attempt,
                retry_at=event.retry_at,
                last_error=event.error,
                version=version,
            )
        case _:
            return state


def fold(events: Iterable[object], state: Delivery | None = None) -> Delivery:
    return fold_events(evolve, events, initial_state() if state is None else state)


decider: Decider[DeliveryCommand, DeliveryEvent, Delivery] = Decider(initial_state, decide, evolve)
