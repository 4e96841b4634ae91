"""Every limit on a length, a count or a number in the domain, declared once.

The rules check values against these bounds and the tests probe each one from both sides:
accepted exactly at the limit, refused just past it. Two rules that could be read either way:

- a metric's target must be *strictly* better than its baseline: a target equal to the baseline
  would be met by changing nothing, so the experiment would test no hypothesis;
- effort is a number of person-months and fractions are welcome (a two-week spike is 0.5), from
  a few days (0.1) to a large programme (1,000, some 80 person-years): below that RICE would
  divide by almost nothing, above it the estimate is no longer a pilot's;
- reach counts people or events per quarter, at most ten billion (more than the world holds);
- a metric's baseline, target and measurements lie within plus or minus a million million: any
  real measure fits, and a value like 1e308 is a slip that would break every average.
"""

from __future__ import annotations

from typing import NamedTuple


class Bound(NamedTuple):
    """A range ``least <= n <= most``, or ``least < n <= most`` when the least is excluded."""

    least: float
    most: float
    least_included: bool = True

    def admits(self, value: float) -> bool:
        """Whether ``value`` lies within the range; NaN never does."""
        above = self.least <= value if self.least_included else self.least < value
        return above and value <= self.most


# Lengths of text, in characters once trimmed; a least of 0 is an optional text (blank = absent).
TITLE_LENGTH = Bound(3, 200)
SUMMARY_LENGTH = Bound(1, 5_000)
ORGANISATION_LENGTH = Bound(1, 200)
URL_LENGTH = Bound(0, 2_000)
THEME_LENGTH = Bound(1, 50)
SCOUT_LENGTH = Bound(1, 200)
ADVANCE_REASON_LENGTH = Bound(0, 2_000)
REJECT_REASON_LENGTH = Bound(3, 2_000)
CORRECTION_REASON_LENGTH = Bound(3, 2_000)
REOPEN_REASON_LENGTH = Bound(3, 2_000)
AMEND_REASON_LENGTH = Bound(3, 2_000)
OVERRIDE_REASON_LENGTH = Bound(20, 2_000)
NOTE_LENGTH = Bound(0, 5_000)
REVIEWER_LENGTH = Bound(1, 200)
HYPOTHESIS_LENGTH = Bound(10, 2_000)
PILOT_SITE_LENGTH = Bound(1, 200)
METRIC_NAME_LENGTH = Bound(1, 100)
METRIC_UNIT_LENGTH = Bound(1, 50)

# Counts of items.
THEMES_COUNT = Bound(1, 5)
REVIEWERS_COUNT = Bound(1, 20)
METRICS_COUNT = Bound(1, 10)

# Numbers.
REACH = Bound(0, 10_000_000_000)
CONFIDENCE = Bound(0, 1)
EFFORT = Bound(0.1, 1_000)
STRATEGIC_FIT = Bound(0, 5)
METRIC_VALUE = Bound(-1_000_000_000_000, 1_000_000_000_000)

BOUNDS: dict[str, Bound] = {
    "title length": TITLE_LENGTH,
    "summary length": SUMMARY_LENGTH,
    "organisation length": ORGANISATION_LENGTH,
    "url length": URL_LENGTH,
    "theme length": THEME_LENGTH,
    "scout length": SCOUT_LENGTH,
    "advance reason length": ADVANCE_REASON_LENGTH,
    "reject reason length": REJECT_REASON_LENGTH,
    "correction reason length": CORRECTION_REASON_LENGTH,
    "reopen reason length": REOPEN_REASON_LENGTH,
    "amend reason length": AMEND_REASON_LENGTH,
    "override reason length": OVERRIDE_REASON_LENGTH,
    "note length": NOTE_LENGTH,
    "reviewer length": REVIEWER_LENGTH,
    "hypothesis length": HYPOTHESIS_LENGTH,
    "pilot site length": PILOT_SITE_LENGTH,
    "metric name length": METRIC_NAME_LENGTH,
    "metric unit length": METRIC_UNIT_LENGTH,
    "themes count": THEMES_COUNT,
    "reviewers count": REVIEWERS_COUNT,
    "metrics count": METRICS_COUNT,
    "reach": REACH,
    "confidence": CONFIDENCE,
    "effort": EFFORT,
    "strategic fit": STRATEGIC_FIT,
    "metric value": METRIC_VALUE,
}
"""Every bound by name, for the tests that probe each one from both sides."""
