"""Every input type is built from its plan (``api/inputs.py``) into the very value strawberry
builds field by field: nested inputs, lists of them, leaf lists, enums, dates, explicit nulls,
omitted fields and their defaults."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import strawberry
from graphql import GraphQLInputObjectType, Undefined, coerce_input_value
from strawberry.schema.config import StrawberryConfig
from strawberry.types.arguments import convert_argument
from strawberry.types.base import StrawberryObjectDefinition

from innovation.api.inputs import Plan
from innovation.api.queues import IdeaFilter
from innovation.api.schema import InnovationSchema, build_schema
from innovation.config import ApiSettings

SCHEMA = build_schema(ApiSettings())

SUBMISSION = {
    "title": "Alarm triage for the network operations centre",
    "summary": "Group alarms before an operator sees them.",
    "provenance": {"sourceKind": "STARTUP", "organisation": "NOC", "country": "FR"},
    "themes": ["networks-cloud", "generative-ai"],
    "usesAi": True,
}
METRIC = {"name": "daily alarms", "unit": "alarms", "baseline": 900, "target": 300}
START = {
    "ideaId": "SWRlYTox",
    "hypothesis": "Alarms fall by two thirds when triaged first.",
    "pilotSite": "Network operations centre",
    "startsOn": "2024-03-01",
    "endsOn": "2024-06-30",
    "metrics": [
        {**METRIC, "direction": "LOWER_IS_BETTER"},
        {**METRIC, "name": "tickets", "direction": "HIGHER_IS_BETTER"},
    ],
    "clientMutationId": "start-1",
}
CASES = [
    ("SubmitIdeaInput", SUBMISSION),
    ("SubmitIdeaInput", {**SUBMISSION, "scout": None, "themes": [], "clientMutationId": "k-1"}),
    ("StartExperimentInput", START),
    ("RecordMeasurementInput", {"experimentId": "RXhwOjE=", "metric": "m", "value": 1.5}),
    (
        "RecordMeasurementInput",
        {"experimentId": "x", "metric": "m", "value": 2, "measuredAt": "2024-03-04T10:00:00Z"},
    ),
    ("IdeaFilter", {}),
    ("IdeaFilter", {"stages": ["SCOUTED", "SCREENING"], "sourceKind": "PARTNER", "mine": True}),
    ("IdeaFilter", {"stages": None, "scoutedFrom": "2025-01-01T00:00:00+01:00", "text": "meter"}),
    ("IdeaOrder", {}),
    ("IdeaOrder", {"field": "SCORE", "direction": "ASC"}),
]


def definitions(schema: InnovationSchema) -> list[StrawberryObjectDefinition]:
    found = [concrete.definition for concrete in schema.schema_converter.type_map.values()]
    return [d for d in found if isinstance(d, StrawberryObjectDefinition) and d.is_input]


@contextmanager
def strawberry_alone(schema: InnovationSchema) -> Iterator[None]:
    """Every input type without its plan, as strawberry builds it by itself."""
    planned = {id(d): (d, d.from_input) for d in definitions(schema)}
    for definition, _ in planned.values():
        definition.from_input = None
    try:
        yield
    finally:
        for definition, plan in planned.values():
            definition.from_input = plan


def built(name: str, raw: dict[str, Any]) -> Any:
    """The value a request's executor hands over (coerced by graphql-core), then built."""
    graphql_type = SCHEMA._schema.type_map[name]
    assert isinstance(graphql_type, GraphQLInputObjectType)
    value = coerce_input_value(raw, graphql_type)
    assert value is not Undefined, f"{raw} is not a valid {name}"
    origin = SCHEMA.schema_converter.type_map[name].definition.origin  # type: ignore[union-attr]
    return convert_argument(value, origin, SCHEMA.schema_converter.scalar_registry, SCHEMA.config)


def test_every_input_type_is_built_from_a_plan():
    assert definitions(SCHEMA)
    assert all(isinstance(d.from_input, Plan) for d in definitions(SCHEMA))


@pytest.mark.parametrize(("name", "raw"), CASES)
def test_a_plan_builds_what_strawberry_builds(name: str, raw: dict[str, Any]):
    ours = built(name, raw)
    with strawberry_alone(SCHEMA):
        theirs = built(name, raw)

    assert type(ours) is type(theirs)
    assert ours == theirs
    assert repr(ours) == repr(theirs)  # the nested values' own types too


def test_a_leaf_list_is_a_copy_not_the_value_handed_over():
    raw = {"stages": ["SCOUTED"]}
    graphql_type = SCHEMA._schema.type_map["IdeaFilter"]
    assert isinstance(graphql_type, GraphQLInputObjectType)
    value = coerce_input_value(raw, graphql_type)
    origin = SCHEMA.schema_converter.type_map["IdeaFilter"].definition.origin  # type: ignore[union-attr]

    ours = convert_argument(value, origin, SCHEMA.schema_converter.scalar_registry, SCHEMA.config)

    assert ours.stages == value["stages"]
    assert ours.stages is not value["stages"]


@strawberry.type
class SnakeQuery:
    @strawberry.field
    def narrowed(self, filter: IdeaFilter) -> str:
        return f"{filter.source_kind} {filter.include_merged}"


def test_a_schema_that_names_fields_otherwise_gets_its_own_steps():
    """The plans were made under the product's camelCase names; a schema that keeps the
    Python names must not be handed those."""
    snake = strawberry.Schema(query=SnakeQuery, config=StrawberryConfig(auto_camel_case=False))
    assert isinstance(IdeaFilter.__strawberry_definition__.from_input, Plan)
    assert built("IdeaFilter", {"sourceKind": "PARTNER"}).source_kind is not None

    answer = snake.execute_sync(
        "{ narrowed(filter: {source_kind: PARTNER, include_merged: false}) }"
    )

    assert answer.errors is None
    assert answer.data == {"narrowed": "PARTNER False"}
