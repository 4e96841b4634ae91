"""Read model of ideas: one row per idea, its themes, its score history and its stage history."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from innovation.domain import ideas as rules
from innovation.domain.ideas import (
    DuplicateAbsorbed,
    EthicsReviewRecorded,
    EthicsReviewRequested,
    ExperimentAttached,
    IdeaAdvanced,
    IdeaMerged,
    IdeaRejected,
    IdeaReleased,
    IdeaReopened,
    IdeaReturnedToScreening,
    IdeaRevised,
    IdeaScored,
    IdeaSubmitted,
    IdeaValidated,
)
from innovation.domain.recorded import Recorded
from innovation.domain.values import Stage
from innovation.projections.batch import Batch, touched
from innovation.store.tables import UTCDateTime, metadata

ideas_view = sa.Table(
    "ideas_view",
    metadata,
    sa.Column("idea_id", sa.String(64), primary_key=True),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("summary", sa.Text, nullable=False),
    sa.Column("stage", sa.String(20), nullable=False),
    sa.Column("source_kind", sa.String(20), nullable=False, index=True),
    sa.Column("organisation", sa.String(200), nullable=False),
    sa.Column("country", sa.String(2), nullable=False, index=True),
    sa.Column("url", sa.String(2000)),
    sa.Column("external", sa.Boolean, nullable=False),
    sa.Column("themes", sa.JSON, nullable=False),
    sa.Column("uses_ai", sa.Boolean, nullable=False),
    sa.Column("uses_personal_data", sa.Boolean, nullable=False),
    sa.Column("scout", sa.String(200), nullable=False),
    sa.Column("submitted_by", sa.String(200), nullable=False),
    sa.Column("submitted_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("stage_changed_at", UTCDateTime, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("last_position", sa.BigInteger, nullable=False),
    sa.Column("reach", sa.Integer),
    sa.Column("impact", sa.Float),
    sa.Column("confidence", sa.Float),
    sa.Column("effort", sa.Float),
    sa.Column("strategic_fit", sa.Integer),
    sa.Column("rice", sa.Float),
    sa.Column("scored_at", UTCDateTime),
    sa.Column("running_experiment_id", sa.String(64)),
    sa.Column("experiment_count", sa.Integer, nullable=False),
    sa.Column("merged_into", sa.String(64)),
    sa.Column("rejection_reason", sa.Text),
    sa.Column("validated_via", sa.String(20)),
    sa.Column("validation_reason", sa.Text),
    sa.Column("release_id", sa.String(64)),
    sa.Column("ethics_status", sa.String(20), nullable=False),
    sa.Column("ethics_requested", sa.Boolean, nullable=False),
    sa.Column("ethics_verdict", sa.String(20)),
    sa.Column("ethics_verdict_version", sa.Integer, nullable=False),
    sa.Column("last_material_version", sa.Integer, nullable=False),
    sa.Column("passes_ethics_gate", sa.Boolean, nullable=False),
)

UNSCORED_KEY = -1  # where an unscored idea sorts among scores: below every score
# The orders of the idea queues, each read from an index of its own: a page of the first 100
# ideas then reads 100 index entries, not every idea and a sort. The index and the query must
# hold the same expression, so the stand-in for "unscored" is written into it, not bound.
UPDATED_ORDER = ideas_view.c.updated_at
SCORE_ORDER = sa.func.coalesce(ideas_view.c.rice, sa.literal_column(f"{float(UNSCORED_KEY)}"))
FIT_ORDER = sa.func.coalesce(ideas_view.c.strategic_fit, sa.literal_column(f"{UNSCORED_KEY}"))
sa.Index("ix_ideas_view_submitted_order", ideas_view.c.submitted_at, ideas_view.c.idea_id)
sa.Index("ix_ideas_view_updated_order", UPDATED_ORDER, ideas_view.c.idea_id)
sa.Index("ix_ideas_view_score_order", SCORE_ORDER, ideas_view.c.idea_id)
sa.Index("ix_ideas_view_fit_order", FIT_ORDER, ideas_view.c.idea_id)

idea_themes_view = sa.Table(
    "idea_themes_view",
    metadata,
    sa.Column("idea_id", sa.String(64), primary_key=True),
    sa.Column("theme", sa.String(100), primary_key=True, index=True),
)

idea_scores_view = sa.Table(
    "idea_scores_view",
    metadata,
    sa.Column("idea_id", sa.String(64), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("position", sa.BigInteger, nullable=False),
    sa.Column("reach", sa.Integer, nullable=False),
    sa.Column("impact", sa.Float, nullable=False),
    sa.Column("confidence", sa.Float, nullable=False),
    sa.Column("effort", sa.Float, nullable=False),
    sa.Column("strategic_fit", sa.Integer, nullable=False),
    sa.Column("rice", sa.Float, nullable=False),
    sa.Column("scored_by", sa.String(200), nullable=False),
    sa.Column("scored_at", UTCDateTime, nullable=False),
)

stage_history_view = sa.Table(
    "stage_history_view",
    metadata,
    sa.Column("idea_id", sa.String(64), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("position", sa.BigInteger, nullable=False),
    sa.Column("from_stage", sa.String(20)),
    sa.Column("to_stage", sa.String(20), nullable=False),
    sa.Column("reason", sa.Text),
    sa.Column("experiment_id", sa.String(64)),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("at", UTCDateTime, nullable=False, index=True),
)

TABLES = (ideas_view, idea_themes_view, idea_scores_view, stage_history_view)

IDEA_EVENTS = (
    IdeaRevised,
    IdeaScored,
    IdeaAdvanced,
    IdeaRejected,
    IdeaReopened,
    IdeaMerged,
    IdeaValidated,
    IdeaReturnedToScreening,
    IdeaReleased,
    ExperimentAttached,
    DuplicateAbsorbed,
    EthicsReviewRequested,
    EthicsReviewRecorded,
)
"""The events that change an idea's row once it exists."""
FOLDED_EVENTS = (IdeaSubmitted, *IDEA_EVENTS)
"""Every event ``fold`` takes; the projector hands it no other."""


def prefetch(batch: Batch, envelopes: Sequence[Recorded]) -> None:
    """Load the rows of the ideas these events change, in a few statements."""
    batch[ideas_view].prefetch("idea_id", touched(envelopes, IDEA_EVENTS, "idea_id"))


def fold(batch: Batch, envelope: Recorded) -> None:
    event = envelope.event
    match event:
        case IdeaSubmitted():
            _submitted(batch, envelope, event)
        case IdeaRevised():
            _revised(batch, envelope, event)
        case IdeaScored():
            _scored(batch, envelope, event)
        case IdeaAdvanced():
            _moved(batch, envelope, event.idea_id, event.from_stage, event.to_stage, event.reason)
        case IdeaRejected():
            _moved(
                batch,
                envelope,
                event.idea_id,
                None,
                Stage.REJECTED,
                event.reason,
                experiment_id=event.experiment_id,
                rejection_reason=event.reason,
                running_experiment_id=None,
            )
        case IdeaReopened():
            back = (Stage.REJECTED, Stage.SCREENING, event.reason)
            _moved(batch, envelope, event.idea_id, *back, rejection_reason=None)
        case IdeaMerged():
            _moved(
                batch,
                envelope,
                event.idea_id,
                None,
                Stage.MERGED,
                f"merged into {event.into_idea_id}",
                merged_into=event.into_idea_id,
            )
        case IdeaValidated():
            _moved(
                batch,
                envelope,
                event.idea_id,
                None,
                Stage.VALIDATED,
                event.reason,
                experiment_id=event.experiment_id,
                validated_via=str(event.via),
                validation_reason=event.reason,
                running_experiment_id=None,
            )
        case IdeaReturnedToScreening():
            _moved(
                batch,
                envelope,
                event.idea_id,
                None,
                Stage.SCREENING,
                event.reason,
                experiment_id=event.experiment_id,
                running_experiment_id=None,
            )
        case IdeaReleased():
            _moved(
                batch,
                envelope,
                event.idea_id,
                None,
                Stage.RELEASED,
                None,
                release_id=event.release_id,
            )
        case ExperimentAttached():
            count = batch[ideas_view].row((event.idea_id,))["experiment_count"]
            _touch(
                batch,
                envelope,
                event.idea_id,
                running_experiment_id=event.experiment_id,
                experiment_count=count + 1,
            )
        case DuplicateAbsorbed():
            _touch(batch, envelope, event.idea_id)
        case EthicsReviewRequested():
            _ethics(batch, envelope, event.idea_id, ethics_requested=True)
        case EthicsReviewRecorded():
            _ethics(
                batch,
                envelope,
                event.idea_id,
                ethics_requested=False,
                ethics_verdict=str(event.verdict),
                ethics_verdict_version=envelope.version,
            )
        case _:
            pass


def _submitted(batch: Batch, envelope: Recorded, event: IdeaSubmitted) -> None:
    facts = rules.Idea(
        exists=True, uses_ai=event.uses_ai, uses_personal_data=event.uses_personal_data
    )
    provenance = event.provenance
    batch[ideas_view].insert(
        {
            "idea_id": event.idea_id,
            "title": event.title,
            "summary": event.summary,
            "stage": str(Stage.SCOUTED),
            "source_kind": str(provenance.source_kind),
            "organisation": provenance.organisation,
            "country": provenance.country,
            "url": provenance.url,
            "external": provenance.external,
            "themes": list(event.themes),
            "uses_ai": event.uses_ai,
            "uses_personal_data": event.uses_personal_data,
            "scout": event.scout,
            "submitted_by": envelope.actor,
            "submitted_at": envelope.at,
            "updated_at": envelope.at,
            "stage_changed_at": envelope.at,
            "version": envelope.version,
            "last_position": envelope.position,
            "experiment_count": 0,
            "ethics_status": str(rules.ethics_status(facts)),
            "passes_ethics_gate": rules.passes_ethics_gate(facts),
            "ethics_requested": False,
            "ethics_verdict_version": 0,
            "last_material_version": envelope.version,
        },
    )
    _add_themes(batch, event.idea_id, event.themes)
    _history(batch, envelope, event.idea_id, None, Stage.SCOUTED, None)


def _revised(batch: Batch, envelope: Recorded, event: IdeaRevised) -> None:
    changes: dict[str, object] = {}
    for name in ("title", "summary", "uses_ai", "uses_personal_data"):
        value = getattr(event, name)
        if value is not None:
            changes[name] = value
    if event.provenance is not None:
        changes.update(
            source_kind=str(event.provenance.source_kind),
            organisation=event.provenance.organisation,
            country=event.provenance.country,
            url=event.provenance.url,
            external=event.provenance.external,
        )
    if event.themes is not None:
        changes["themes"] = list(event.themes)
        batch[idea_themes_view].delete_where("idea_id", event.idea_id)
        _add_themes(batch, event.idea_id, event.themes)
    if event.material:
        changes["last_material_version"] = envelope.version
    _ethics(batch, envelope, event.idea_id, **changes)


def _scored(batch: Batch, envelope: Recorded, event: IdeaScored) -> None:
    score = event.score
    values = {
        "reach": score.reach,
        "impact": score.impact,
        "confidence": score.confidence,
        "effort": score.effort,
        "strategic_fit": score.strategic_fit,
        "rice": event.rice,
    }
    batch[idea_scores_view].insert(
        {
            "idea_id": event.idea_id,
            "version": envelope.version,
            "position": envelope.position,
            "scored_by": envelope.actor,
            "scored_at": envelope.at,
            **values,
        },
    )
    _touch(batch, envelope, event.idea_id, scored_at=envelope.at, **values)


def _moved(
    batch: Batch,
    envelope: Recorded,
    idea_id: str,
    from_stage: Stage | None,
    to_stage: Stage,
    reason: str | None,
    *,
    experiment_id: str | None = None,
    **changes: object,
) -> None:
    if from_stage is None:
        from_stage = Stage(batch[ideas_view].row((idea_id,))["stage"])
    _history(batch, envelope, idea_id, from_stage, to_stage, reason, experiment_id)
    _touch(batch, envelope, idea_id, stage=str(to_stage), stage_changed_at=envelope.at, **changes)


def _ethics(batch: Batch, envelope: Recorded, idea_id: str, **changes: object) -> None:
    """Apply changes that may move the ethics status and gate, recomputed by the domain's rules."""
    current = {**batch[ideas_view].row((idea_id,)), **changes}
    facts = rules.Idea(
        exists=True,
        uses_ai=bool(current["uses_ai"]),
        uses_personal_data=bool(current["uses_personal_data"]),
        ethics_requested=bool(current["ethics_requested"]),
        ethics_verdict=current["ethics_verdict"],
        ethics_verdict_version=int(current["ethics_verdict_version"]),
        last_material_version=int(current["last_material_version"]),
    )
    _touch(
        batch,
        envelope,
        idea_id,
        ethics_status=str(rules.ethics_status(facts)),
        passes_ethics_gate=rules.passes_ethics_gate(facts),
        **changes,
    )


def _touch(batch: Batch, envelope: Recorded, idea_id: str, **changes: object) -> None:
    values = {
        "version": envelope.version,
        "last_position": envelope.position,
        "updated_at": envelope.at,
        **changes,
    }
    batch[ideas_view].update((idea_id,), values)


def _add_themes(batch: Batch, idea_id: str, themes: tuple[str, ...]) -> None:
    rows = batch[idea_themes_view]
    for theme in themes:
        rows.insert({"idea_id": idea_id, "theme": theme})


def _history(
    batch: Batch,
    envelope: Recorded,
    idea_id: str,
    from_stage: Stage | None,
    to_stage: Stage,
    reason: str | None,
    experiment_id: str | None = None,
) -> None:
    batch[stage_history_view].insert(
        {
            "idea_id": idea_id,
            "version": envelope.version,
            "position": envelope.position,
            "from_stage": None if from_stage is None else str(from_stage),
            "to_stage": str(to_stage),
            "reason": reason,
            "experiment_id": experiment_id,
            "actor": envelope.actor,
            "at": envelope.at,
        },
    )


def describe(event: object) -> str | None:
    """How an idea's event reads in its history; None for another aggregate's event. Ideas and
    experiments are named as refusals name them (``idea '<id>'``), which the API shows by the ids
    it hands out."""
    match event:
        case IdeaSubmitted():
            origin = event.provenance
            return f"scouted at {origin.organisation} ({origin.country}): {event.title}"
        case IdeaRevised():
            changed = [
                name
                for name in (
                    "title",
                    "summary",
                    "provenance",
                    "themes",
                    "uses_ai",
                    "uses_personal_data",
                )
                if getattr(event, name) is not None
            ]
            kind = "material revision" if event.material else "revision"
            return f"{kind} of {', '.join(changed)}"
        case IdeaScored():
            return f"scored: RICE {event.rice:.1f}, strategic fit {event.score.strategic_fit}/5"
        case IdeaAdvanced():
            return f"moved from {event.from_stage} to {event.to_stage}"
        case IdeaRejected():
            return f"rejected: {event.reason}"
        case IdeaReopened():
            return f"reopened, back to screening: {event.reason}"
        case IdeaMerged():
            return f"merged into idea {event.into_idea_id!r}"
        case DuplicateAbsorbed():
            return f"absorbed duplicate idea {event.duplicate_id!r}"
        case ExperimentAttached():
            return f"experiment {event.experiment_id!r} started"
        case IdeaValidated():
            if event.experiment_id:
                return f"validated by experiment {event.experiment_id!r}"
            return f"validated by override: {event.reason}"
        case IdeaReturnedToScreening():
            return "back to screening to iterate" + (f": {event.reason}" if event.reason else "")
        case IdeaReleased():
            return f"released in {event.release_id}"
        case EthicsReviewRequested():
            return "ethics review requested"
        case EthicsReviewRecorded():
            return f"ethics review: {event.verdict} by {', '.join(event.reviewers)}"
        case _:
            return None
