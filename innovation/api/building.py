"""GraphQL types built from views, and domain values from GraphQL inputs, field by field."""

from __future__ import annotations

import dataclasses
from functools import cache
from typing import Any, TypeVar

import msgspec

T = TypeVar("T")


def built(kind: type[T], source: object, **given: Any) -> T:
    """A ``kind`` whose fields come from ``source``'s attributes of the same names, or ``given``.

    ``kind`` is a GraphQL type (a dataclass) built from a view, or a domain value (a msgspec
    struct) built from a GraphQL input."""
    names = _field_names(kind)  # type: ignore[arg-type]
    taken = {name: getattr(source, name) for name in names if name not in given}
    return kind(**taken, **given)


@cache
def _field_names(kind: Any) -> tuple[str, ...]:
    """Looked up once per type: both ``fields`` functions cost tens of microseconds a call."""
    if isinstance(kind, type) and issubclass(kind, msgspec.Struct):
        return tuple(field.name for field in msgspec.structs.fields(kind))
    return tuple(field.name for field in dataclasses.fields(kind) if field.init)
