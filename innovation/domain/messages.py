"""What flows through a decider: commands asking for a change and events saying what happened."""

from __future__ import annotations

from typing import ClassVar

import msgspec


class Command(msgspec.Struct, frozen=True, kw_only=True):
    """A request to one aggregate; ``decide`` answers it with events or a domain error."""


class Event(msgspec.Struct, frozen=True, kw_only=True, tag_field="type", gc=False):
    """A fact of the log: subclasses pass ``tag="aggregate.fact"``, the stable stored name.

    Events hold only immutable values, so they stay out of the cyclic garbage collector
    (``gc=False``): replaying a stream does not set off collections over the whole heap.
    """

    schema_version: ClassVar[int] = 1
