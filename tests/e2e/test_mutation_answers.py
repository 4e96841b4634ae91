"""A mutation answers with its idea or experiment as its command's batch wrote them, without
reading them back when the batch holds them whole: every field of each is what a read right
after the mutation gives, for every mutation that answers with one."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import GraphQLObjectType, get_named_type, is_leaf_type, is_list_type, is_non_null_type

from innovation.api.schema import build_schema
from innovation.bootstrap import Services
from innovation.config import ApiSettings
from innovation.projections import views
from tests.e2e.conftest import Api
from tests.e2e.test_permissions import OPERATIONS, POLICY, Operation
from tests.integration.world import World

SCHEMA = build_schema(ApiSettings())._schema
ANSWERED = [op for op in OPERATIONS if op.mutation and op.result in ("idea", "experiment")]


def selection(type_name: str, depth: int = 2) -> str:
    """Every field of the type that takes no argument: leaves, and the fields of objects
    nested ``depth`` deep (lists and connections left out: they are read, not written)."""
    kind = SCHEMA.type_map[type_name]
    assert isinstance(kind, GraphQLObjectType)
    fields = []
    for name, field in kind.fields.items():
        if any(is_non_null_type(arg.type) for arg in field.args.values()):
            continue
        inner = field.type.of_type if is_non_null_type(field.type) else field.type
        if is_list_type(inner):
            continue
        named = get_named_type(field.type)
        if is_leaf_type(named):
            fields.append(name)
        elif depth > 1 and isinstance(named, GraphQLObjectType) and "Connection" not in named.name:
            fields.append(f"{name} {{ {selection(named.name, depth - 1)} }}")
    return " ".join(fields)


def role_for(operation: Operation) -> str:
    allowed = POLICY[operation.name]
    return "lead" if "lead" in allowed else sorted(allowed)[0]


@pytest.mark.parametrize("operation", ANSWERED, ids=lambda op: op.name)
async def test_the_answer_is_what_a_read_right_after_gives(
    api: Api, world: World, app_services: Services, operation: Operation, monkeypatch
):
    kind = "Idea" if operation.result == "idea" else "Experiment"
    fields = selection(kind)
    payload_type = operation.name[0].upper() + operation.name[1:]
    document = (
        f"mutation($input: {payload_type}Input!) {{ {operation.name}(input: $input) "
        f"{{ {operation.result} {{ {fields} }} errors {{ code message }} }} }}"
    )
    role = role_for(operation)
    variables = await operation.prepare(world, role)

    glances: list[Any] = []
    database = app_services.database
    original = database.glance

    async def glance(job: Any, **options: Any) -> Any:
        # What read_idea and read_experiment read back by key: the answered object itself
        # (loaders glance too, for what the answer nests).
        if getattr(job, "func", None) in (views.idea, views.experiment):
            glances.append(job)
        return await original(job, **options)

    monkeypatch.setattr(database, "glance", glance)
    answer = (await api.data(document, variables, as_=role))[operation.name]
    monkeypatch.undo()

    assert answer["errors"] == []
    answered = answer[operation.result]
    assert answered is not None
    read = await api.data(
        f"query($id: ID!) {{ node(id: $id) {{ ... on {kind} {{ {fields} }} }} }}",
        {"id": answered["id"]},
        as_=role,
    )
    assert answered == read["node"]
    assert not glances, f"{operation.name} read its {operation.result} back"
