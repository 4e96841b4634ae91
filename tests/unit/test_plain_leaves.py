"""Plain leaf fields read straight off their objects answer exactly as graphql-core's way does."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import Enum

import pytest
import strawberry
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from innovation.api.execution import PlainLeaves, plan
from innovation.api.schema import build_schema
from innovation.config import ApiSettings


@strawberry.enum
class Colour(Enum):
    RED = "red"
    BLUE = "blue"


@strawberry.type
class Thing:
    name: str
    count: int
    ratio: float | None
    colour: Colour
    at: datetime
    tags: list[str]
    missing: str  # given None: graphql-core's error for a null in a non-null field
    wrong: int  # given text: graphql-core's error for a value its type does not serialize
    hidden: strawberry.Private[str]

    @strawberry.field
    def computed(self) -> str:
        return self.hidden.upper()


def things() -> list[Thing]:
    at = datetime(2026, 12, 2, 9, 30, tzinfo=UTC)
    return [
        Thing(
            name="Alarm triage", count=3, ratio=0.5, colour=Colour.RED, at=at, tags=["a"],
            missing="there", wrong=1, hidden="pilot",
        ),
        Thing(
            name="Churn model", count=-1, ratio=None, colour=Colour.BLUE, at=at, tags=[],
            missing=None, wrong="many", hidden="lab",  # type: ignore[arg-type]
        ),
    ]  # fmt: skip


@strawberry.type
class Query:
    @strawberry.field
    def things(self) -> list[Thing]:
        return things()

    @strawberry.field
    def thing(self) -> Thing:
        return things()[1]


DOCUMENTS = [
    "{ things { name count ratio colour at tags computed } }",
    "{ things { name missing } }",
    "{ things { count wrong } }",
    "{ thing { name missing } }",
    "{ things { alias: name __typename n2: count } }",
]


@pytest.mark.parametrize("document", DOCUMENTS)
def test_answers_and_errors_are_those_of_graphql_cores_own_way(document, monkeypatch):
    usual = strawberry.Schema(query=Query)
    plain = strawberry.Schema(query=Query, execution_context_class=PlainLeaves)
    expected = usual.execute_sync(document)
    calls: list[str] = []
    usual_way = StrawberryGraphQLCoreExecutionContext.execute_field

    def counted(self, parent_type, source, field_details_list, path, position_context):  # noqa: ANN001, ANN202
        calls.append(field_details_list[0].node.name.value)
        return usual_way(self, parent_type, source, field_details_list, path, position_context)

    monkeypatch.setattr(StrawberryGraphQLCoreExecutionContext, "execute_field", counted)

    found = plain.execute_sync(document)

    assert found.data == expected.data
    assert [error.formatted for error in found.errors or []] == [
        error.formatted for error in expected.errors or []
    ]
    assert "name" not in calls, "a plain string is read straight off the object"
    assert calls.count("things") + calls.count("thing") == 1


def test_only_plain_leaves_take_the_short_way():
    schema = strawberry.Schema(query=Query)._schema
    thing = schema.type_map["Thing"]
    query = schema.type_map["Query"]

    assert plan(thing.fields["name"]) is not None
    assert plan(thing.fields["colour"]) is not None
    assert plan(thing.fields["computed"]) is None, "a resolver of its own"
    assert plan(thing.fields["tags"]) is None, "a list is completed item by item"
    assert plan(query.fields["things"]) is None


def test_the_product_schema_executes_with_it():
    assert build_schema(ApiSettings()).execution_context_class is PlainLeaves
