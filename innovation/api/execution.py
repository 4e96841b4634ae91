"""graphql-core's executor with a short way through the commonest fields: plain attributes.

Most fields of an answer are plain: strawberry reads them straight off the object (no resolver,
no argument, no permission, no extension). graphql-core still builds a resolve info for each,
calls strawberry's basic resolver, checks the result for an awaitable and completes it through
the type's wrappers; and every object it completes costs a path per field, a look-up of its
collected fields and a pass through them, one call each. Here a plain field is read and
completed directly: a leaf is coerced by its type; an object, or a list of them, whose selected
fields are all plain (``__typename`` included) is built as a dict in one go, and so is any
object whose selection is all plain, whoever resolved it. A relay node's ``id``, which
strawberry resolves through the node's class, is made here the same way when the class keeps
``Node``'s (about 20 µs an id the usual way). So is a field whose resolver answers at once from
what the request read beforehand (an idea's experiments read with its page), when it declares
how (``answered_at_once``) and its answer is there. An object type that checks what it is
given (one with interfaces, such as every relay node) has strawberry's own check made here.

Anything else about a field (a null where its type forbids one, an error, an awaitable, a value
its type will not coerce, something other than a list where a list is due, an object its type's
check refuses, an object type that checks its own way, an interface or union, a deferred
fragment) sends that whole field, or object, the usual way,
which reads it again (a plain read has no side effects), so answers and errors stay exactly as
graphql-core gives them.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any
from weakref import WeakKeyDictionary, proxy

from graphql import (
    GraphQLField,
    GraphQLObjectType,
    GraphQLResolveInfoHelpers,
    GraphQLSchema,
    Undefined,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
    is_object_type,
)
from strawberry import relay
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter

from innovation.api.leaves import leaf_coercer
from innovation.api.shapes import shape_of, shared_for

AT_ONCE = "innovation.answered_at_once"
"""The key, in a strawberry field's metadata, of its ``AtOnce``."""


@dataclass(frozen=True)
class AtOnce:
    """How a resolver's answer is had at once, when it is: ``read(root, context)`` returns what
    the resolver would return, or None when the resolver has to do more (load, replay)."""

    read: Callable[[Any, Any], Any]


def answered_at_once(read: Callable[[Any, Any], Any]) -> dict[str, AtOnce]:
    """A field's metadata saying that ``read`` gives its resolver's answer when it is at hand.
    For non-null fields only: None is taken for "not at hand", never for a null answer."""
    return {AT_ONCE: AtOnce(read)}


LEAF, LEAVES, OBJECT, OBJECTS = range(4)
"""What a plain field holds: a leaf, a list of leaves, an object, a list of objects."""

TYPENAME = -1
"""The ``__typename`` of the object at hand: its type's name, nothing read."""

Plan = tuple[Callable[[Any, str], Any] | AtOnce, str, int, Any, bool, bool] | None
"""How to read a plain field: strawberry's default resolver (or the field's ``AtOnce``), the
attribute, what it holds (``LEAF``...), the type it is completed as (for a leaf, once kept in
``PlainFields._plan``, how its values are coerced: ``leaf_coercer``), whether it may be null
and whether its list's items may be; or None for a field that goes graphql-core's way."""

Step = tuple[str, Callable[[Any, str], Any] | AtOnce | None, str, int, Any, bool, bool]
"""One field of a plain selection: its response name, then its plan (with a leaf's coercer, or
an object type's check and the selection of its fields, as what it is completed as). In a
``Template`` a field answered at once keeps its ``AtOnce``, and an object's fields are a
``Template`` too."""

Selection = tuple[Step, ...]


@dataclass(frozen=True, slots=True)
class Template:
    """A plain selection as every request of an operation shares it: its steps, where a field
    answered at once keeps its ``AtOnce`` (bound to each request's context by ``bound``) and an
    object's selection is its own ``Template``; and ``ready``, the selection itself when nothing
    in it needs a request's context."""

    steps: tuple[Step, ...]
    ready: Selection | None

    @classmethod
    def of(cls, steps: tuple[Step, ...]) -> Template:
        ready: list[Step] = []
        for step in steps:
            response_name, read, attribute, holds, kind, nullable, items_nullable = step
            if type(read) is AtOnce:
                return cls(steps, None)
            if holds in (OBJECT, OBJECTS):
                check, below = kind
                if below.ready is None:
                    return cls(steps, None)
                step = (
                    response_name,
                    read,
                    attribute,
                    holds,
                    (check, below.ready),
                    nullable,
                    items_nullable,
                )
            ready.append(step)
        return cls(steps, tuple(ready))

    def bound(self, context: Any) -> Selection:
        """The selection for a request: each field answered at once given its context."""
        if self.ready is not None:
            return self.ready
        steps: list[Step] = []
        for response_name, read, attribute, holds, kind, nullable, items_nullable in self.steps:
            if type(read) is AtOnce:
                read = partial(_at_once, read.read, context)
            if holds in (OBJECT, OBJECTS):
                kind = (kind[0], kind[1].bound(context))
            steps.append((response_name, read, attribute, holds, kind, nullable, items_nullable))
        return tuple(steps)


_PLANS: WeakKeyDictionary[GraphQLSchema, dict[tuple[str, str], Plan]] = WeakKeyDictionary()


class _Unusual(Exception):
    """A plain field's value needs graphql-core's way: its checks, its errors."""


def _unwrapped(kind: Any) -> tuple[Any, bool]:
    """The type inside a non-null wrapper, and whether the value may be null."""
    if is_non_null_type(kind):
        return kind.of_type, False
    return kind, True


def _completes_plainly(kind: Any) -> int | None:
    """``LEAF`` or ``OBJECT`` for a type whose values need no check before completion, or whose
    check is strawberry's own (``is_type_of`` for a type with interfaces: what it is given is
    an instance of the type or of one of them), which looks at nothing but the value."""
    if is_leaf_type(kind):
        return LEAF
    if is_object_type(kind) and (kind.is_type_of is None or _strawberrys_check(kind)):
        return OBJECT
    return None


def _strawberrys_check(kind: GraphQLObjectType) -> bool:
    definition = (kind.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    return definition is not None and getattr(definition, "is_type_of", True) is None


def plan(field: GraphQLField) -> Plan:
    """A plain field's plan: one strawberry resolves by reading an attribute, holding a leaf,
    an object or a list of either (not a list of lists, not an interface or union)."""
    definition = (field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    if definition is None or field.args:
        return None
    read = definition.default_resolver
    if not getattr(field.resolve, "_is_default", False):
        at_once = (definition.metadata or {}).get(AT_ONCE)
        if at_once is None or definition.extensions or not is_non_null_type(field.type):
            return None
        read = at_once
    kind, nullable = _unwrapped(field.type)
    items_nullable = False
    if is_list_type(kind):
        kind, items_nullable = _unwrapped(kind.of_type)
        single = _completes_plainly(kind)
        if single is None:
            return None
        how = LEAVES if single == LEAF else OBJECTS
    else:
        found = _completes_plainly(kind)
        if found is None:
            return None
        how = found
    return read, definition.python_name, how, kind, nullable, items_nullable


_NODE_ID = relay.Node.__dict__["_id"].__func__
_NODE_DEFAULTS = ("resolve_id", "resolve_typename", "resolve_id_attr")


def node_id_plan(field: GraphQLField, type_name: str) -> Plan:
    """The plan of a relay node's ``id`` as strawberry's ``Node`` gives it, for a type that
    keeps ``Node``'s way of finding it: the global id of the type's name and the node's id
    attribute. Anything else about the object (another class, a null or awaitable id) goes the
    usual way."""
    definition = (field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    resolver = getattr(definition, "base_resolver", None)
    wrapped = getattr(resolver, "wrapped_func", None)
    owner = getattr(wrapped, "__self__", None)
    if getattr(wrapped, "__func__", None) is not _NODE_ID:
        return None
    if not isinstance(owner, type) or not issubclass(owner, relay.Node):
        return None
    if definition.extensions or field.args:  # type: ignore[union-attr]
        return None
    for name in _NODE_DEFAULTS:
        if getattr(owner, name).__func__ is not getattr(relay.Node, name).__func__:
            return None
    kind, nullable = _unwrapped(field.type)
    if not is_leaf_type(kind):
        return None
    attribute = owner.resolve_id_attr()

    def read(root: Any, type_name: str) -> relay.GlobalID:
        if type(root) is not owner:
            raise _Unusual
        node_id = getattr(root, attribute)
        if node_id is None or inspect.isawaitable(node_id):
            raise _Unusual
        return relay.GlobalID(type_name=type_name, node_id=str(node_id))

    return read, type_name, LEAF, kind, nullable, False


class PlainFields(StrawberryGraphQLCoreExecutionContext):
    """strawberry's execution context, completing plain fields straight off their objects."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # graphql-core hands resolvers this context's own methods (``info.async_helpers``), the
        # one reference cycle a request made: it kept the request's context, loaders and reads
        # for the garbage collector to find. Bound to a weak proxy (they are called while the
        # context executes, alive), they go with the request's last reference to it.
        this, kind = proxy(self), type(self)
        self.async_helpers = GraphQLResolveInfoHelpers(
            partial(kind.gather_async_work, this), partial(kind.track_async_work, this)
        )
        found = _PLANS.get(self.schema)
        if found is None:
            found = _PLANS[self.schema] = {}
        self._plans = found
        self._selections: dict[int, tuple[object, Selection | None]] = {}
        """Per collected field set (by identity, kept alive beside its answer): its plain
        selection, or None when some field of it goes the usual way."""
        self._alone: dict[int, tuple[object, Selection | None]] = {}
        """The same for one field executed on its own, by its field list's identity."""
        manager = self.middleware_manager
        self._plain = manager is None or not manager.middlewares
        """No middleware wraps resolvers (strawberry's own execution passes an empty manager)."""
        self._shared = shared_for(self.operation, self.fragments) if self._plain else None
        """The templates shared by every request of this operation, when it may have them."""

    # -- the plans -------------------------------------------------------------------------

    def _plan(self, parent_type: GraphQLObjectType, name: str) -> Plan:
        key = (parent_type.name, name)
        try:
            return self._plans[key]
        except KeyError:
            field = self.schema.get_field(parent_type, name)
            found = None
            if field is not None:
                found = plan(field) or node_id_plan(field, parent_type.name)
            if found is not None and found[2] in (LEAF, LEAVES):
                found = (*found[:3], leaf_coercer(found[3]), *found[4:])
            self._plans[key] = found
            return found

    def _selection(self, parent_type: GraphQLObjectType, fields: Any) -> Selection | None:
        """The steps that complete an object of ``parent_type`` with these collected fields,
        when every one of them is plain (and so is every object's selection below)."""
        kept = self._selections.get(id(fields))
        if kept is not None:
            return kept[1]
        selection: Selection | None = None
        if self._plain:
            template = self._template(parent_type, fields)
            if template is not None:
                selection = template.bound(self.context_value)
        self._selections[id(fields)] = (fields, selection)
        return selection

    def _template(self, parent_type: GraphQLObjectType, fields: Any) -> Template | None:
        """``_selection``'s steps before a request's context is given, made once for every
        request of an operation whose fields do not change with its variables (``shapes``)."""
        shared = self._shared
        if shared is not None:
            key, nodes = shape_of(parent_type, fields)
            found = shared.get(key)
            if found is not None and all(a is b for a, b in zip(found[0], nodes, strict=True)):
                kept: Template | None = found[1]
                return kept
        steps = [self._step(parent_type, name, found) for name, found in fields.items()]
        template = None if None in steps else Template.of(tuple(steps))  # type: ignore[arg-type]
        if shared is not None:
            shared[key] = (nodes, template)
        return template

    def _step(
        self, parent_type: GraphQLObjectType, response_name: str, field_details_list: Any
    ) -> Step | None:
        if any(details.defer_usage is not None for details in field_details_list):
            return None
        name = field_details_list[0].node.name.value
        if name == "__typename":
            return response_name, None, "", TYPENAME, parent_type.name, False, False
        how = self._plan(parent_type, name)
        if how is None:
            return None
        read, attribute, holds, kind, nullable, items_nullable = how
        if holds in (OBJECT, OBJECTS):
            collected = self.collect_subfields(kind, field_details_list)
            if collected.new_defer_usages:
                return None
            below = self._template(kind, collected.grouped_field_set)
            if below is None:
                return None
            kind = (kind.is_type_of, below)
        return response_name, read, attribute, holds, kind, nullable, items_nullable

    # -- completing plainly ------------------------------------------------------------------

    def _complete(self, selection: Selection, source: Any) -> dict[str, Any]:
        """The object's answer, or ``_Unusual`` when something in it needs the usual way."""
        is_awaitable = self.is_awaitable
        answer: dict[str, Any] = {}
        for response_name, read, attribute, holds, kind, nullable, items_nullable in selection:
            if holds == TYPENAME:
                answer[response_name] = kind
                continue
            # only TYPENAME has none, and a bound selection keeps no AtOnce
            value = read(source, attribute)  # type: ignore[misc, operator]
            if value is None:
                if not nullable:
                    raise _Unusual
                answer[response_name] = None
                continue
            if is_awaitable(value):
                raise _Unusual
            if holds == LEAF:
                answer[response_name] = _coerced(kind, value)
            elif holds == OBJECT:
                answer[response_name] = self._object(kind, value)
            else:
                answer[response_name] = self._items(holds, kind, items_nullable, value)
        return answer

    def _items(self, holds: int, kind: Any, nullable: bool, values: Any) -> list[Any]:
        if type(values) is not list and type(values) is not tuple:
            raise _Unusual  # other iterables, and what is not one, the usual way
        items: list[Any] = []
        for value in values:
            if value is None:
                if not nullable:
                    raise _Unusual
                items.append(None)
            elif self.is_awaitable(value):
                raise _Unusual
            elif holds == LEAVES:
                items.append(_coerced(kind, value))
            else:
                items.append(self._object(kind, value))
        return items

    def _object(self, kind: tuple[Any, Selection], value: Any) -> dict[str, Any]:
        """An object's answer, once its type's check (if it has one) takes the value."""
        check, selection = kind
        if check is not None and not check(value, None):
            raise _Unusual  # graphql-core's way reports what it was given instead
        return self._complete(selection, value)

    # -- graphql-core's hooks ----------------------------------------------------------------

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Any,
        grouped_field_set: Any,
        position_context: Any,
    ) -> Any:
        selection = self._selection(parent_type, grouped_field_set)
        if selection is not None:
            try:
                return self._complete(selection, source_value)
            except Exception:  # the usual way below answers, or reports it as graphql-core does
                pass
        return super().execute_fields(
            parent_type, source_value, path, grouped_field_set, position_context
        )

    def execute_field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: Any,
        path: Any,
        position_context: Any,
    ) -> Any:
        if self._plain:
            kept = self._alone.get(id(field_details_list))
            if kept is None:
                step = self._step(parent_type, path.key, field_details_list)
                kept = self._alone[id(field_details_list)] = (
                    field_details_list,
                    None if step is None else Template.of((step,)).bound(self.context_value),
                )
            if kept[1] is not None:
                try:
                    return self._complete(kept[1], source)[path.key]
                except Exception:  # the usual way below reports it as graphql-core does
                    pass
        return super().execute_field(
            parent_type, source, field_details_list, path, position_context
        )


def _at_once(read: Callable[[Any, Any], Any], context: Any, root: Any, _attribute: str) -> Any:
    """A field answered at once: its ``AtOnce`` given the request's context. Its None (not at
    hand) is a null where the type forbids one: the field's resolver answers it the usual way."""
    return read(root, context)


def _coerced(coerce: Callable[[Any], Any], value: Any) -> Any:
    coerced = coerce(value)
    if coerced is None or coerced is Undefined:
        raise _Unusual
    return coerced
