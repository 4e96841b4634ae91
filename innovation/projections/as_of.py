"""Questions "as of" a past moment, answered in the read models' own views by replaying the log.

The API asks these and never the store: which position a moment stands for and how the log is
replayed stay behind this module (``timetravel.py`` does the replaying).
"""

from __future__ import annotations

from datetime import datetime

import msgspec
from sqlalchemy.engine import Connection

from innovation.domain import ideas as rules
from innovation.projections.timetravel import (
    IdeaAsOf,
    PipelineSummary,
    cutoff,
    idea_as_of,
    summary_as_of,
    summary_now,
)
from innovation.projections.views import IdeaView
from innovation.store import EventStore


def idea_at(
    connection: Connection, store: EventStore, idea_id: str, moment: datetime
) -> IdeaView | None:
    """The idea as the log knew it at ``moment``; None if it had not been submitted yet."""
    position = cutoff(connection, store.recorder, moment, None)
    found = idea_as_of(connection, store.recorder, store.mapper, idea_id, position)
    return None if found is None else _idea_view(found)


def pipeline_at(
    connection: Connection, store: EventStore, moment: datetime | None
) -> PipelineSummary:
    """The pipeline's figures at ``moment`` (replayed), or now (from the read models)."""
    if moment is None:
        return summary_now(connection, store.recorder)
    position = cutoff(connection, store.recorder, moment, None)
    return summary_as_of(connection, store.recorder, store.mapper, position)


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
