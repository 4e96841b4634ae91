"""The Release aggregate, one stream per period (``release-2026-H1``): published once, for good.

A release is decided by ``assembly.assemble`` (a pure function of the log) and published by
``PublishRelease``. Exactly one release per period is the log's doing: the first event of the
stream is appended with ``NO_STREAM``, so two processes publishing the same period at once
leave one release, and publishing a period again changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TypeAlias

import msgspec
from msgspec.structs import replace

from innovation.domain.decider import Decider
from innovation.domain.decider import fold as fold_events
from innovation.domain.errors import DomainError, ErrorCode
from innovation.domain.messages import Command, Event
from innovation.domain.metrics import MetricResult
from innovation.domain.values import SourceKind, Stage, ValidationRoute

STREAM_PREFIX = "release-"


# The bundle


class ReleaseItem(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """One shipped idea, as it stood when the period closed."""

    idea_id: str
    title: str
    summary: str
    source_kind: SourceKind
    organisation: str
    country: str
    external: bool
    themes: tuple[str, ...]
    scouted_at: datetime
    validated_at: datetime
    validated_via: ValidationRoute
    validation_reason: str | None = None
    experiment_id: str | None = None
    pilot_site: str | None = None
    metrics: tuple[MetricResult, ...] = ()


class StoppedIdea(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """An idea that left the pipeline during the period, and why."""

    idea_id: str
    title: str
    reason: str
    stopped_at: datetime
    experiment_id: str | None = None


class Figures(msgspec.Struct, frozen=True, kw_only=True):
    """The period's pipeline health.

    ``reached`` counts the ideas that entered each funnel stage during the period (the
    shipped items count as reaching RELEASED). ``conversion`` is, for each step, the share of
    the decisions taken on ideas in its first stage during the period that moved them on: of
    the ideas that left SCOUTED, SCREENING or EXPERIMENTING, those that went further along the
    funnel rather than out (rejected, merged) or back ("iterate"); of the validated ideas not
    released yet, those this release ships rather than the ethics gate holding them back. It
    is 0 to 1, None when no idea left that stage. ``conversion_rule`` says which rule made it:
    2 is this one; 1, that of the releases published before it, divided the two stages' counts
    of entries (it passes 1 when ideas screened in an earlier period start their experiments in
    this one). A bundle keeps the rule it was published with, so recomputing a release from the
    log gives it again exactly. Lead times are medians, in days, over the shipped items: from
    scouting to validation, and from scouting to the period's end.
    """

    scouted: int
    external: int
    by_source_kind: dict[str, int]
    by_theme: dict[str, int]
    by_country: dict[str, int]
    experiments_started: int
    experiments_concluded: int
    reached: dict[str, int]
    conversion: dict[str, float | None]
    median_days_to_validation: float | None
    median_days_to_release: float | None
    conversion_rule: int = 1
    """Absent from the bundles published before rule 2, which used rule 1."""

    @property
    def external_share(self) -> float | None:
        return self.external / self.scouted if self.scouted else None


class Bundle(msgspec.Struct, frozen=True, kw_only=True):
    """A period's release: what shipped, what was stopped, and the figures, frozen at ``cutoff``."""

    period: str
    starts_at: datetime
    ends_at: datetime
    cutoff: int
    items: tuple[ReleaseItem, ...]
    stopped: tuple[StoppedIdea, ...]
    figures: Figures


NOT_VALIDATED = "NOT_VALIDATED"
"""Why an idea still screening or experimenting would not ship (``Blocked.reason``)."""


class Blocked(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """An idea still in the pipeline that would not ship, and what stands in its way."""

    idea_id: str
    title: str
    stage: Stage
    reason: str
    """``NOT_VALIDATED``, or the ethics status that blocks it (REQUIRED, REQUESTED, STALE, …)."""


class Assembly(msgspec.Struct, frozen=True, kw_only=True):
    """A bundle and, beside it, the ideas that would not ship yet (for previews)."""

    bundle: Bundle
    blocked: tuple[Blocked, ...]


# Commands


class PublishRelease(Command, frozen=True, kw_only=True):
    """Publish a period's bundle; ``at`` is when (after the period closed)."""

    bundle: Bundle
    at: datetime


ReleaseCommand: TypeAlias = PublishRelease


# Events


class ReleasePublished(Event, frozen=True, kw_only=True, tag="release.published"):
    bundle: Bundle


ReleaseEvent: TypeAlias = ReleasePublished


# Errors


class PeriodNotOverError(DomainError):
    """A period is released only once it has closed."""

    code = ErrorCode.VALIDATION

    def __init__(self, period: str, ends_at: datetime) -> None:
        super().__init__(
            f"period {period} is not over yet: it closes at {ends_at.isoformat()}", "period"
        )


class PeriodOverlapsReleaseError(DomainError):
    """Time is released once: a period that published releases of another cadence cover whole
    (the configured cadence having changed since) has nothing left to release."""

    code = ErrorCode.CONFLICT

    def __init__(self, period: str, release: str) -> None:
        super().__init__(
            f"period {period} was released already, within release {release}: its ideas "
            "ship in the first period after it",
            "period",
        )
        self.period = period
        self.release = release


class ReleaseAlreadyPublishedError(DomainError):
    """A period has one release; another bundle for it is refused."""

    code = ErrorCode.CONFLICT

    def __init__(self, period: str) -> None:
        super().__init__(f"period {period} was already released with other contents", "period")


# State


class Release(msgspec.Struct, frozen=True, kw_only=True):
    exists: bool = False
    bundle: Bundle | None = None
    version: int = 0


def initial_state() -> Release:
    return Release()


def decide(command: ReleaseCommand, state: Release) -> list[ReleaseEvent]:
    """Publish once; the same period again is already done (its first bundle stands)."""
    bundle = command.bundle
    if state.exists:
        assert state.bundle is not None
        if state.bundle.period != bundle.period:
            raise ReleaseAlreadyPublishedError(state.bundle.period)
        return []
    if command.at < bundle.ends_at:
        raise PeriodNotOverError(bundle.period, bundle.ends_at)
    return [ReleasePublished(bundle=bundle)]


def evolve(state: Release, event: object) -> Release:
    match event:
        case ReleasePublished():
            return replace(state, exists=True, bundle=event.bundle, version=state.version + 1)
        case _:
            return state


def fold(events: Iterable[object], state: Release | None = None) -> Release:
    return fold_events(evolve, events, initial_state() if state is None else state)


decider: Decider[ReleaseCommand, ReleaseEvent, Release] = Decider(initial_state, decide, evolve)
