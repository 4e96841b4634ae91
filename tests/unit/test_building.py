"""``built`` makes exactly what the type's own constructor makes, whichever way it goes."""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
from types import SimpleNamespace
from typing import Any

import msgspec
import pytest
import strawberry

import innovation.api
from innovation.api.building import _stores_only, built


def _graphql_types() -> list[type]:
    """Every strawberry object type the API defines (the types ``built`` makes)."""
    found: dict[str, type] = {}
    for module in pkgutil.iter_modules(innovation.api.__path__, "innovation.api."):
        for value in vars(importlib.import_module(module.name)).values():
            if (
                isinstance(value, type)
                and dataclasses.is_dataclass(value)
                and hasattr(value, "__strawberry_definition__")
                and value.__module__.startswith("innovation.api")
            ):
                found[f"{value.__module__}.{value.__qualname__}"] = value
    return sorted(found.values(), key=lambda kind: kind.__qualname__)


TYPES = _graphql_types()


def _init_names(kind: type) -> list[str]:
    return [field.name for field in dataclasses.fields(kind) if field.init]


def test_the_api_types_are_found_and_the_common_ones_take_the_short_way() -> None:
    names = {kind.__name__ for kind in TYPES}
    assert {"Idea", "Experiment", "Metric", "Provenance", "Score"} <= names
    assert all(_stores_only(kind) for kind in TYPES if kind.__name__ in {"Idea", "Provenance"})


@pytest.mark.parametrize("kind", TYPES, ids=lambda kind: kind.__qualname__)
def test_built_equals_the_constructor_for_every_api_type(kind: type) -> None:
    names = _init_names(kind)
    values = {name: object() for name in names}  # a value of its own for every field
    half = dict(list(values.items())[::2])
    source = SimpleNamespace(**{k: v for k, v in values.items() if k not in half})
    made = built(kind, source, **half)
    expected = kind(**values)
    assert type(made) is kind
    assert vars(made) == vars(expected)
    assert list(vars(made)) == list(vars(expected))  # stored in the same order


@strawberry.type
class Plain:
    a: int
    b: str


@dataclasses.dataclass
class Checked:
    a: int
    seen: list[int] = dataclasses.field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        self.seen.append(self.a)


@dataclasses.dataclass(frozen=True)
class Frozen:
    a: int


@dataclasses.dataclass
class WithDefault:
    a: int
    b: int = dataclasses.field(init=False, default=7)


@dataclasses.dataclass
class Slotted:
    __slots__ = ("a",)
    a: int


class Value(msgspec.Struct, frozen=True):
    a: int
    b: str = "b"


@pytest.mark.parametrize(
    ("kind", "short"),
    [(Plain, True), (Checked, False), (Frozen, False), (WithDefault, False), (Slotted, False)],
)
def test_a_type_whose_init_does_more_than_store_is_called(kind: Any, short: bool) -> None:
    assert _stores_only(kind) is short
    source = SimpleNamespace(a=1, b="x")
    made = built(kind, source)
    assert made == kind(**{name: getattr(source, name) for name in _init_names(kind)})
    if kind is Checked:
        assert made.seen == [1]  # its __post_init__ ran
    if kind is WithDefault:
        assert made.b == 7


def test_a_struct_is_called_with_its_fields() -> None:
    assert built(Value, SimpleNamespace(a=1), b="given") == Value(a=1, b="given")
    assert not _stores_only(Value)


def test_a_given_name_that_is_no_field_is_refused() -> None:
    with pytest.raises(TypeError, match="no field c"):
        built(Plain, SimpleNamespace(a=1, b="x"), c=3)
    with pytest.raises(TypeError, match="no field c"):
        built(Value, SimpleNamespace(a=1), c=3)


def test_a_missing_attribute_fails_as_before() -> None:
    with pytest.raises(AttributeError):
        built(Plain, SimpleNamespace(a=1))
