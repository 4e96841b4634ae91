"""Release periods: labels, boundaries in the configured zone, and tiling of time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from innovation.domain.errors import InvalidInputError
from innovation.domain.periods import (
    ANY_LABEL,
    CADENCE_LETTERS,
    FIRST_YEAR,
    LAST_YEAR,
    Cadence,
    days_left,
)

ZONES = (
    "Europe/Paris",
    "UTC",
    "America/Asuncion",  # changes its clocks at midnight on the 1st
    "America/Havana",  # repeats a midnight on the 1st
    "Asia/Amman",  # skipped the midnight of 1 July 1999
    "Asia/Tehran",
    "Australia/Lord_Howe",  # a half-hour shift
    "Pacific/Chatham",
    "Pacific/Kiritimati",  # UTC+14
    "Pacific/Pago_Pago",  # UTC-11
)

instants = st.datetimes(
    min_value=datetime(1971, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)
)
cadences = st.builds(Cadence, st.sampled_from(sorted(CADENCE_LETTERS)), st.sampled_from(ZONES))


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo("Europe/Paris"))


def test_the_default_cadence_is_two_semesters_in_paris() -> None:
    cadence = Cadence()

    first = cadence.parse("2026-H1")
    second = cadence.parse("2026-H2")

    assert first.start == paris(2026, 1, 1)
    assert first.end == second.start == paris(2026, 7, 1)
    assert second.end == paris(2027, 1, 1)
    assert first.start == datetime(2025, 12, 31, 23, 0, tzinfo=UTC)  # winter time, UTC+1
    assert second.start == datetime(2026, 6, 30, 22, 0, tzinfo=UTC)  # summer time, UTC+2


def test_an_instant_just_before_midnight_in_paris_belongs_to_the_period_before() -> None:
    cadence = Cadence()

    assert cadence.period_of(paris(2026, 6, 30, 23, 59, 59)).label == "2026-H1"
    assert cadence.period_of(paris(2026, 7, 1)).label == "2026-H2"
    # 22:30 UTC on 30 June is already 1 July in Paris
    assert cadence.period_of(datetime(2026, 6, 30, 22, 30, tzinfo=UTC)).label == "2026-H2"


@pytest.mark.parametrize(
    ("months", "instant", "label"),
    [
        (12, datetime(2026, 8, 1, tzinfo=UTC), "2026"),
        (6, datetime(2026, 8, 1, tzinfo=UTC), "2026-H2"),
        (4, datetime(2026, 8, 1, tzinfo=UTC), "2026-T2"),
        (3, datetime(2026, 8, 1, tzinfo=UTC), "2026-Q3"),
        (2, datetime(2026, 8, 1, tzinfo=UTC), "2026-B4"),
        (1, datetime(2026, 7, 15, tzinfo=UTC), "2026-M07"),
        (1, datetime(2026, 12, 15, tzinfo=UTC), "2026-M12"),
    ],
)
def test_labels_name_the_period_by_its_cadence(months: int, instant: datetime, label: str) -> None:
    assert Cadence(months).period_of(instant).label == label


@pytest.mark.parametrize("months", [0, 5, 7, 24, -6])
def test_a_cadence_that_does_not_divide_the_year_is_refused(months: int) -> None:
    with pytest.raises(InvalidInputError) as refused:
        Cadence(months)
    assert refused.value.field == "cadence"


@pytest.mark.parametrize("label", ["2026-H3", "2026-H0", "2026-Q1", "26-H1", "2026H1", "", "H1"])
def test_a_label_that_is_not_a_semester_is_refused_naming_the_period(label: str) -> None:
    with pytest.raises(InvalidInputError) as refused:
        Cadence(6).parse(label)
    assert refused.value.field == "period"


def test_a_quarter_label_is_refused_at_a_monthly_cadence_and_a_month_needs_two_digits() -> None:
    with pytest.raises(InvalidInputError):
        Cadence(1).parse("2026-Q3")
    with pytest.raises(InvalidInputError):
        Cadence(1).parse("2026-M7")
    assert Cadence(1).parse("2026-M07").start == paris(2026, 7, 1)


def test_a_semester_whose_midnight_the_zone_skips_starts_at_the_jump() -> None:
    # Amman moved its clocks from 00:00 straight to 01:00 on 1 July 1999.
    cadence = Cadence(6, "Asia/Amman")

    second_half = cadence.parse("1999-H2")

    assert second_half.start == datetime(1999, 6, 30, 22, 0, tzinfo=UTC)
    assert cadence.parse("1999-H1").end == second_half.start
    assert cadence.period_of(datetime(1999, 6, 30, 21, 59, 59, tzinfo=UTC)).label == "1999-H1"


def test_a_month_whose_midnight_the_zone_repeats_starts_at_its_first_occurrence() -> None:
    # Havana turned its clocks back from 01:00 to 00:00 on 1 November 2026.
    cadence = Cadence(1, "America/Havana")

    november = cadence.parse("2026-M11")

    assert november.start == datetime(2026, 11, 1, 4, 0, tzinfo=UTC)
    assert cadence.period_of(datetime(2026, 11, 1, 4, 30, tzinfo=UTC)) == november
    assert cadence.period_of(datetime(2026, 11, 1, 3, 59, tzinfo=UTC)).label == "2026-M10"


def test_elapsed_lists_every_closed_period_since_the_first_event_in_order() -> None:
    cadence = Cadence()

    elapsed = cadence.elapsed(paris(2023, 9, 14), now=paris(2026, 7, 2))

    assert [period.label for period in elapsed] == [
        "2023-H2",
        "2024-H1",
        "2024-H2",
        "2025-H1",
        "2025-H2",
        "2026-H1",
    ]
    assert cadence.elapsed(paris(2026, 7, 1), now=paris(2026, 7, 2)) == []
    # a period that ends exactly now has elapsed
    assert [p.label for p in cadence.elapsed(paris(2026, 3, 1), now=paris(2026, 7, 1))] == [
        "2026-H1"
    ]


def test_days_left_counts_whole_days_and_never_goes_below_zero() -> None:
    period = Cadence().parse("2026-H2")

    assert days_left(period, paris(2026, 12, 30)) == 2
    assert days_left(period, paris(2026, 12, 31, 12)) == 0
    assert days_left(period, paris(2027, 3, 1)) == 0


def test_period_of_refuses_a_naive_datetime() -> None:
    with pytest.raises(ValueError, match="aware"):
        Cadence().period_of(datetime(2026, 1, 1))


# -- properties ---------------------------------------------------------------------------------


@given(cadences, instants)
def test_every_instant_belongs_to_exactly_one_period(cadence: Cadence, instant: datetime) -> None:
    period = cadence.period_of(instant)

    assert instant in period
    assert instant not in cadence.previous(period)
    assert instant not in cadence.following(period)


@given(cadences, instants)
def test_periods_tile_time_a_period_ends_where_the_next_starts(
    cadence: Cadence, instant: datetime
) -> None:
    period = cadence.period_of(instant)
    following = cadence.following(period)

    assert period.start < period.end
    assert period.end == following.start
    assert cadence.previous(following) == period
    assert cadence.period_of(period.end) == following
    assert cadence.period_of(period.end - timedelta(microseconds=1)) == period


@given(cadences, instants)
def test_labels_round_trip(cadence: Cadence, instant: datetime) -> None:
    period = cadence.period_of(instant)

    assert cadence.parse(period.label) == period


@given(cadences, instants)
def test_every_cadence_writes_its_labels_as_any_label_is_written(
    cadence: Cadence, instant: datetime
) -> None:
    assert ANY_LABEL.fullmatch(cadence.period_of(instant).label)


@pytest.mark.parametrize("label", ["2026-H1\x00", "2026-h1", "٢٠٢٦-H1", "2026-H", "26-H1", " 2026"])
def test_any_label_is_not_written_with_other_characters(label: str) -> None:
    assert ANY_LABEL.fullmatch(label) is None


@given(cadences, instants)
def test_a_period_starts_on_the_first_day_of_its_first_month_locally(
    cadence: Cadence, instant: datetime
) -> None:
    period = cadence.period_of(instant)
    local = period.start.astimezone(cadence.zone)

    assert local.day == 1
    assert (local.month - 1) % cadence.months == 0
    assert (period.start - timedelta(microseconds=1)).astimezone(cadence.zone).day != 1


@pytest.mark.parametrize("year", [FIRST_YEAR, LAST_YEAR])
def test_a_period_in_the_first_or_last_year_is_accepted(year: int) -> None:
    assert Cadence().parse(f"{year}-H2").year == year


@pytest.mark.parametrize("year", [FIRST_YEAR - 1, LAST_YEAR + 1])
def test_a_period_just_outside_the_years_is_refused_naming_the_period(year: int) -> None:
    with pytest.raises(InvalidInputError) as refused:
        Cadence().parse(f"{year}-H2")

    assert refused.value.field == "period"
    assert refused.value.message


def test_a_period_holds_its_start_and_not_its_end() -> None:
    period = Cadence().parse("2026-H1")

    assert period.start in period
    assert period.end not in period
    assert period.start.tzinfo is UTC
    assert period.end.tzinfo is UTC


def test_cadences_are_equal_by_length_and_zone() -> None:
    assert Cadence() == Cadence(6, "Europe/Paris")
    assert hash(Cadence()) == hash(Cadence(6, "Europe/Paris"))
    assert Cadence() != Cadence(3)
    assert Cadence() != Cadence(6, "UTC")
    assert Cadence() != "H"
    assert len({Cadence(6, "UTC"), Cadence(6, "UTC"), Cadence(3, "UTC")}) == 2


@pytest.mark.parametrize(
    ("months", "label", "named"),
    [
        (6, "2026-H1", True),
        (6, " 2026-H2 ", True),
        (6, "2026-Q3", False),
        (6, "2026", False),
        (6, "2026-H1x", False),
        (3, "2026-Q3", True),
        (3, "2026-H1", False),
        (12, "2026", True),
        (12, "2026-H1", False),
        (1, "2026-M07", True),
        (1, "2026-Q3", False),
    ],
)
def test_a_cadence_names_only_labels_written_its_way(months: int, label: str, named: bool) -> None:
    assert Cadence(months).names(label) is named


def test_a_period_overlaps_an_interval_sharing_an_instant_but_not_one_it_only_touches() -> None:
    h2 = Cadence().parse("2026-H2")
    q3, q4 = Cadence(3).parse("2026-Q3"), Cadence(3).parse("2026-Q4")
    h1 = Cadence().parse("2026-H1")
    second = timedelta(seconds=1)

    assert h2.overlaps(q3.start, q3.end)
    assert h2.overlaps(q4.start, q4.end)
    assert h2.overlaps(h1.start, h2.end)  # holds it whole
    assert h2.overlaps(h2.start, h2.start + second)  # its first second
    assert h2.overlaps(h2.end - second, h2.end + second)  # its last second
    assert not h2.overlaps(h1.start, h1.end)  # ends where it starts
    assert not h2.overlaps(h2.end, h2.end + timedelta(days=90))  # starts where it ends
