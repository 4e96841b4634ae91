"""Whatever a caller sends as arguments, the API answers with data, a refusal or nothing found,
never with a failure of its own.

Every query and mutation of the schema is asked, by every role, with arguments drawn from the
schema's own types: well-formed values and the edges of each kind (NUL, half a UTF-16 surrogate
pair, bidirectional overrides, text far too long, the extreme numbers, dates out of range,
unknown enum names, ids of the wrong kind), real ids from a small pipeline among them. The draw
is seeded, so a failure names its document and variables and comes back on the next run.
"""

from __future__ import annotations

import base64
import json
import random
from typing import Any

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    build_schema,
)

from tests.e2e.conftest import Api
from tests.helpers import ROOT
from tests.integration.world import World

pytestmark = pytest.mark.slow

SCHEMA = build_schema((ROOT / "schema.graphql").read_text(encoding="utf-8"))
REQUESTS = 300
ROLES = ("scout", "lead", "ethics", "executive", "admin")

ODD_TEXT = [
    "",
    " ",
    "\x00",
    "fibre\x00cut",
    "\ud800",
    "a\udc00b",
    "\u202eevil",
    "\U0001f4a1",
    "x" * 3000,
    "<script>",
    "' OR 1=1 --",
    "2026-h1",
    "9999-H9",
    "generative-ai",
    "FR",
    "https://example.org",
]
ODD_NUMBERS = [0, 1, -1, 2**31 - 1, -(2**31), 100, 101]
ODD_FLOATS = [0.0, -1.0, 1e308, -1e308, 1e-300, 0.25, 50.5]
ODD_TIMES = ["2026-01-01T00:00:00Z", "1900-01-01T00:00:00+14:00", "2026-06-01T00:00:00", "x"]
ODD_DATES = ["2026-01-01", "2026-02-30", "0001-01-01", "9999-12-31", "x"]


def global_id(kind: str, raw: str) -> str:
    return base64.b64encode(f"{kind}:{raw}".encode()).decode()


class Draw:
    """Arguments for a field and a selection of its result, from the schema's types."""

    def __init__(self, seed: int, ids: list[str], metrics: list[str]) -> None:
        self.rnd = random.Random(seed)
        self.ids = [
            *ids,
            global_id("Idea", "\x00"),
            global_id("Experiment", "not-a-uuid"),
            global_id("Nothing", "1"),
            "\x00",
            "\ud800",
            "x",
        ]
        self.texts = ODD_TEXT + metrics

    def value(self, kind: GraphQLInputType) -> Any:
        if isinstance(kind, GraphQLNonNull):
            return self.value(kind.of_type)
        if self.rnd.random() < 0.05:
            return None
        if isinstance(kind, GraphQLList):
            return [self.value(kind.of_type) for _ in range(self.rnd.choice((0, 1, 2, 6)))]
        if isinstance(kind, GraphQLEnumType):
            return self.rnd.choice([*kind.values, "NOT_ONE_OF_THEM"])
        if isinstance(kind, GraphQLInputObjectType):
            return {
                name: self.value(field.type)
                for name, field in kind.fields.items()
                if isinstance(field.type, GraphQLNonNull) or self.rnd.random() < 0.6
            }
        return self.scalar(kind.name)

    def scalar(self, name: str) -> Any:
        choices: dict[str, list[Any]] = {
            "ID": self.ids,
            "String": self.texts,
            "Int": ODD_NUMBERS,
            "Float": ODD_FLOATS,
            "Boolean": [True, False],
            "DateTime": ODD_TIMES,
            "Date": ODD_DATES,
            "JSON": [{}, [], 1, "x"],
        }
        return self.rnd.choice(choices.get(name, self.texts))

    def selection(self, kind: GraphQLOutputType, depth: int = 0) -> str:
        while isinstance(kind, GraphQLNonNull | GraphQLList):
            kind = kind.of_type
        if not isinstance(kind, GraphQLObjectType):
            return ""
        if depth > 2:
            return "{ __typename }"
        parts = ["__typename"]
        for name, field in kind.fields.items():
            if any(isinstance(a.type, GraphQLNonNull) for a in field.args.values()):
                continue
            inner = field.type
            while isinstance(inner, GraphQLNonNull | GraphQLList):
                inner = inner.of_type
            if not isinstance(inner, GraphQLObjectType):
                parts.append(name)
            elif self.rnd.random() < 0.4:
                parts.append(f"{name} {self.selection(inner, depth + 1)}")
        return "{ " + " ".join(parts) + " }"

    def request(self) -> tuple[str, dict[str, Any], str]:
        operation, root = self.rnd.choice(
            [("query", SCHEMA.query_type), ("mutation", SCHEMA.mutation_type)]
        )
        assert root is not None
        name, field = self.rnd.choice(list(root.fields.items()))
        return self.document(operation, name, field)

    def document(self, operation: str, name: str, field: GraphQLField) -> tuple[str, Any, str]:
        given = {
            arg: self.value(spec.type)
            for arg, spec in field.args.items()
            if isinstance(spec.type, GraphQLNonNull) or self.rnd.random() < 0.5
        }
        declared = ", ".join(f"${arg}: {field.args[arg].type}" for arg in given)
        passed = ", ".join(f"{arg}: ${arg}" for arg in given)
        head = f"{operation}({declared})" if declared else operation
        call = f"{name}({passed})" if passed else name
        document = f"{head} {{ {call} {self.selection(field.type)} }}"
        return document, given, self.rnd.choice(ROLES)


@pytest.fixture
async def pipeline(world: World) -> tuple[list[str], list[str]]:
    """Ideas at several stages, one with a running experiment and a measurement."""
    scouted = await world.submit(title="Fibre cut finder from a lab")
    screened = await world.submit(title="Voice bot for the call centre", uses_ai=True)
    await world.screen(screened)
    trying = await world.submit(title="Alarm triage for the network centre")
    await world.screen(trying)
    experiment = await world.start(trying)
    await world.measure(experiment, "first-call resolution", 52.0)
    ids = [global_id("Idea", idea) for idea in (scouted, screened, trying)]
    return [*ids, global_id("Experiment", experiment)], ["first-call resolution"]


@pytest.mark.parametrize("seed", [1, 2])
async def test_no_argument_makes_the_api_fail(api: Api, pipeline, seed: int):
    ids, metrics = pipeline
    draw = Draw(seed, ids, metrics)
    failures = []
    for _ in range(REQUESTS):
        document, variables, role = draw.request()
        response = await api.client.post(
            "/graphql",
            content=json.dumps({"query": document, "variables": variables}),  # escapes as JSON
            headers={
                "Authorization": f"Bearer {api.tokens[role]}",
                "Content-Type": "application/json",
            },
        )
        failed = response.status_code >= 500 or "INTERNAL_SERVER_ERROR" in response.text
        if failed:
            failures.append((role, document, variables, response.status_code, response.text[:300]))

    assert not failures, f"{len(failures)} of {REQUESTS} failed, the first: {failures[:3]}"
