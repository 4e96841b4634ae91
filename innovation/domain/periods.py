"""Release periods: the calendar that says which release an instant belongs to.

A cadence divides the year into equal runs of months (six by default: ``2026-H1`` is 1 January
to 30 June, ``2026-H2`` 1 July to 31 December). Boundaries are local midnights on the first day
of a period's first month, in the configured zone, turned into UTC instants; every instant
belongs to exactly one period, and a period ends where the next one starts. Where a zone skips
or repeats its midnight (some zones change their clocks at 00:00), the boundary is the first
instant that reads as that day locally.

Labels name the period: ``2026`` (yearly), ``2026-H2`` (half), ``2026-T3`` (four months),
``2026-Q3`` (quarter), ``2026-B4`` (two months), ``2026-M07`` (month).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from innovation.domain.errors import InvalidInputError

CADENCE_LETTERS = {12: "", 6: "H", 4: "T", 3: "Q", 2: "B", 1: "M"}
"""The months a period may last (each divides 12), and the letter its label carries."""
ANY_LABEL = re.compile(r"[0-9]{4}(?:-[A-Z][0-9]{1,2})?")
"""How every cadence writes its periods (``2026``, ``2026-H1``, ``2026-M07``): a release
published under any cadence has such a label."""

DEFAULT_CADENCE_MONTHS = 6
DEFAULT_ZONE = "Europe/Paris"
FIRST_YEAR = 1970
LAST_YEAR = 9998
"""Periods exist from 1970 on, and up to the one before the calendar runs out."""


@dataclass(frozen=True, slots=True)
class Period:
    """One release period: its label and the half-open range of UTC instants ``[start, end)``."""

    label: str
    year: int
    number: int
    """1-based within the year: ``2026-H2`` is number 2."""
    start: datetime
    end: datetime

    def __contains__(self, instant: datetime) -> bool:
        return self.start <= instant < self.end

    def overlaps(self, start: datetime, end: datetime) -> bool:
        """Whether ``[start, end)`` shares an instant with this period (a period of another
        cadence, say)."""
        return start < self.end and self.start < end


class Cadence:
    """How long a period lasts, and the zone whose midnights bound it."""

    __slots__ = ("_label", "months", "zone")

    def __init__(self, months: int = DEFAULT_CADENCE_MONTHS, zone: str = DEFAULT_ZONE) -> None:
        if months not in CADENCE_LETTERS:
            allowed = ", ".join(str(m) for m in sorted(CADENCE_LETTERS))
            raise InvalidInputError("cadence", f"a period lasts {allowed} months, not {months}")
        self.months = months
        self.zone = ZoneInfo(zone)
        letter = CADENCE_LETTERS[months]
        digits = 2 if months == 1 else 1
        self._label = re.compile(
            rf"(\d{{4}})-{letter}(\d{{{digits}}})" if letter else r"(\d{4})",
        )

    @property
    def per_year(self) -> int:
        return 12 // self.months

    def __repr__(self) -> str:
        return f"Cadence(months={self.months}, zone={self.zone.key!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Cadence) and (self.months, self.zone) == (other.months, other.zone)

    def __hash__(self) -> int:
        return hash((self.months, self.zone.key))

    # -- naming --------------------------------------------------------------------------------

    def label(self, year: int, number: int) -> str:
        letter = CADENCE_LETTERS[self.months]
        if not letter:
            return f"{year:04d}"
        return (
            f"{year:04d}-{letter}{number:02d}"
            if self.months == 1
            else f"{year:04d}-{letter}{number}"
        )

    def example(self) -> str:
        return self.label(2026, self.per_year)

    def names(self, label: str) -> bool:
        """Whether ``label`` is written as this cadence writes its periods (``2026-H1`` for
        semesters): a release published under another cadence has a label it does not."""
        return self._label.fullmatch(label.strip()) is not None

    def parse(self, label: str) -> Period:
        """The period a label names; refused, naming ``period``, when it is not one of ours."""
        match = self._label.fullmatch(label.strip())
        if match is None:
            raise InvalidInputError(
                "period",
                f"{label!r} is not a period of this cadence: write it like {self.example()!r}",
            )
        year = int(match.group(1))
        number = int(match.group(2)) if match.lastindex == 2 else 1
        if not 1 <= number <= self.per_year:
            raise InvalidInputError(
                "period", f"{label!r}: a year has periods 1 to {self.per_year} at this cadence"
            )
        if not FIRST_YEAR <= year <= LAST_YEAR:
            raise InvalidInputError(
                "period", f"{label!r}: periods run from {FIRST_YEAR} to {LAST_YEAR}"
            )
        return self.period(year, number)

    # -- arithmetic ----------------------------------------------------------------------------

    def period(self, year: int, number: int) -> Period:
        return Period(
            label=self.label(year, number),
            year=year,
            number=number,
            start=self._boundary(year, number),
            end=self._boundary(*self._shift(year, number, 1)),
        )

    def period_of(self, instant: datetime) -> Period:
        """The period holding ``instant`` (an aware datetime)."""
        if instant.tzinfo is None:
            raise ValueError("period_of needs an aware datetime, not a naive one")
        local = instant.astimezone(self.zone)
        return self.period(local.year, (local.month - 1) // self.months + 1)

    def following(self, period: Period) -> Period:
        return self.period(*self._shift(period.year, period.number, 1))

    def previous(self, period: Period) -> Period:
        return self.period(*self._shift(period.year, period.number, -1))

    def elapsed(self, since: datetime, now: datetime) -> list[Period]:
        """Every period from the one holding ``since`` that has ended by ``now``, oldest first."""
        periods: list[Period] = []
        period = self.period_of(since)
        while period.end <= now:
            periods.append(period)
            period = self.following(period)
        return periods

    def _shift(self, year: int, number: int, by: int) -> tuple[int, int]:
        index = year * self.per_year + (number - 1) + by
        return index // self.per_year, index % self.per_year + 1

    def _boundary(self, year: int, number: int) -> datetime:
        """The first instant of a period: local midnight of its first day, as UTC."""
        month = (number - 1) * self.months + 1
        # fold=0: a midnight the zone skips takes the offset before the jump, which is the
        # jump itself; one it repeats is its first occurrence. Both are the first instant that
        # reads as the 1st locally, and ``period_of`` agrees (the property tests check zones
        # that do both).
        return datetime(year, month, 1, tzinfo=self.zone).astimezone(UTC)


def days_left(period: Period, now: datetime) -> int:
    """Whole days until the period closes (0 on its last day or after)."""
    remaining = period.end - now
    return max(0, remaining.days)
