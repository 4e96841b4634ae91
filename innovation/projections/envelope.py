"""What projections receive: a decoded event with its place in the log and its metadata."""

from __future__ import annotations

from datetime import datetime

import msgspec

from innovation.store import Mapper, Metadata, RecordedEvent


class Envelope(msgspec.Struct, frozen=True, kw_only=True):
    position: int
    stream_id: str
    version: int
    event: msgspec.Struct
    metadata: Metadata

    @property
    def at(self) -> datetime:
        """When it happened (the command's clock), which is what read models show."""
        return self.metadata.occurred_at

    @property
    def actor(self) -> str:
        return self.metadata.actor

    @classmethod
    def of(cls, mapper: Mapper, record: RecordedEvent) -> Envelope:
        return cls(
            position=record.position,
            stream_id=record.stream_id,
            version=record.version,
            event=mapper.to_event(record),
            metadata=mapper.metadata(record),
        )
