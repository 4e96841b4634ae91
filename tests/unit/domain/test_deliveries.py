"""The digest outbox: each attempt recorded, retried with back-off, and never sent twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from innovation.domain import deliveries as d

AT = datetime(2026, 7, 1, 6, 0, tzinfo=UTC)
QUEUED = d.DigestQueued(delivery_id="41", period="2026-H1", recipient="ceo@example.org")


def decide(command: d.DeliveryCommand, *past: d.DeliveryEvent) -> list[d.DeliveryEvent]:
    return d.decide(command, d.fold(past))


def test_queueing_a_delivery_twice_queues_it_once():
    command = d.QueueDigest(delivery_id="41", period="2026-H1", recipient="ceo@example.org")

    assert decide(command) == [QUEUED]
    assert decide(command, QUEUED) == []


def test_a_failed_attempt_is_retried_later_and_the_wait_doubles():
    first = decide(d.RecordFailure(delivery_id="41", at=AT, error="451", retry=True), QUEUED)
    second = decide(
        d.RecordFailure(delivery_id="41", at=AT, error="451 again", retry=True), QUEUED, *first
    )

    assert first == [
        d.DeliveryFailed(delivery_id="41", attempt=1, error="451", retry_at=AT + d.FIRST_RETRY)
    ]
    assert second[0].attempt == 2
    assert second[0].retry_at == AT + 2 * d.FIRST_RETRY
    state = d.fold([QUEUED, *first, *second])
    assert (state.status, state.attempts, state.last_error) == ("PENDING", 2, "451 again")


def test_the_wait_between_attempts_is_capped():
    assert d.backoff(1) == d.FIRST_RETRY
    assert d.backoff(3) == 4 * d.FIRST_RETRY
    assert d.backoff(30) == d.LONGEST_WAIT


def test_a_failure_that_retrying_cannot_fix_gives_the_delivery_up():
    failed = decide(d.RecordFailure(delivery_id="41", at=AT, error="554", retry=False), QUEUED)

    state = d.fold([QUEUED, *failed])
    assert failed[0].retry_at is None
    assert state.status == "FAILED"
    with pytest.raises(d.DeliveryClosedError):
        decide(d.RecordSent(delivery_id="41", at=AT), QUEUED, *failed)


def test_a_sent_delivery_is_never_sent_again_and_records_no_more_failures():
    sent = decide(d.RecordSent(delivery_id="41", at=AT), QUEUED)

    assert sent == [d.DigestSent(delivery_id="41", attempt=1)]
    assert decide(d.RecordSent(delivery_id="41", at=AT), QUEUED, *sent) == []
    with pytest.raises(d.DeliveryClosedError):
        decide(d.RecordFailure(delivery_id="41", at=AT, error="x", retry=True), QUEUED, *sent)
    assert d.fold([QUEUED, *sent]).status == "SENT"


def test_an_attempt_on_a_delivery_never_queued_is_refused():
    with pytest.raises(d.DeliveryNotFoundError):
        decide(d.RecordSent(delivery_id="7", at=AT))


def test_a_long_error_is_kept_short():
    failed = decide(d.RecordFailure(delivery_id="41", at=AT, error="x" * 2000, retry=True), QUEUED)

    assert len(failed[0].error) == d.ERROR_MAX_LENGTH
    assert failed[0].retry_at - AT == timedelta(seconds=30)


def test_a_failure_waits_the_first_retry_the_command_asks_for() -> None:
    wait = timedelta(minutes=5)

    failed = decide(
        d.RecordFailure(delivery_id="41", at=AT, error="451", retry=True, first_retry=wait), QUEUED
    )

    assert failed[0].retry_at == AT + wait


def test_an_error_exactly_at_the_limit_is_kept_whole_and_one_past_it_is_cut() -> None:
    at_limit = "x" * d.ERROR_MAX_LENGTH

    kept = decide(d.RecordFailure(delivery_id="41", at=AT, error=at_limit, retry=True), QUEUED)
    cut = decide(d.RecordFailure(delivery_id="41", at=AT, error=at_limit + "y", retry=True), QUEUED)

    assert kept[0].error == at_limit
    assert cut[0].error == at_limit


def test_the_wait_doubles_up_to_the_longest_and_stops_there() -> None:
    below = d.FIRST_RETRY * 2**9  # 4 h 16 min, the last doubling under six hours

    assert d.backoff(10) == below < d.LONGEST_WAIT
    assert d.backoff(11) == d.LONGEST_WAIT < below * 2
