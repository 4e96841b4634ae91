"""An event as the log recorded it: where it sits, when it happened and who did it.

Replay hands these to pure code, so a decision over a period (what a release ships, what a
digest says) can look at positions and times without reaching outside the domain.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Generic, TypeVar

import msgspec

E = TypeVar("E")


class Recorded(msgspec.Struct, Generic[E], frozen=True, kw_only=True, gc=False):
    """One event with its place in the log and its metadata."""

    event: E
    position: int
    """Its place in the whole log: later events have higher positions."""
    stream_id: str
    version: int
    """Its place in its own stream, from 1."""
    recorded_at: datetime
    """When the log took it (the store's clock)."""
    occurred_at: datetime
    """When it happened (the command's clock): what people are shown."""
    actor: str
    correlation_id: uuid.UUID
    causation_id: uuid.UUID | None = None

    @property
    def at(self) -> datetime:
        """When it happened, as read models show it."""
        return self.occurred_at
