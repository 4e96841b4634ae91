"""Values other systems and people rely on, stated as numbers and names rather than by constant.

Stream names are in every stored log, so renaming one would orphan existing releases and
deliveries; the years, waits and lengths are promised in the README. A test that only named the
constant would move with it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from innovation.domain import DELIVERY, RELEASE
from innovation.domain import deliveries as d
from innovation.domain.errors import InvalidInputError
from innovation.domain.periods import Cadence
from tests.unit.domain.release_history import Log, assembled, day


def test_release_and_delivery_streams_keep_their_stored_names() -> None:
    assert RELEASE.stream_id("2026-H1") == "release-2026-H1"
    assert DELIVERY.stream_id("2026-H1:ceo@example.org") == "delivery-2026-H1:ceo@example.org"
    assert RELEASE.entity_id("release-2026-H1") == "2026-H1"
    assert DELIVERY.entity_id("release-2026-H1") is None


@pytest.mark.parametrize("label", ["1970-H1", "9998-H2"])
def test_periods_run_from_1970_to_9998(label: str) -> None:
    assert Cadence().parse(label).label == label


@pytest.mark.parametrize("label", ["1969-H2", "9999-H1"])
def test_a_period_before_1970_or_after_9998_is_refused(label: str) -> None:
    with pytest.raises(InvalidInputError) as refused:
        Cadence().parse(label)
    assert refused.value.field == "period"


def test_retries_wait_at_most_six_hours() -> None:
    assert d.backoff(1) == timedelta(seconds=30)
    assert d.backoff(10) == timedelta(seconds=30 * 2**9)
    assert d.backoff(11) == timedelta(hours=6)
    assert d.backoff(40) == timedelta(hours=6)


def test_a_delivery_keeps_500_characters_of_an_error() -> None:
    queued = d.DigestQueued(delivery_id="x", period="2026-H1", recipient="ceo@example.org")
    at = datetime(2026, 7, 1, tzinfo=UTC)
    failing = d.RecordFailure(delivery_id="x", at=at, error="e" * 501, retry=True)

    [failed] = d.decide(failing, d.fold([queued]))

    assert failed.error == "e" * 500


def test_lead_time_counts_days_of_86400_seconds_even_over_decades() -> None:
    """Over 36 years a day one second long or short would move the median by a tenth or more."""
    log = Log()
    log.submit("old", datetime(1990, 1, 1, 10, tzinfo=UTC))
    log.screen("old", day(1, 10))
    log.override("old", day(1, 11))

    days = (day(1, 11) - datetime(1990, 1, 1, 10, tzinfo=UTC)).total_seconds() / 86_400
    assert assembled(log).bundle.figures.median_days_to_validation == round(days, 1)
