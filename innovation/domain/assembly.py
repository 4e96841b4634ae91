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
from collections.abc import Callable, Iterable
from datetime import datetime
from itertools import pairwise
from typing import Any, get_args

import msgspec

from innovation.domain import experiments as experiment_rules
from innovation.domain import ideas as idea_rules
from innovation.domain.deliveries import DeliveryEvent
from innovation.domain.messages import Event
from innovation.domain.periods import Period
from innovation.domain.recorded import Recorded
from innovation.domain.releases import (
    NOT_VALIDATED,
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

CONVERSION_RULE = 2
"""The rule new bundles compute their conversion by (``Figures.conversion_rule``)."""

SECONDS_PER_DAY = 86_400
EXPERIMENT_EVENTS = get_args(experiment_rules.ExperimentEvent)
_EXPERIMENT_KINDS = frozenset(EXPERIMENT_EVENTS)

MEASURED: tuple[type[Event], ...] = (
    experiment_rules.MeasurementRecorded,
    experiment_rules.MeasurementCorrected,
)
"""Events that matter only to the readings a bundle shows: read for the experiments that
validated the shipping ideas (``measured_experiments``), not in the pass over the log."""
FOLDED: tuple[type[Event], ...] = (
    *get_args(idea_rules.IdeaEvent),
    *(kind for kind in EXPERIMENT_EVENTS if kind not in MEASURED),
    ReleasePublished,
)
"""Events ``take`` folds in the pass over the log."""
IGNORED: tuple[type[Event], ...] = get_args(DeliveryEvent)
"""Events no bundle depends on (``take`` passes them by)."""


class _Tracked(msgspec.Struct, kw_only=True, gc=False):
    """What assembly keeps of one idea while it replays the log (out of the cyclic garbage
    collector, as the idea's state is: it refers to nothing that refers back to it)."""

    state: idea_rules.Idea
    scouted_at: datetime
    validated_at: datetime | None = None
    validated_by: str | None = None
    validation_reason: str | None = None


class Assembler:
    """Assembly one recorded event at a time, so replay can stream the log through it.

    Memory grows with the number of ideas and experiments (and their readings), not with the
    length of the log.
    """

    def __init__(self, period: Period, cutoff: int, conversion_rule: int = CONVERSION_RULE) -> None:
        self.period = period
        self.cutoff = cutoff
        self.conversion_rule = conversion_rule
        """Rule 1 again, for a release published by it: its bundle comes out as published."""
        self._ideas: dict[str, _Tracked] = {}
        self._experiments: dict[str, experiment_rules.Experiment] = {}
        self._released: set[str] = set()
        self._stopped: list[StoppedIdea] = []
        self._reached: dict[Stage, set[str]] = {stage: set() for stage in FUNNEL}
        self._left: Counter[Stage] = Counter()
        self._forward: Counter[Stage] = Counter()
        self._scouted: list[idea_rules.IdeaSubmitted] = []
        self._started = 0
        self._concluded = 0
        self._refolded: set[str] = set()
        self._held: dict[str, tuple[idea_rules.Idea, tuple[tuple[datetime, Blocked], ...]]] = {}
        """What holds each idea back, as of the state it was worked out for."""

    def advance(self, cutoff: int) -> None:
        """Move the cut-off on to a later position: ``take`` then folds the events after the
        old one, and ``result`` is the release as of ``cutoff``. A preview kept between
        questions folds only what the log gained since (``releases/service.py``)."""
        if cutoff < self.cutoff:
            raise ValueError(f"cut-off {cutoff} is before {self.cutoff}: assemble again")
        self.cutoff = cutoff

    def add(self, recorded: Recorded[Any]) -> None:
        """Take one event into account (events past the cut-off or the period's end are not)."""
        self.take(recorded.position, recorded.occurred_at, recorded.event)

    def take(self, position: int, occurred_at: datetime, event: Any) -> None:
        """``add`` for a reader that decodes only what assembly looks at: the event's position,
        when it happened and the event itself."""
        if position > self.cutoff:
            return
        kind = type(event)  # events are exact classes: one lookup instead of a match per event
        if kind is ReleasePublished:
            # An earlier period's release counts however late it was published: what it
            # shipped is shipped.
            self._released.update(item.idea_id for item in event.bundle.items)
            return
        if occurred_at >= self.period.end:
            return
        during = occurred_at >= self.period.start
        if kind in _EXPERIMENT_KINDS:
            if during and kind is experiment_rules.ExperimentStarted:
                self._started += 1
            elif during and kind is experiment_rules.ExperimentConcluded:
                self._concluded += 1
            experiments = self._experiments
            previous = experiments.get(event.experiment_id) or experiment_rules.initial_state()
            experiments[event.experiment_id] = experiment_rules.evolve(previous, event)
            return
        if kind is idea_rules.IdeaSubmitted:
            self._ideas[event.idea_id] = _Tracked(
                state=idea_rules.evolve(idea_rules.initial_state(), event),
                scouted_at=occurred_at,
            )
            if during:
                self._scouted.append(event)
                self._reached[Stage.SCOUTED].add(event.idea_id)
            return
        tracked = self._ideas.get(getattr(event, "idea_id", ""))
        if tracked is not None:
            self._evolve_idea(tracked, event, occurred_at, during)

    def measured_experiments(self) -> list[str]:
        """The experiments whose readings the bundle shows: those that validated the ideas
        that ship. A reader that skipped ``MEASURED`` events refolds these (``refold``)."""
        return sorted(
            {
                tracked.validated_by
                for idea_id, tracked in self._ideas.items()
                if tracked.validated_by is not None
                and idea_id not in self._released
                and _ships(tracked.state)
            }
        )

    def refold(self, experiment_id: str, history: Iterable[tuple[int, datetime, Any]]) -> None:
        """Fold one experiment again from every event of its stream, ``(position,
        occurred_at, event)`` in order, with the cut-off and period end ``take`` applies;
        started and concluded experiments were counted by ``take`` already. From then on it
        is ``refolded``: its state holds its readings, and stays whole as long as the reader
        goes on to ``take`` every later event of its stream, ``MEASURED`` ones included."""
        state: experiment_rules.Experiment | None = None
        for position, occurred_at, event in history:
            if position <= self.cutoff and occurred_at < self.period.end:
                state = experiment_rules.evolve(state or experiment_rules.initial_state(), event)
        if state is None:  # as ``take`` leaves it: never seen
            self._experiments.pop(experiment_id, None)
        else:
            self._experiments[experiment_id] = state
        self._refolded.add(experiment_id)

    def refolded(self, experiment_id: str) -> bool:
        """Whether ``refold`` has folded this experiment from its whole stream."""
        return experiment_id in self._refolded

    def _evolve_idea(
        self, tracked: _Tracked, event: Any, occurred_at: datetime, during: bool
    ) -> None:
        before = tracked.state.stage
        tracked.state = idea_rules.evolve(tracked.state, event)
        match event:
            case idea_rules.IdeaValidated():
                tracked.validated_at = occurred_at
                tracked.validated_by = event.experiment_id
                tracked.validation_reason = event.reason
            case idea_rules.IdeaRejected() if during:
                self._stopped.append(
                    StoppedIdea(
                        idea_id=event.idea_id,
                        title=tracked.state.title,
                        reason=event.reason,
                        stopped_at=occurred_at,
                        experiment_id=event.experiment_id,
                    )
                )
        after = tracked.state.stage
        if not during or after is before:
            return
        if after in self._reached:
            self._reached[after].add(tracked.state.id)
        self._left[before] += 1
        if _forward(before, after):
            self._forward[before] += 1

    def _held_back(self, tracked: _Tracked) -> tuple[tuple[datetime, Blocked], ...]:
        """What holds the idea back, with when it was scouted; worked out again only when its
        state has changed since: a preview kept between questions gives its result again after
        each handful of events, and building 57,159 of them each time took a third of a second,
        most of it the collector walking the kept states."""
        state = tracked.state
        kept = self._held.get(state.id)
        if kept is None or kept[0] is not state:
            kept = (state, tuple((tracked.scouted_at, blocker) for blocker in _blocker(state)))
            self._held[state.id] = kept
        return kept[1]

    def _experiment(self, experiment_id: str | None) -> experiment_rules.Experiment | None:
        return self._experiments.get(experiment_id or "")

    def result(self) -> Assembly:
        """The bundle, and the ideas that would not ship with it and why."""
        period = self.period
        # Chosen first, then sorted (stably, so the order is that of sorting them all): a
        # preview at 100,000 ideas sorted them all twice in half a second.
        unreleased = [
            tracked for idea_id, tracked in self._ideas.items() if idea_id not in self._released
        ]
        shipping = sorted((t for t in unreleased if _ships(t.state)), key=_shipping_order)
        items = tuple(_item(tracked, self._experiment) for tracked in shipping)
        reached = {**self._reached, Stage.RELEASED: {item.idea_id for item in items}}
        held_back = [pair for tracked in unreleased for pair in self._held_back(tracked)]
        blocked = tuple(blocker for _, blocker in sorted(held_back, key=lambda pair: pair[0]))
        # the last step's decision is the release itself: of the validated ideas not released
        # yet, those it ships move on, those the ethics gate holds back do not
        held = sum(1 for blocker in blocked if blocker.stage is Stage.VALIDATED)
        left = {**self._left, Stage.VALIDATED: len(items) + held}
        forward = {**self._forward, Stage.VALIDATED: len(items)}
        if self.conversion_rule == 1:
            conversion = _entry_ratios(reached)
        else:
            conversion = _conversion(left, forward)
        bundle = Bundle(
            period=period.label,
            starts_at=period.start,
            ends_at=period.end,
            cutoff=self.cutoff,
            items=items,
            stopped=tuple(sorted(self._stopped, key=lambda s: (s.stopped_at, s.idea_id))),
            figures=_figures(
                self._scouted,
                self._started,
                self._concluded,
                reached,
                conversion,
                items,
                period.end,
                self.conversion_rule,
            ),
        )
        return Assembly(bundle=bundle, blocked=blocked)


def assemble(
    period: Period,
    cutoff: int,
    history: Iterable[Recorded[Any]],
    conversion_rule: int = CONVERSION_RULE,
) -> Assembly:
    """The release of ``period`` from the recorded events up to position ``cutoff``."""
    assembler = Assembler(period, cutoff, conversion_rule)
    for recorded in history:
        assembler.add(recorded)
    return assembler.result()


def _ships(idea: idea_rules.Idea) -> bool:
    return idea.stage is Stage.VALIDATED and idea_rules.passes_ethics_gate(idea)


def _shipping_order(tracked: _Tracked) -> tuple[datetime, str]:
    return (tracked.validated_at or tracked.scouted_at, tracked.state.id)


def _blocker(idea: idea_rules.Idea) -> list[Blocked]:
    if idea.stage in {Stage.SCREENING, Stage.EXPERIMENTING}:
        reason = NOT_VALIDATED
    elif idea.stage is Stage.VALIDATED and not idea_rules.passes_ethics_gate(idea):
        reason = str(idea_rules.ethics_status(idea))
    else:
        return []
    return [Blocked(idea_id=idea.id, title=idea.title, stage=idea.stage, reason=reason)]


def _item(
    tracked: _Tracked, experiment_of: Callable[[str | None], experiment_rules.Experiment | None]
) -> ReleaseItem:
    idea = tracked.state
    assert idea.provenance is not None
    assert tracked.validated_at is not None
    experiment = experiment_of(tracked.validated_by)
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


def _forward(before: Stage, after: Stage) -> bool:
    """Whether a change of stage moves an idea on along the funnel (a lead's override skips
    the experiment, and still moves it on); a rejection, a merge or an "iterate" does not."""
    return before in FUNNEL and after in FUNNEL and FUNNEL.index(after) > FUNNEL.index(before)


def _conversion(left: dict[Stage, int], forward: dict[Stage, int]) -> dict[str, float | None]:
    """For each step of the funnel, the share of the ideas that left its first stage during
    the period that moved on (None when none left it)."""
    return {
        f"{earlier}->{later}": forward.get(earlier, 0) / left[earlier]
        if left.get(earlier)
        else None
        for earlier, later in pairwise(FUNNEL)
    }


def _entry_ratios(reached: dict[Stage, set[str]]) -> dict[str, float | None]:
    """Rule 1: each stage's count of entries during the period over the one before it's."""
    return {
        f"{earlier}->{later}": len(reached[later]) / len(reached[earlier])
        if reached[earlier]
        else None
        for earlier, later in pairwise(FUNNEL)
    }


def _figures(
    scouted: list[idea_rules.IdeaSubmitted],
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
        conversion_rule=conversion_rule,
    )


def _sorted_counts(values: Iterable[str]) -> dict[str, int]:
    """Counts, largest first, ties by name: the order a digest lists them in."""
    counted = Counter(values)
    return dict(sorted(counted.items(), key=lambda pair: (-pair[1], pair[0])))
