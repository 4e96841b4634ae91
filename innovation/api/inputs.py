"""Input values built from a plan made once per input type, through strawberry's own hook.

strawberry turns a mutation's ``input`` (and a query's filter or order) into its input class
field by field, and for every field of every request works out again the field's GraphQL name
and resolves its type annotation: for ``submitIdea`` that was a tenth of the request's time on
the event loop. ``StrawberryObjectDefinition.from_input`` is strawberry's hook for input types
that build their own value; ``build_inputs_from_plans`` sets it on every input type of a schema
to a ``Plan``, which keeps each field's names and resolved type, passes leaves (scalars, enums
and lists of them) as they are, as strawberry does, and hands every other value back to
strawberry (``InputContext.convert``): a nested input comes back to its own plan.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import MISSING
from typing import Any

import strawberry
from strawberry.relay import GlobalID
from strawberry.scalars import is_scalar
from strawberry.types.arguments import InputContext
from strawberry.types.base import (
    StrawberryList,
    StrawberryMaybe,
    StrawberryObjectDefinition,
    StrawberryOptional,
    StrawberryType,
)
from strawberry.types.enum import StrawberryEnumDefinition, has_enum_definition
from strawberry.types.lazy_type import LazyType

AS_IS, LIST_COPY, CONVERT = 0, 1, 2
"""How a field's value is built: passed as it is (a leaf, or null), a leaf list copied (its
default is shared by every request that omits it), or converted by strawberry."""

Step = tuple[str, str, int, StrawberryType | type]
"""(GraphQL name, Python name, how, resolved type) of one field."""


def _leaf(kind: StrawberryType | type, scalars: Mapping[object, Any]) -> bool:
    """A value strawberry passes as it is: a scalar other than a relay id, or an enum (or one
    of them or null)."""
    if isinstance(kind, StrawberryOptional) and not isinstance(kind, StrawberryMaybe):
        kind = kind.of_type
    if isinstance(kind, LazyType):
        kind = kind.resolve_type()
    if kind is GlobalID:  # a scalar whose value strawberry decodes
        return False
    return (
        is_scalar(kind, scalars)
        or isinstance(kind, StrawberryEnumDefinition)
        or has_enum_definition(kind)
    )


class Plan:
    """Builds one input type's values; its steps are worked out at its first value (under each
    schema's config, which names the fields)."""

    def __init__(self, definition: StrawberryObjectDefinition) -> None:
        self.definition = definition
        self.required = {
            field.python_name: None
            for field in definition.fields
            if field.default_value is MISSING and field.default_factory is MISSING
        }
        self._planned: list[tuple[object, tuple[Step, ...]]] = []
        """(a schema's config, the steps under it): its name converter names the fields. One
        schema in production; a process may build others (the bench's, the tests')."""

    def _steps(self, context: InputContext) -> tuple[Step, ...]:
        steps: list[Step] = []
        scalars = context.scalar_registry
        for field in self.definition.fields:
            kind = field.resolve_type(type_definition=self.definition)
            inner = kind
            if isinstance(inner, StrawberryOptional) and not isinstance(inner, StrawberryMaybe):
                inner = inner.of_type  # a null is passed as it is (see ``__call__``)
            how = CONVERT
            if _leaf(inner, scalars):
                how = AS_IS
            elif isinstance(inner, StrawberryList) and _leaf(inner.of_type, scalars):
                how = LIST_COPY
            name = context.config.name_converter.from_field(field)
            steps.append((name, field.python_name, how, kind))
        return tuple(steps)

    def __call__(self, cls: type, value: Mapping[str, Any], context: InputContext) -> Any:
        config = context.config
        steps = next((steps for seen, steps in self._planned if seen is config), None)
        if steps is None:
            steps = self._steps(context)
            self._planned.append((config, steps))
        built: dict[str, Any] = dict(self.required)
        for name, python_name, how, kind in steps:
            if name not in value:
                continue
            given = value[name]
            if how == AS_IS or given is None:
                built[python_name] = given
            elif how == LIST_COPY:
                built[python_name] = list(given)
            else:
                built[python_name] = context.convert(given, kind, name)
        return cls(**built)


def build_inputs_from_plans(schema: strawberry.Schema) -> int:
    """Set a ``Plan`` on every input type of ``schema`` that builds its values field by field
    (not one with a ``Maybe`` field, whose nulls strawberry checks only without the hook, nor
    one that already builds its own); return how many."""
    planned = 0
    for concrete in schema.schema_converter.type_map.values():
        definition = concrete.definition
        if (
            not isinstance(definition, StrawberryObjectDefinition)
            or not definition.is_input
            or definition.from_input is not None
            or any(isinstance(field.type, StrawberryMaybe) for field in definition.fields)
        ):
            continue
        definition.from_input = Plan(definition)
        planned += 1
    return planned
