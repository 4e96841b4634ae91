"""What every request of a kept operation can share: the plain selections ``PlainFields``
makes of its fields (``execution.Template``), by the object type and the collected fields'
nodes, for an operation whose fields do not change with its variables.

The service keeps each document it has parsed and validated (``direct.Direct``), so every
request of one asks graphql-core to collect the same nodes. Collecting the fields below each
object again cost a request of ``idea(id)`` about 70 µs of its 700; what one request made is
kept for the next, as long as the operation lives.
"""

from __future__ import annotations

import weakref
from typing import Any

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLObjectType,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)

__all__ = ["Shared", "fixed", "shape_of", "shared_for"]

Shared = dict[tuple[GraphQLObjectType, tuple[tuple[str, tuple[int, ...]], ...]], tuple[Any, Any]]
"""An operation's templates, by the object type and its collected fields' nodes (their ids, the
nodes themselves kept beside the template and checked on a hit)."""

_SHARED: dict[int, tuple[weakref.ref[OperationDefinitionNode], Shared | None]] = {}
"""Per parsed operation (by identity, while it lives: a kept document's), its ``Shared``, or
None when what it selects may change with its variables."""


def shared_for(operation: OperationDefinitionNode, fragments: Any) -> Shared | None:
    """The templates every request of ``operation`` shares, made on its first request."""
    key = id(operation)
    found = _SHARED.get(key)
    if found is not None and found[0]() is operation:
        return found[1]

    def gone(ref: Any, key: int = key) -> None:
        entry = _SHARED.get(key)
        if entry is not None and entry[0] is ref:
            del _SHARED[key]

    shared: Shared | None = {} if fixed(operation, fragments) else None
    _SHARED[key] = (weakref.ref(operation, gone), shared)
    return shared


def fixed(operation: OperationDefinitionNode, fragments: Any) -> bool:
    """Whether the fields ``operation`` selects are the same whatever its variables: no
    directive anywhere (``@skip`` and ``@include`` take variables, ``@defer`` splits the
    answer) and no fragment taking arguments."""
    if operation.directives:
        return False
    selection_sets: list[SelectionSetNode | None] = [operation.selection_set]
    for details in fragments.values():
        definition = details.definition
        if definition.directives or definition.variable_definitions:
            return False
        selection_sets.append(definition.selection_set)
    while selection_sets:
        selection_set = selection_sets.pop()
        if selection_set is None:
            continue
        for selection in selection_set.selections:
            if selection.directives:
                return False
            if isinstance(selection, FieldNode | InlineFragmentNode):
                selection_sets.append(selection.selection_set)
            elif not isinstance(selection, FragmentSpreadNode) or selection.arguments:
                return False
    return True


def shape_of(
    parent_type: GraphQLObjectType, fields: Any
) -> tuple[tuple[GraphQLObjectType, tuple[tuple[str, tuple[int, ...]], ...]], tuple[Any, ...]]:
    """The key of a collected field set among its operation's templates, and its nodes. Only
    asked of a ``fixed`` operation, whose fields carry no deferral and no fragment's values."""
    shape = []
    nodes: list[Any] = []
    for response_name, details in fields.items():
        ids = []
        for detail in details:
            nodes.append(detail.node)
            ids.append(id(detail.node))
        shape.append((response_name, tuple(ids)))
    return (parent_type, tuple(shape)), tuple(nodes)
