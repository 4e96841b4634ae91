"""The period's pipeline health, as a bundle's figures show it: how many ideas were scouted and
from where, how many entered each stage of the funnel, how many of those that left a stage moved
on, and how long the shipped ideas took. Assembly (``assembly.py``) counts as it folds the log;
this module says what the counts mean."""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Mapping
from datetime import datetime
from itertools import pairwise

from innovation.domain import ideas as idea_rules
from innovation.domain.releases import Figures, ReleaseItem
from innovation.domain.values import Stage

FUNNEL = (Stage.SCOUTED, Stage.SCREENING, Stage.EXPERIMENTING, Stage.VALIDATED, Stage.RELEASED)
"""The stages an idea passes through on its way to a release, in order."""

CONVERSION_RULE = 2
"""The rule new bundles compute their conversion by (``Figures.conversion_rule``)."""

SECONDS_PER_DAY = 86_400


class Scouted:
    """The ideas scouted during the period, counted as they come, for its figures."""

    def __init__(self) -> None:
        self.ideas = 0
        self.external = 0
        self.by_source_kind: Counter[str] = Counter()
        self.by_theme: Counter[str] = Counter()
        self.by_country: Counter[str] = Counter()

    def count(self, event: idea_rules.IdeaSubmitted) -> None:
        provenance = event.provenance
        self.ideas += 1
        self.external += provenance.external
        self.by_source_kind[str(provenance.source_kind)] += 1
        self.by_theme.update(event.themes)
        self.by_country[provenance.country] += 1


def _days(later: datetime, earlier: datetime) -> float:
    return (later - earlier).total_seconds() / SECONDS_PER_DAY


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def moves_on(before: Stage, after: Stage) -> bool:
    """Whether a change of stage moves an idea on along the funnel (a lead's override skips
    the experiment, and still moves it on); a rejection, a merge or an "iterate" does not."""
    return before in FUNNEL and after in FUNNEL and FUNNEL.index(after) > FUNNEL.index(before)


def conversion(left: dict[Stage, int], forward: dict[Stage, int]) -> dict[str, float | None]:
    """For each step of the funnel, the share of the ideas that left its first stage during
    the period that moved on (None when none left it)."""
    return {
        f"{earlier}->{later}": forward.get(earlier, 0) / left[earlier]
        if left.get(earlier)
        else None
        for earlier, later in pairwise(FUNNEL)
    }


def entry_ratios(reached: dict[Stage, set[str]]) -> dict[str, float | None]:
    """Rule 1: each stage's count of entries during the period over the one before it's."""
    return {
        f"{earlier}->{later}": len(reached[later]) / len(reached[earlier])
        if reached[earlier]
        else None
        for earlier, later in pairwise(FUNNEL)
    }


def figures(
    scouted: Scouted,
    started: int,
    concluded: int,
    reached: dict[Stage, set[str]],
    conversion: dict[str, float | None],
    items: tuple[ReleaseItem, ...],
    ends_at: datetime,
    conversion_rule: int,
) -> Figures:
    counts = {str(stage): len(reached[stage]) for stage in FUNNEL}
    return Figures(
        scouted=scouted.ideas,
        external=scouted.external,
        by_source_kind=_sorted_counts(scouted.by_source_kind),
        by_theme=_sorted_counts(scouted.by_theme),
        by_country=_sorted_counts(scouted.by_country),
        experiments_started=started,
        experiments_concluded=concluded,
        reached=counts,
        conversion=conversion,
        median_days_to_validation=_median(
            [_days(item.validated_at, item.scouted_at) for item in items]
        ),
        median_days_to_release=_median([_days(ends_at, item.scouted_at) for item in items]),
        conversion_rule=conversion_rule,
    )


def _sorted_counts(counted: Mapping[str, int]) -> dict[str, int]:
    """Counts, largest first, ties by name: the order a digest lists them in."""
    return dict(sorted(counted.items(), key=lambda pair: (-pair[1], pair[0])))
