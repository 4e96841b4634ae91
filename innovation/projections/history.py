"""An idea's full history: every event of the idea and of its experiments, in log order."""

from __future__ import annotations

from typing import Any

import msgspec
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from innovation.domain import experiments as exp
from innovation.domain import ideas as idea
from innovation.projections.experiments import experiments_view
from innovation.store import Mapper, Metadata, RecordedEvent
from innovation.store.recorder import to_recorded
from innovation.store.tables import events

IDEA_PREFIX = "idea-"
EXPERIMENT_PREFIX = "experiment-"


class HistoryEntry(msgspec.Struct, frozen=True, kw_only=True):
    position: int
    stream_id: str
    version: int
    type: str
    event: msgspec.Struct
    metadata: Metadata

    @property
    def description(self) -> str:
        return describe(self.event)


def history(
    connection: Connection, mapper: Mapper, idea_id: str, first: int, after_position: int = 0
) -> tuple[list[HistoryEntry], bool]:
    """Up to ``first`` entries after a position, and whether more follow."""
    experiment_streams = sa.select(
        sa.literal(EXPERIMENT_PREFIX) + experiments_view.c.experiment_id
    ).where(experiments_view.c.idea_id == idea_id)
    rows = connection.execute(
        sa.select(
            events.c.position,
            events.c.stream_id,
            events.c.version,
            events.c.type,
            events.c.schema_version,
            events.c.data,
            events.c.metadata,
            events.c.recorded_at,
            events.c.event_id,
        )
        .where(
            sa.or_(
                events.c.stream_id == IDEA_PREFIX + idea_id,
                events.c.stream_id.in_(experiment_streams),
            )
        )
        .where(events.c.position > after_position)
        .order_by(events.c.position)
        .limit(first + 1)
    ).all()
    return [entry(mapper, to_recorded(row)) for row in rows[:first]], len(rows) > first


def entry(mapper: Mapper, record: RecordedEvent) -> HistoryEntry:
    """A stored event as readers of the history (and subscribers) see it: decoded, with metadata."""
    return HistoryEntry(
        position=record.position,
        stream_id=record.stream_id,
        version=record.version,
        type=record.type,
        event=mapper.to_event(record),
        metadata=mapper.metadata(record),
    )


def describe(event: Any) -> str:
    """One plain sentence for people reading the history."""
    match event:
        case idea.IdeaSubmitted():
            origin = event.provenance
            return f"scouted at {origin.organisation} ({origin.country}): {event.title}"
        case idea.IdeaRevised():
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
        case idea.IdeaScored():
            return f"scored: RICE {event.rice:.1f}, strategic fit {event.score.strategic_fit}/5"
        case idea.IdeaAdvanced():
            return f"moved from {event.from_stage} to {event.to_stage}"
        case idea.IdeaRejected():
            return f"rejected: {event.reason}"
        case idea.IdeaMerged():
            return f"merged into idea {event.into_idea_id}"
        case idea.DuplicateAbsorbed():
            return f"absorbed duplicate idea {event.duplicate_id}"
        case idea.ExperimentAttached():
            return f"experiment {event.experiment_id} started"
        case idea.IdeaValidated():
            if event.experiment_id:
                return f"validated by experiment {event.experiment_id}"
            return f"validated by override: {event.reason}"
        case idea.IdeaReturnedToScreening():
            return "back to screening to iterate" + (f": {event.reason}" if event.reason else "")
        case idea.IdeaReleased():
            return f"released in {event.release_id}"
        case idea.EthicsReviewRequested():
            return "ethics review requested"
        case idea.EthicsReviewRecorded():
            return f"ethics review: {event.verdict} by {', '.join(event.reviewers)}"
        case exp.ExperimentStarted():
            return f"pilot at {event.pilot_site} from {event.starts_on} to {event.ends_on}"
        case exp.MeasurementRecorded():
            return f"measured {event.metric} = {event.value:g}"
        case exp.ExperimentConcluded():
            return f"concluded {event.outcome}, decision {event.decision}"
        case _:
            return type(event).__name__
