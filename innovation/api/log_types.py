"""The log as GraphQL types: an idea's history, events for subscribers, pipeline figures."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

import msgspec
import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from innovation.api.building import built
from innovation.api.ids import shown_ids
from innovation.projections import history
from innovation.projections.timetravel import PipelineSummary


@strawberry.type(description="A count of ideas under one key.")
class Count:
    key: str
    count: int


def _counts(values: dict[str, int]) -> list[Count]:
    return [Count(key=key, count=count) for key, count in values.items()]


@strawberry.type(description="The pipeline's figures; merged duplicates count only by stage.")
class Pipeline:
    as_of: datetime | None
    position: int = strawberry.field(description="The log position the figures stand at.")
    ideas: int = strawberry.field(
        description="Ideas in the pipeline, merged duplicates left out: the same count as "
        "ideas(filter: {includeMerged: false}).totalCount. byStage counts them too, under MERGED."
    )
    external: int
    external_share: float = strawberry.field(description="External ideas / ideas, 0 to 1.")
    by_stage: list[Count]
    by_theme: list[Count]
    by_source_kind: list[Count]
    by_country: list[Count]

    @classmethod
    def of(cls, summary: PipelineSummary, as_of: datetime | None) -> Pipeline:
        return cls(
            as_of=as_of,
            position=summary.position,
            ideas=summary.ideas,
            external=summary.external,
            external_share=round(summary.external_share, 4),
            by_stage=_counts(summary.by_stage),
            by_theme=_counts(summary.by_theme),
            by_source_kind=_counts(summary.by_source_kind),
            by_country=_counts(summary.by_country),
        )


@strawberry.type(description="One event of an idea's history (or of one of its experiments).")
class HistoryEntry:
    position: int
    stream_id: str
    version: int
    type: str = strawberry.field(description="The event's stable name, e.g. idea.advanced.")
    description: str = strawberry.field(description="The event in one plain sentence.")
    actor: str
    occurred_at: datetime
    correlation_id: str
    data: JSON = strawberry.field(description="The event's own fields.")

    @classmethod
    def of(cls, entry: history.HistoryEntry) -> HistoryEntry:
        return built(
            cls,
            entry,
            description=shown_ids(entry.description),
            correlation_id=str(entry.metadata.correlation_id),
            **_event_fields(entry),
        )


@strawberry.type(description="An event of the log, as subscribers receive it.")
class LogEvent:
    position: int
    stream_id: str
    version: int
    type: str
    actor: str
    occurred_at: datetime
    data: JSON

    @classmethod
    def of(cls, entry: history.HistoryEntry) -> LogEvent:
        return built(cls, entry, **_event_fields(entry))


def _event_fields(entry: history.HistoryEntry) -> dict[str, Any]:
    """Who and when from the metadata, and the event's own fields as JSON (without its type)."""
    data = msgspec.to_builtins(entry.event)
    data.pop("type", None)
    return {
        "actor": entry.metadata.actor,
        "occurred_at": entry.metadata.occurred_at,
        "data": cast(JSON, data),
    }


@strawberry.type(description="An edge in the history (the cursor is the log position).")
class HistoryEdge:
    cursor: str
    node: HistoryEntry


@strawberry.type(description="A page of an idea's history, in the Relay connection shape.")
class HistoryConnection:
    page_info: relay.PageInfo
    edges: list[HistoryEdge]
