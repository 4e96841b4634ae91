"""How a plain leaf's values are coerced when ``PlainFields`` completes them itself."""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import Any

from graphql import GraphQLLeafType
from strawberry.schema.schema_converter import CustomGraphQLEnumType


def leaf_coercer(kind: GraphQLLeafType) -> Callable[[Any], Any]:
    """How a plain leaf's value is coerced: by its type's ``coerce_output_value``; for one of
    strawberry's enum types given a member of its Python enum, by a dict of each member's
    name made once with that same method (which looks through every value of the enum for the
    member's, a few microseconds a value; a page of 100 ideas coerces about 140)."""
    coerce = kind.coerce_output_value
    wrapped = getattr(kind, "wrapped_cls", None)
    if not isinstance(kind, CustomGraphQLEnumType) or not (
        isinstance(wrapped, type) and issubclass(wrapped, Enum)
    ):
        return coerce
    names: dict[Any, Any] = {}
    for member in wrapped:
        try:
            names[member] = coerce(member)
        except Exception:  # left to the type's own way, which reports it
            continue

    def coerced(value: Any) -> Any:
        if type(value) is wrapped:
            name = names.get(value)
            if name is not None:
                return name
        return coerce(value)

    return coerced
