"""What a period's release ships, decided from the log alone.

``assemble`` is a pure function of the recorded events up to a cut-off position: it folds
every idea and experiment as they stood at the period's end and returns the bundle:

* **items**: every idea that is VALIDATED, passes the ethics gate (an approval newer than its
  last material revision, when it uses AI or personal data) and is in no release already in the
  log, each with its validating experiment's metrics (baseline → observed, change %, target met);
* **stopped**: the ideas rejected during the period, with their reasons (an experiment that
  said "stop" rejects its idea, and says so);
* **figures**: the period's pipeline health (see ``Figures``).

Only events that happened before the period closed count (``occurred_at < end``), so a period
assembled late, after more work went into the log, ships what it would have shipped on time,
and assembling it again from the log at the same cut-off gives the same bundle.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from itertools import pairwise
from typing import get_args

import msgspec

from innovation.domain import experiments as experiment_rules
from innovation.domain import ideas as idea_rules
from innovation.domain.recorded import Recorded
from innovation.domain.releases import (
    Assembly,
    Blocked,
    Bundle,
    Figures,
    ReleaseItem,
    ReleasePublished,
    StoppedIdea,
)
from innovation.domain.values import Stage, ValidationRoute

FUNNEL = (Stage.SCOUTED, Stage.SCREENING, Stage.EXPERIMENTING, Stage.VALIDATED, Stage.RELEASED)
"""The stages an idea passes through on its way to a release, in order."""

SECONDS_PER_DAY = 86_400
EXPERIMENT_EVENTS = get_args(experiment_rules.ExperimentEvent)


class _Tracked(msgspec.Struct, kw_only=True):
    """What assembly keeps of one idea while it replays the log."""

    state: idea_rules.Idea
    scouted_at: datetime
    validated_at: datetime | None = None
    validated_by: str | None = None
    validation_reason: str | None = None


def assemble(
    period: str,
    starts_at: datetime,
    ends_at: datetime,
    cutoff: int,
    history: Iterable[Recorded[object]],
) -> Assembly:
    """The release of ``period`` (``[starts_at, ends_at)``) from the events up to ``cutoff``."""
    ideas: dict[str, _Tracked] = {}
    experiments: dict[str, experiment_rules.Experiment] = {}
    released: set[str] = set()
    stopped: list[StoppedIdea] = []
    reached: dict[Stage, set[str]] = {stage: set() for stage in FUNNEL}
    scouted: list[idea_rules.IdeaSubmitted] = []
    started = concluded = 0

    for recorded in history:
        if recorded.position > cutoff or recorded.occurred_at >= ends_at:
            continue
        event = recorded.event
        during = recorded.occurred_at >= starts_at
        match event:
            case idea_rules.IdeaSubmitted():
                ideas[event.idea_id] = _Tracked(
                    state=idea_rules.evolve(idea_rules.initial_state(), event),
                    scouted_at=recorded.occurred_at,
                )
                if during:
                    scouted.append(event)
                    reached[Stage.SCOUTED].add(event.idea_id)
                continue
            case experiment_rules.ExperimentStarted() if during:
                started += 1
            case experiment_rules.ExperimentConcluded() if during:
                concluded += 1
            case ReleasePublished():
                released.update(item.idea_id for item in event.bundle.items)
                continue
        experiment_id = getattr(event, "experiment_id", None)
        if isinstance(event, EXPERIMENT_EVENTS):
            previous = experiments.get(event.experiment_id, experiment_rules.initial_state())
            experiments[event.experiment_id] = experiment_rules.evolve(previous, event)
            continue
        tracked = ideas.get(getattr(event, "idea_id", ""))
        if tracked is None:
            continue
        before = tracked.state.stage
        tracked.state = idea_rules.evolve(tracked.state, event)
        match event:
            case idea_rules.IdeaValidated():
                tracked.validated_at = recorded.occurred_at
                tracked.validated_by = experiment_id
                tracked.validation_reason = event.reason
            case idea_rules.IdeaRejected() if during:
                stopped.append(
                    StoppedIdea(
                        idea_id=event.idea_id,
                        title=tracked.state.title,
                        reason=event.reason,
                        stopped_at=recorded.occurred_at,
                        experiment_id=event.experiment_id,
                    )
                )
        after = tracked.state.stage
        if during and after is not before and after in reached:
            reached[after].add(tracked.state.id)

    items = tuple(
        _item(tracked, experiments)
        for idea_id, tracked in sorted(ideas.items(), key=lambda pair: _shipping_order(pair[1]))
        if idea_id not in released and _ships(tracked.state)
    )
    reached[Stage.RELEASED] = {item.idea_id for item in items}
    bundle = Bundle(
        period=period,
        starts_at=starts_at,
        ends_at=ends_at,
        cutoff=cutoff,
        items=items,
        stopped=tuple(sorted(stopped, key=lambda s: (s.stopped_at, s.idea_id))),
        figures=_figures(scouted, started, concluded, reached, items, ends_at),
    )
    blocked = tuple(
        blocker
        for idea_id, tracked in sorted(ideas.items(), key=lambda pair: pair[1].scouted_at)
        if idea_id not in released
        for blocker in _blocker(tracked.state)
    )
    return Assembly(bundle=bundle, blocked=blocked)


def _ships(idea: idea_rules.Idea) -> bool:
    return idea.stage is Stage.VALIDATED and idea_rules.passes_ethics_gate(idea)


def _shipping_order(tracked: _Tracked) -> tuple[datetime, str]:
    return (tracked.validated_at or tracked.scouted_at, tracked.state.id)


def _blocker(idea: idea_rules.Idea) -> list[Blocked]:
    if idea.stage in {Stage.SCREENING, Stage.EXPERIMENTING}:
        reason = "NOT_VALIDATED"
    elif idea.stage is Stage.VALIDATED and not idea_rules.passes_ethics_gate(idea):
        reason = str(idea_rules.ethics_status(idea))
    else:
        return []
    return [Blocked(idea_id=idea.id, title=idea.title, stage=idea.stage, reason=reason)]


def _item(tracked: _Tracked, experiments: dict[str, experiment_rules.Experiment]) -> ReleaseItem:
    idea = tracked.state
    assert idea.provenance is not None
    assert tracked.validated_at is not None
    experiment = experiments.get(tracked.validated_by or "")
    return ReleaseItem(
        idea_id=idea.id,
        title=idea.title,
        summary=idea.summary,
        source_kind=idea.provenance.source_kind,
        organisation=idea.provenance.organisation,
        country=idea.provenance.country,
        external=idea.provenance.external,
        themes=idea.themes,
        scouted_at=tracked.scouted_at,
        validated_at=tracked.validated_at,
        validated_via=idea.validated_via or ValidationRoute.OVERRIDE,
        validation_reason=tracked.validation_reason,
        experiment_id=None if experiment is None else experiment.id,
        pilot_site=None if experiment is None else experiment.pilot_site,
        metrics=() if experiment is None else experiment_rules.results(experiment),
    )


def _days(later: datetime, earlier: datetime) -> float:
    return (later - earlier).total_seconds() / SECONDS_PER_DAY


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def _figures(
    scouted: list[idea_rules.IdeaSubmitted],
    started: int,
    concluded: int,
    reached: dict[Stage, set[str]],
    items: tuple[ReleaseItem, ...],
    ends_at: datetime,
) -> Figures:
    counts = {str(stage): len(reached[stage]) for stage in FUNNEL}
    conversion: dict[str, float | None] = {}
    for earlier, later in pairwise(FUNNEL):
        base = counts[str(earlier)]
        conversion[f"{earlier}->{later}"] = counts[str(later)] / base if base else None
    return Figures(
        scouted=len(scouted),
        external=sum(1 for event in scouted if event.provenance.external),
        by_source_kind=_sorted_counts(str(e.provenance.source_kind) for e in scouted),
        by_theme=_sorted_counts(theme for e in scouted for theme in e.themes),
        by_country=_sorted_counts(e.provenance.country for e in scouted),
        experiments_started=started,
        experiments_concluded=concluded,
        reached=counts,
        conversion=conversion,
        median_days_to_validation=_median(
            [_days(item.validated_at, item.scouted_at) for item in items]
        ),
        median_days_to_release=_median([_days(ends_at, item.scouted_at) for item in items]),
    )


def _sorted_counts(values: Iterable[str]) -> dict[str, int]:
    """Counts, largest first, ties by name: the order a digest lists them in."""
    counted = Counter(values)
    return dict(sorted(counted.items(), key=lambda pair: (-pair[1], pair[0])))
