"""GraphQL types built from views, and domain values from GraphQL inputs, field by field."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from functools import cache
from typing import Any, TypeVar

import msgspec

T = TypeVar("T")


def built(kind: type[T], source: object, /, **given: Any) -> T:
    """A ``kind`` whose fields come from ``source``'s attributes of the same names, or ``given``.

    ``kind`` is a GraphQL type (a dataclass) built from a view, or a domain value (a msgspec
    struct) built from a GraphQL input. ``kind`` and ``source`` are positional: a type may have
    fields of those names."""
    return _builder(kind, frozenset(given))(source, given)  # type: ignore[arg-type]


Builder = Callable[[object, dict[str, Any]], Any]


@cache
def _builder(kind: Any, given: frozenset[str]) -> Builder:
    """A function made once per type and set of given names that builds ``kind`` from a source.

    A page of 100 ideas builds each idea and its parts: through ``kind(**fields)`` the call took
    more than the reads of the fields. A dataclass whose ``__init__`` only stores its fields
    (``_stores_only``) is given its instance dict at once, in the order ``__init__`` would
    have set it; any other type is called with its fields named, as before."""
    names = _field_names(kind)
    unknown = given - set(names)
    if unknown:
        raise TypeError(f"{kind.__name__} has no field {', '.join(sorted(unknown))}")
    values = [f"given[{name!r}]" if name in given else f"source.{name}" for name in names]
    if _stores_only(kind):
        items = ", ".join(f"{name!r}: {value}" for name, value in zip(names, values, strict=True))
        body = f"    made = new(kind)\n    made.__dict__ = {{{items}}}\n    return made\n"
    else:
        arguments = ", ".join(f"{name}={value}" for name, value in zip(names, values, strict=True))
        body = f"    return kind({arguments})\n"
    namespace: dict[str, Any] = {"kind": kind, "new": object.__new__}
    exec(f"def build(source, given):\n{body}", namespace)  # names are fields', never input
    return namespace["build"]


def _stores_only(kind: Any) -> bool:
    """Whether ``kind()`` does nothing but store its init fields in a fresh instance dict: a
    mutable dataclass with no ``__post_init__``, no slots, no ``__setattr__`` of its own, a
    plain ``__new__``, and no non-init field that ``__init__`` would set to a default."""
    if not (isinstance(kind, type) and dataclasses.is_dataclass(kind)):
        return False
    if kind.__dataclass_params__.frozen or hasattr(kind, "__post_init__"):  # type: ignore[attr-defined]
        return False
    if any("__slots__" in vars(base) for base in kind.__mro__[:-1]):
        return False
    if kind.__setattr__ is not object.__setattr__ or kind.__new__ is not object.__new__:
        return False
    return all(
        field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING
        for field in dataclasses.fields(kind)
        if not field.init
    )


@cache
def _field_names(kind: Any) -> tuple[str, ...]:
    """Looked up once per type: both ``fields`` functions cost tens of microseconds a call."""
    if isinstance(kind, type) and issubclass(kind, msgspec.Struct):
        return tuple(field.name for field in msgspec.structs.fields(kind))
    return tuple(field.name for field in dataclasses.fields(kind) if field.init)
