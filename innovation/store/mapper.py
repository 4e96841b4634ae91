"""Turns domain events into stored rows and back, upcasting old schema versions on read.

An event class is a frozen, tagged ``msgspec.Struct``; its tag is the stable stored type name
(``idea.submitted``) and its ``schema_version`` class variable the version it writes. Rows written
by an older version stay as they are in the table; registered upcasters (one per type and
version, each lifting a decoded dict by one version) bring them up to date as they are read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, ClassVar

import msgspec

from innovation.domain.recorded import Recorded
from innovation.store.errors import UnknownEventTypeError
from innovation.store.records import Metadata, NewEvent, RecordedEvent, StoredEvent

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]

_encoder = msgspec.json.Encoder()
_metadata_decoder = msgspec.json.Decoder(Metadata)
_dict_decoder = msgspec.json.Decoder(dict[str, Any])


class _Occurred(msgspec.Struct):
    occurred_at: datetime


_occurred_decoder = msgspec.json.Decoder(_Occurred)


class Event(msgspec.Struct, frozen=True, kw_only=True, tag_field="type", gc=False):
    """Base of every stored event; subclasses pass ``tag="stable.name"``.

    Events hold only immutable values, so they stay out of the cyclic garbage collector
    (``gc=False``): replaying a stream does not set off collections over the whole heap.
    """

    schema_version: ClassVar[int] = 1


def type_name(cls: type[msgspec.Struct]) -> str:
    """The stored name of an event class: its msgspec tag."""
    tag = cls.__struct_config__.tag
    if not isinstance(tag, str):
        raise TypeError(f"{cls.__name__} needs a string tag to be stored")
    return tag


class Mapper:
    """Knows every event class by stored name and the upcasters that lead to its current version."""

    def __init__(self, event_types: Iterable[type[msgspec.Struct]] = ()) -> None:
        self._types: dict[str, type[msgspec.Struct]] = {}
        self._decoders: dict[str, msgspec.json.Decoder[Any]] = {}
        self._upcasters: dict[tuple[str, int], Upcaster] = {}
        self._current: dict[tuple[str, int], msgspec.json.Decoder[Any]] = {}
        """Decoders by (name, current version): the one lookup an up-to-date row costs."""
        for cls in event_types:
            self.register(cls)

    def register(self, cls: type[msgspec.Struct]) -> None:
        name = type_name(cls)
        known = self._types.get(name)
        if known is not None and known is not cls:
            raise ValueError(f"two event classes claim the stored name {name!r}")
        self._types[name] = cls
        self._decoders[name] = msgspec.json.Decoder(cls)
        self._current[(name, int(getattr(cls, "schema_version", 1)))] = self._decoders[name]

    def upcaster(self, name: str, from_version: int) -> Callable[[Upcaster], Upcaster]:
        """Register ``fn(data) -> data`` lifting ``name`` from ``from_version`` to the next one."""

        def register(fn: Upcaster) -> Upcaster:
            self._upcasters[(name, from_version)] = fn
            return fn

        return register

    def current_version(self, name: str) -> int:
        return int(getattr(self._class(name), "schema_version", 1))

    def to_stored(self, new: NewEvent) -> StoredEvent:
        cls = type(new.event)
        return StoredEvent(
            event_id=new.event_id,
            type=type_name(cls),
            schema_version=int(getattr(cls, "schema_version", 1)),
            data=_encoder.encode(new.event),
            metadata=_encoder.encode(new.metadata),
        )

    def to_event(self, record: RecordedEvent) -> msgspec.Struct:
        decoder = self._current.get((record.type, record.schema_version))
        if decoder is not None:
            return decoder.decode(record.data)
        return self.decode(record.type, record.schema_version, record.data)

    def decode(self, name: str, schema_version: int, data: bytes) -> msgspec.Struct:
        current = self.current_version(name)
        if schema_version == current:
            return self._decoders[name].decode(data)
        if schema_version > current:
            raise UnknownEventTypeError(
                f"{name} version {schema_version} is newer than this code knows ({current})"
            )
        fields = _dict_decoder.decode(data)
        for version in range(schema_version, current):
            step = self._upcasters.get((name, version))
            if step is None:
                raise UnknownEventTypeError(f"no upcaster for {name} from version {version}")
            fields = step(fields)
        fields["type"] = name
        return self._decoders[name].decode(_encoder.encode(fields))

    @staticmethod
    def metadata(record: RecordedEvent) -> Metadata:
        return _metadata_decoder.decode(record.metadata)

    @staticmethod
    def occurred_at(record: RecordedEvent) -> datetime:
        """When the event happened, and nothing else of its metadata: for readers of the whole
        log that need only that (a third of the cost of decoding all of it)."""
        return _occurred_decoder.decode(record.metadata).occurred_at

    def recorded(self, record: RecordedEvent) -> Recorded[msgspec.Struct]:
        """A row of the log as pure code sees it: the event, its place, its metadata."""
        metadata = _metadata_decoder.decode(record.metadata)
        return Recorded(
            event=self.to_event(record),
            position=record.position,
            stream_id=record.stream_id,
            version=record.version,
            recorded_at=record.recorded_at,
            occurred_at=metadata.occurred_at,
            actor=metadata.actor,
            correlation_id=metadata.correlation_id,
            causation_id=metadata.causation_id,
        )

    def _class(self, name: str) -> type[msgspec.Struct]:
        try:
            return self._types[name]
        except KeyError:
            raise UnknownEventTypeError(f"unknown event type {name!r}") from None
