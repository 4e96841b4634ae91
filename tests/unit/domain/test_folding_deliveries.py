"""Each delivery event folded onto a delivery changes exactly the fields it sets, as for ideas
and experiments: the whole state after it is compared with the state before, one version on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from msgspec.structs import replace

from innovation.domain import deliveries as d
from innovation.domain.messages import Event

AT = datetime(2026, 7, 1, 6, 0, tzinfo=UTC)
QUEUED = d.DigestQueued(delivery_id="41", period="2026-H1", recipient="ceo@example.org")
FAILED_ONCE = d.DeliveryFailed(delivery_id="41", attempt=1, error="451", retry_at=AT)

FOLDS: dict[str, tuple[list[Event], Event, dict[str, Any]]] = {
    "failure to retry": (
        [QUEUED],
        FAILED_ONCE,
        {"attempts": 1, "retry_at": AT, "last_error": "451"},
    ),
    "failure given up": (
        [QUEUED, FAILED_ONCE],
        d.DeliveryFailed(delivery_id="41", attempt=2, error="550 no such user", retry_at=None),
        {"status": "FAILED", "attempts": 2, "retry_at": None, "last_error": "550 no such user"},
    ),
    "sent after a failure": (
        [QUEUED, FAILED_ONCE],
        d.DigestSent(delivery_id="41", attempt=2),
        {"status": "SENT", "attempts": 2, "retry_at": None},
    ),
    "failure after a later retry": (
        [QUEUED, FAILED_ONCE],
        d.DeliveryFailed(
            delivery_id="41", attempt=2, error="451 again", retry_at=AT + timedelta(minutes=1)
        ),
        {"attempts": 2, "retry_at": AT + timedelta(minutes=1), "last_error": "451 again"},
    ),
}


def test_queueing_sets_every_field_of_the_delivery() -> None:
    assert d.fold([QUEUED]) == d.Delivery(
        id="41", exists=True, period="2026-H1", recipient="ceo@example.org", version=1
    )


@pytest.mark.parametrize(("history", "event", "changes"), FOLDS.values(), ids=FOLDS)
def test_a_delivery_event_changes_exactly_the_fields_it_sets(
    history: list[Event], event: Event, changes: dict[str, Any]
) -> None:
    before = d.fold(history)

    assert d.evolve(before, event) == replace(before, version=before.version + 1, **changes)


def test_a_delivery_folded_from_a_snapshot_is_the_one_folded_from_scratch() -> None:
    history = [QUEUED, FAILED_ONCE, d.DigestSent(delivery_id="41", attempt=2)]

    assert d.fold(history[1:], d.fold(history[:1])) == d.fold(history)


def test_an_event_of_another_stream_leaves_the_delivery_as_it_is() -> None:
    before = d.fold([QUEUED])

    assert d.evolve(before, object()) is before
