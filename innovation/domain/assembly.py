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

from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from itertools import chain
from typing import Any, get_args

import msgspec

from innovation.domain import experiments as experiment_rules
from innovation.domain import funnel
from innovation.domain import ideas as idea_rules
from innovation.domain.deliveries import DeliveryEvent
from innovation.domain.funnel import CONVERSION_RULE, FUNNEL
from innovation.domain.messages import Event
from innovation.domain.periods import Period
from innovation.domain.recorded import Recorded
from innovation.domain.releases import (
    NOT_VALIDATED,
    Assembly,
    Blocked,
    Bundle,
    ReleaseItem,
    ReleasePublished,
    StoppedIdea,
)
from innovation.domain.values import Stage, ValidationRoute

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
REWORKED_BEYOND = 4_096
"""How many ideas the events since the last ``result`` may reach for it to work out theirs
alone, moving each into its place among those held back; beyond that it works every idea out
again, as the first ``result`` does (100,000 in about a fifth of a second)."""


class _Tracked(msgspec.Struct, kw_only=True, gc=False):
    """What assembly keeps of one idea while it replays the log (out of the cyclic garbage
    collector, as the idea's state is: it refers to nothing that refers back to it)."""

    state: idea_rules.Idea
    scouted_at: datetime
    order: int
    """How many ideas were submitted before it: what holds ideas back is listed by
    ``(scouted_at, order)``, so ideas scouted at the same instant keep the log's order."""
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
        self._stopped_in_order: tuple[StoppedIdea, ...] | None = None
        """``_stopped`` in the order a bundle lists them, once asked for."""
        self._reached: dict[Stage, set[str]] = {stage: set() for stage in FUNNEL}
        self._left: Counter[Stage] = Counter()
        self._forward: Counter[Stage] = Counter()
        self._scouted = funnel.Scouted()
        self._started = 0
        self._concluded = 0
        self._refolded: set[str] = set()
        self._changed: set[str] | None = None
        """The ideas an event reached since the last ``result`` (None before the first: all)."""
        self._items: dict[
            str, tuple[idea_rules.Idea, experiment_rules.Experiment | None, ReleaseItem]
        ] = {}
        """Each shipping idea's item, as of the idea's state and its experiment's."""

    # What ``result`` keeps from one call to the next, so that after a handful of events it
    # works out again only the ideas they reached (a kept preview answers after each write);
    # set by the first.
    _shipping: dict[str, _Tracked]
    """The ideas not released yet that ship."""
    _holding: dict[str, tuple[tuple[datetime, int], tuple[Blocked, ...]]]
    """The ideas held back, each with its place in the order (see ``_Tracked.order``)."""
    _places: list[tuple[datetime, int]]
    """``_holding``'s places, in order, and beside them what holds each of those back."""
    _blockers: list[tuple[Blocked, ...]]
    _blocked: tuple[Blocked, ...] | None
    """``_blockers`` one after the other, once asked for."""
    _held_validated: int
    """How many of the ideas held back are VALIDATED (the ethics gate holds them)."""

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
            if self._changed is not None:
                self._changed.update(item.idea_id for item in event.bundle.items)
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
            ideas = self._ideas
            known = ideas.get(event.idea_id)
            ideas[event.idea_id] = _Tracked(
                state=idea_rules.evolve(idea_rules.initial_state(), event),
                scouted_at=occurred_at,
                order=len(ideas) if known is None else known.order,
            )
            if self._changed is not None:
                self._changed.add(event.idea_id)
            if during:
                self._scouted.count(event)
                self._reached[Stage.SCOUTED].add(event.idea_id)
            return
        tracked = self._ideas.get(getattr(event, "idea_id", ""))
        if tracked is not None:
            if self._changed is not None:
                self._changed.add(tracked.state.id)
            self._evolve_idea(tracked, event, occurred_at, during)

    def measured_experiments(self) -> list[str]:
        """The experiments whose readings the bundle shows: those that validated the ideas
        that ship. A reader that skipped ``MEASURED`` events refolds these (``refold``)."""
        self._settle()
        return sorted(
            {
                tracked.validated_by
                for tracked in self._shipping.values()
                if tracked.validated_by is not None
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
                self._stopped_in_order = None
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
        if funnel.moves_on(before, after):
            self._forward[before] += 1

    def _experiment(self, experiment_id: str | None) -> experiment_rules.Experiment | None:
        return self._experiments.get(experiment_id or "")

    def _settle(self) -> None:
        """Bring what ``result`` keeps up to the events taken since it last ran: whether each
        idea they reached ships, and what holds it back, in its place in the order."""
        changed, self._changed = self._changed, set()
        if changed is None or len(changed) > REWORKED_BEYOND:
            self._settle_every_idea()
            return
        holding, places, blockers_in_order = self._holding, self._places, self._blockers
        for idea_id in changed:
            tracked = None if idea_id in self._released else self._ideas.get(idea_id)
            if tracked is not None and _ships(tracked.state):
                self._shipping[idea_id] = tracked
            else:
                self._shipping.pop(idea_id, None)
            now = None if tracked is None else _held_back(tracked)
            before = holding.get(idea_id)
            if now == before:
                continue  # held back as it was (the very reasons kept), or not at all
            self._blocked = None
            if before is not None:  # out of its place
                del holding[idea_id]
                self._held_validated -= _validated(before[1])
                at = bisect_left(places, before[0])
                assert places[at] == before[0]
                del places[at], blockers_in_order[at]
            if now is not None:  # into its place
                holding[idea_id] = now
                self._held_validated += _validated(now[1])
                at = bisect_left(places, now[0])
                places.insert(at, now[0])
                blockers_in_order.insert(at, now[1])

    def _settle_every_idea(self) -> None:
        """``_settle`` for every idea, as the first ``result`` needs it (and one after more
        events than moving each idea into its place would be worth)."""
        released, shipping, holding = self._released, {}, {}
        for idea_id, tracked in self._ideas.items():
            if idea_id in released:
                continue
            if held := _held_back(tracked):
                holding[idea_id] = held
            elif _ships(tracked.state):
                shipping[idea_id] = tracked
        self._shipping, self._holding = shipping, holding
        self._items = {
            idea_id: self._items[idea_id] for idea_id in shipping if idea_id in self._items
        }
        in_order = sorted(holding.values())  # by place alone: no two ideas share one
        self._places = [place for place, _ in in_order]
        self._blockers = [blockers for _, blockers in in_order]
        self._held_validated = _validated(chain.from_iterable(self._blockers))
        self._blocked = None

    def _item(self, tracked: _Tracked) -> ReleaseItem:
        """The shipping idea's item, made again only when it or its experiment changed."""
        state, experiment = tracked.state, self._experiment(tracked.validated_by)
        kept = self._items.get(state.id)
        if kept is None or kept[0] is not state or kept[1] is not experiment:
            kept = (state, experiment, _item(tracked, experiment))
            self._items[state.id] = kept
        return kept[2]

    def result(self) -> Assembly:
        """The bundle, and the ideas that would not ship with it and why.

        Called again after more events, it works out again only what they changed (which
        ideas ship, what holds the ideas they reached back): on the bench's 100,000 ideas,
        some 90 ms a time became a few."""
        period = self.period
        self._settle()
        # Chosen as events came, then sorted: ``_shipping_order`` holds the idea's id, so the
        # order is that of sorting every idea.
        shipping = sorted(self._shipping.values(), key=_shipping_order)
        items = tuple(self._item(tracked) for tracked in shipping)
        reached = {**self._reached, Stage.RELEASED: {item.idea_id for item in items}}
        if self._blocked is None:
            self._blocked = tuple(chain.from_iterable(self._blockers))
        if self._stopped_in_order is None:
            self._stopped_in_order = tuple(
                sorted(self._stopped, key=lambda s: (s.stopped_at, s.idea_id))
            )
        # the last step's decision is the release itself: of the validated ideas not released
        # yet, those it ships move on, those the ethics gate holds back do not
        left = {**self._left, Stage.VALIDATED: len(items) + self._held_validated}
        forward = {**self._forward, Stage.VALIDATED: len(items)}
        if self.conversion_rule == 1:
            conversion = funnel.entry_ratios(reached)
        else:
            conversion = funnel.conversion(left, forward)
        bundle = Bundle(
            period=period.label,
            starts_at=period.start,
            ends_at=period.end,
            cutoff=self.cutoff,
            items=items,
            stopped=self._stopped_in_order,
            figures=funnel.figures(
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
        return Assembly(bundle=bundle, blocked=self._blocked)


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


def _held_back(tracked: _Tracked) -> tuple[tuple[datetime, int], tuple[Blocked, ...]] | None:
    """What holds the idea back, with its place among the ideas held back (the earliest
    scouted first); None when nothing does."""
    blockers = _blockers(tracked.state)
    return ((tracked.scouted_at, tracked.order), blockers) if blockers else None


def _validated(blockers: Iterable[Blocked]) -> int:
    return sum(1 for blocker in blockers if blocker.stage is Stage.VALIDATED)


def _blockers(idea: idea_rules.Idea) -> tuple[Blocked, ...]:
    """What holds the idea back from the release, if anything."""
    if idea.stage in {Stage.SCREENING, Stage.EXPERIMENTING}:
        reason = NOT_VALIDATED
    elif idea.stage is Stage.VALIDATED and not idea_rules.passes_ethics_gate(idea):
        reason = str(idea_rules.ethics_status(idea))
    else:
        return ()
    return (Blocked(idea_id=idea.id, title=idea.title, stage=idea.stage, reason=reason),)


def _item(tracked: _Tracked, experiment: experiment_rules.Experiment | None) -> ReleaseItem:
    idea = tracked.state
    assert idea.provenance is not None
    assert tracked.validated_at is not None
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
