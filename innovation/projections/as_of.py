"""Questions "as of" a past moment, answered in the read models' own views by replaying the log.

The API asks these and never the store: which position a moment stands for and how the log is
replayed stay behind this module (``timetravel.py`` does the replaying).
"""

from __future__ import annotations

from datetime import datetime
from functools import partial

from innovation.domain import ideas as rules
from innovation.projections.timetravel import (
    IdeaAsOf,
    PipelineSummary,
    idea_as_of,
    settled_cutoff,
    summary_as_of,
    summary_now,
)
from innovation.projections.views import IdeaView, ScoreView
from innovation.store import Log


async def idea_at(log: Log, idea_id: str, moment: datetime) -> IdeaView | None:
    """The idea as the log knew it at ``moment``; None if it had not been submitted yet."""
    position = await settled_cutoff(log, moment)
    found = await log.database.read(
        partial(
            idea_as_of, recorder=log.recorder, mapper=log.mapper, idea_id=idea_id, position=position
        )
    )
    return None if found is None else _idea_view(found)


async def pipeline_at(log: Log, moment: datetime | None) -> PipelineSummary:
    """The pipeline's figures at ``moment`` (replayed), or now (from the read models)."""
    if moment is None:
        return await log.database.read(partial(summary_now, recorder=log.recorder))
    position = await settled_cutoff(log, moment)
    return await log.database.read(
        partial(summary_as_of, recorder=log.recorder, mapper=log.mapper, position=position)
    )


def _idea_view(replay: IdeaAsOf) -> IdeaView:
    state = replay.state
    assert state.provenance is not None
    score = state.score
    return IdeaView(
        idea_id=state.id,
        title=state.title,
        summary=state.summary,
        stage=state.stage,
        provenance=state.provenance,
        themes=tuple(state.themes),
        uses_ai=state.uses_ai,
        uses_personal_data=state.uses_personal_data,
        scout=state.scout,
        submitted_by=replay.submitted_by,
        submitted_at=replay.submitted_at,
        updated_at=replay.updated_at,
        version=state.version,
        score=None
        if score is None
        else ScoreView(
            reach=score.reach,
            impact=score.impact,
            confidence=score.confidence,
            effort=score.effort,
            strategic_fit=score.strategic_fit,
            rice=score.rice,
        ),
        rejection_reason=state.rejection_reason,
        validated_via=state.validated_via,
        validation_reason=None,
        ethics_status=rules.ethics_status(state),
        ethics_verdict=state.ethics_verdict,
        passes_ethics_gate=rules.passes_ethics_gate(state),
        merged_into=state.merged_into,
        running_experiment_id=state.running_experiment,
        as_of_position=replay.position,
        experiment_ids=tuple(state.experiments),
    )
