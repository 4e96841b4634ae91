"""The read models' views: the typed structs that callers get in place of rows (``views.py``
reads them), and their field names."""

from __future__ import annotations

from datetime import date, datetime
from functools import cache

import msgspec

from innovation.domain.values import (
    Decision,
    Direction,
    EthicsStatus,
    Outcome,
    Provenance,
    Stage,
    ValidationRoute,
    Verdict,
)


class ScoreView(msgspec.Struct, frozen=True, kw_only=True):
    reach: int
    impact: float
    confidence: float
    effort: float
    strategic_fit: int
    rice: float


class IdeaView(msgspec.Struct, frozen=True, kw_only=True):
    """An idea as the read model (or a replay, with ``as_of_position``) shows it."""

    idea_id: str
    title: str
    summary: str
    stage: Stage
    provenance: Provenance
    themes: tuple[str, ...]
    uses_ai: bool
    uses_personal_data: bool
    scout: str
    submitted_by: str
    submitted_at: datetime
    updated_at: datetime
    version: int
    score: ScoreView | None
    rejection_reason: str | None
    validated_via: ValidationRoute | None
    validation_reason: str | None
    ethics_status: EthicsStatus
    ethics_verdict: Verdict | None
    passes_ethics_gate: bool
    merged_into: str | None
    running_experiment_id: str | None
    as_of_position: int | None = None
    experiment_ids: tuple[str, ...] | None = None
    """As of a past position: the experiments attached by then (None: all of them)."""
    experiment_count: int | None = None
    """How many experiments the read model holds for the idea, when it was read (a replay, or a
    page that did not ask for experiments, leaves it None): a page reads the experiments of the
    ideas that have some (``read_nested``)."""


class ScoreEntry(msgspec.Struct, frozen=True, kw_only=True):
    score: ScoreView
    scored_by: str
    scored_at: datetime


class StageChange(msgspec.Struct, frozen=True, kw_only=True):
    from_stage: Stage | None
    to_stage: Stage
    reason: str | None
    experiment_id: str | None
    actor: str
    at: datetime


class EthicsReview(msgspec.Struct, frozen=True, kw_only=True):
    kind: str
    verdict: Verdict | None
    reviewers: tuple[str, ...]
    note: str | None
    actor: str
    at: datetime


class ExperimentView(msgspec.Struct, frozen=True, kw_only=True):
    experiment_id: str
    idea_id: str
    hypothesis: str
    pilot_site: str
    starts_on: date
    ends_on: date
    status: str
    outcome: Outcome | None
    decision: Decision | None
    note: str | None
    started_by: str
    started_at: datetime
    concluded_at: datetime | None
    version: int


class MetricView(msgspec.Struct, frozen=True, kw_only=True):
    experiment_id: str
    name: str
    unit: str
    baseline: float
    target: float
    direction: Direction
    latest_value: float | None
    latest_measured_at: datetime | None
    change_pct: float | None
    target_met: bool
    measurement_count: int


class MeasurementView(msgspec.Struct, frozen=True, kw_only=True):
    number: int
    value: float
    measured_at: datetime
    recorded_by: str


@cache
def field_names(kind: type[msgspec.Struct]) -> tuple[str, ...]:
    """A struct's field names, looked up once: ``msgspec.structs.fields`` is slow per row."""
    return tuple(field.name for field in msgspec.structs.fields(kind))
