"""What a resolver's caller selected below its field, read from the parsed document itself.

Resolvers look ahead to read only what is asked for (nested experiments with a page of ideas,
the duplicate hints of a submission). strawberry's ``info.selected_fields`` converts the whole
selection first, arguments and directives included, which cost more than the rest of a small
mutation's resolver; these walk graphql-core's nodes for field names alone. As with
``selected_fields``, fragments count as their fields and ``@skip``/``@include`` are not
evaluated: a field skipped by a directive may still be read for, never answered.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from graphql import FieldNode, FragmentDefinitionNode, FragmentSpreadNode, InlineFragmentNode
from strawberry.types import Info


def _fields(
    nodes: Iterable[Any], fragments: Mapping[str, FragmentDefinitionNode]
) -> Iterator[FieldNode]:
    """The fields of these selections, fragments opened in place."""
    for node in nodes:
        if isinstance(node, FieldNode):
            yield node
        elif isinstance(node, InlineFragmentNode):
            yield from _fields(node.selection_set.selections, fragments)
        elif isinstance(node, FragmentSpreadNode):
            fragment = fragments.get(node.name.value)
            if fragment is not None:
                yield from _fields(fragment.selection_set.selections, fragments)


def _below(
    level: Iterable[FieldNode], name: str | None, fragments: Mapping[str, FragmentDefinitionNode]
) -> list[FieldNode]:
    """The fields selected below ``level`` (named ``name``, unless None), over every alias."""
    return [
        child
        for field in level
        if field.selection_set is not None
        for child in _fields(field.selection_set.selections, fragments)
        if name is None or child.name.value == name
    ]


def selected_at(info: Info[Any, Any], path: Sequence[str]) -> list[FieldNode]:
    """The fields selected at ``path`` below the field being resolved (each step a field name;
    every alias of it counts), the empty list when the caller selected nothing there."""
    raw = info._raw_info
    fragments = raw.fragments
    level = list(raw.field_nodes)
    for name in path:
        level = _below(level, name, fragments)
        if not level:
            break
    return level


def names_at(info: Info[Any, Any], path: Sequence[str]) -> set[str]:
    """The names of the fields selected right below ``path`` (every alias and fragment)."""
    fragments = info._raw_info.fragments
    return {field.name.value for field in _below(selected_at(info, path), None, fragments)}


def counted_alone(info: Info[Any, Any]) -> bool:
    """Whether the caller asked the connection being resolved for its ``totalCount`` alone (a
    dashboard's figure): nothing of its page, whose edges and ends are then not read."""
    return names_at(info, ()) <= {"totalCount", "__typename"}


def selects(info: Info[Any, Any], name: str) -> bool:
    """Whether the caller selected ``name`` right below the field being resolved."""
    return bool(selected_at(info, (name,)))
