"""Event ids that arrive in time order, so the log's unique index grows at its end.

``UNIQUE(event_id)`` makes appends idempotent, but a random id lands on a random page of that
index: a batch of 100 events then rewrites some 100 index pages, and the cost grows with the
log (``bench/`` measured appends of 100 falling from 57,000 to 34,000 events/s over 60,000
events on SQLite; with time-ordered ids they held at about 70,000). So new ids are UUIDv7
(RFC 9562: 48 bits of Unix milliseconds, then random bits), and ids derived from a command keep
the command id's time prefix. The ids the API draws for new ideas and experiments are UUIDv7
too, for the same reason: every read model keyed by them, and the log's index of streams, took
a random page a submission with random ones (15.7 pages written a ``submitIdea`` at 16
connections on the bench's data set, 9.4 with these).
"""

from __future__ import annotations

import os
import time
import uuid

__all__ = ["derived_id", "new_event_id", "uuid7"]


def new_event_id() -> uuid.UUID:
    """A fresh UUIDv7: sorts by creation time to the millisecond, random within it."""
    return uuid7(time.time_ns() // 1_000_000, int.from_bytes(os.urandom(10)))


def uuid7(milliseconds: int, random_bits: int) -> uuid.UUID:
    """The UUIDv7 of a Unix millisecond and 80 random bits (74 of them kept, around the
    version and variant): ``new_event_id``'s layout, for ids of a moment other than now."""
    value = (milliseconds & (2**48 - 1)) << 80 | random_bits & (2**80 - 1)
    value = value & ~(0xF << 76) | 0x7 << 76  # version 7
    value = value & ~(0x3 << 62) | 0x2 << 62  # RFC 9562 variant
    return uuid.UUID(int=value)


def derived_id(parent: uuid.UUID, name: str) -> uuid.UUID:
    """The same id for the same (parent, name), every time.

    ``uuid5(parent, name)``; when ``parent`` is a UUIDv7 its 48-bit time prefix replaces the
    hash's, and the id is marked version 8 (RFC 9562's custom layout), so the events of one
    command sort where the command happened.
    """
    hashed = uuid.uuid5(parent, name)
    if parent.version != 7:
        return hashed
    value = parent.int >> 80 << 80 | hashed.int & (2**80 - 1)
    return uuid.UUID(int=value & ~(0xF << 76) | 0x8 << 76)
