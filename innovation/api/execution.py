"""graphql-core's executor with a short way through the commonest field: a plain attribute.

Most fields of an answer are leaves (strings, numbers, enums, instants) that strawberry reads
straight off the object (no resolver, no permission, no extension). graphql-core still builds a
resolve info for each, calls strawberry's basic resolver, checks the result for an awaitable and
completes it through the type's wrappers; for the page of 100 ideas, about a thousand times.
Here such a field is read and serialized directly, and anything else about it (a null, an
error, an awaitable, a value its type will not serialize) goes the usual way, so answers and
errors stay exactly as graphql-core gives them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from weakref import WeakKeyDictionary

from graphql import (
    GraphQLField,
    GraphQLLeafType,
    GraphQLObjectType,
    GraphQLSchema,
    Undefined,
    is_leaf_type,
    is_non_null_type,
)
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter

Plan = tuple[Callable[[Any, str], Any], str, GraphQLLeafType] | None
"""How to read a plain leaf field (strawberry's default resolver, the attribute, the type to
serialize with), or None for a field that goes graphql-core's way."""

_PLANS: WeakKeyDictionary[GraphQLSchema, dict[tuple[str, str], Plan]] = WeakKeyDictionary()


def plan(field: GraphQLField) -> Plan:
    """A plain leaf field's plan: one strawberry resolves by reading an attribute."""
    if not getattr(field.resolve, "_is_default", False) or field.args:
        return None
    definition = (field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    if definition is None:
        return None
    kind = field.type.of_type if is_non_null_type(field.type) else field.type
    if not is_leaf_type(kind):
        return None
    return definition.default_resolver, definition.python_name, kind


class PlainLeaves(StrawberryGraphQLCoreExecutionContext):
    """strawberry's execution context, reading plain leaf fields straight off their objects."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        found = _PLANS.get(self.schema)
        if found is None:
            found = _PLANS[self.schema] = {}
        self._plans = found
        manager = self.middleware_manager
        self._plain = manager is None or not manager.middlewares
        """No middleware wraps resolvers (strawberry's own execution passes an empty manager)."""

    def execute_field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: Any,
        path: Any,
        position_context: Any,
    ) -> Any:
        name = field_details_list[0].node.name.value
        key = (parent_type.name, name)
        try:
            how = self._plans[key]
        except KeyError:
            field = self.schema.get_field(parent_type, name)
            how = self._plans[key] = None if field is None else plan(field)
        if how is not None and self._plain:
            read, attribute, kind = how
            try:
                value = read(source, attribute)
                if value is not None and not self.is_awaitable(value):
                    serialized = kind.serialize(value)
                    if serialized is not None and serialized is not Undefined:
                        return serialized
            except Exception:  # the usual way below reports it as graphql-core does
                pass
        return super().execute_field(
            parent_type, source, field_details_list, path, position_context
        )
