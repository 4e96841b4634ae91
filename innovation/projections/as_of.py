"""Questions "as of" a past moment, answered in the read models' own views by replaying the log.

The API asks these and never the store: which position a moment stands for and how the log is
replayed stay behind this module (``timetravel.py`` does the replaying).
"""

from __future__ import annotations

from datetime import datetime
from functools import partial

import msgspec

from innovation.domain import ideas as rules
from innovation.projections.timetravel import (
    IdeaAsOf,
    PipelineSummary,
    idea_as_of,
    settled_cutoff,
    summary_as_of,
    summary_now,
)
from innovation.projections.views import IdeaView
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
    """The replayed state in the read model's view; what only the read model keeps is left out."""
    state = replay.state
    score = state.score
    return msgspec.convert(
        {
            **msgspec.structs.asdict(state),
            **msgspec.structs.asdict(replay),
            "idea_id": state.id,
            "score": None
            if score is None
            else {**msgspec.structs.asdict(score), "rice": score.rice},
            "validation_reason": None,
            "ethics_status": rules.ethics_status(state),
            "passes_ethics_gate": rules.passes_ethics_gate(state),
            "running_experiment_id": state.running_experiment,
            "as_of_position": replay.position,
            "experiment_ids": state.experiments,
        },
        IdeaView,
    )
