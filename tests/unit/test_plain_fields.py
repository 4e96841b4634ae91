"""Plain fields completed straight off their objects answer exactly as graphql-core's way does:
leaves, objects and lists of them, and whole objects whose selection is plain."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import Enum
from typing import Any

import pytest
import strawberry
from graphql import execute_sync, parse
from strawberry import relay
from strawberry.permission import BasePermission
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from innovation.api.execution import PlainFields, answered_at_once, node_id_plan, plan
from innovation.api.schema import build_schema
from innovation.config import ApiSettings


@strawberry.enum
class Colour(Enum):
    RED = "red"
    BLUE = "blue"


@strawberry.enum
class Size(Enum):
    SMALL = "s"
    LITTLE = "s"  # an alias: the same member as SMALL
    LARGE = "l"


@strawberry.type
class Part:
    label: str
    size: int | None


@strawberry.interface
class Named:
    name: str


@strawberry.type
class Badge(Named):
    """Implements an interface: graphql-core checks what it is given (``is_type_of``)."""

    level: int


@strawberry.type
class Sticker(Named):
    """Implements an interface and checks what it is given its own way."""

    @classmethod
    def is_type_of(cls, obj: object, info: strawberry.Info) -> bool:
        return isinstance(obj, cls)


@strawberry.type
class Widget(relay.Node):
    """A relay node: its ``id`` is strawberry's, the global id of ``Widget`` and ``code``."""

    code: relay.NodeID[str]
    name: str


class OddWidget(Widget):
    """A widget of another class, finding its id its own way (strawberry asks the class)."""

    @classmethod
    def resolve_id(cls, root: Widget, *, info: strawberry.Info) -> str:
        return f"odd-{root.code}"


@strawberry.type
class Gadget(relay.Node):
    """A relay node finding its id its own way: the usual way answers for it."""

    code: relay.NodeID[str]

    @classmethod
    def resolve_id(cls, root: Gadget, *, info: strawberry.Info) -> str:
        return root.code.upper()


class Allowed(BasePermission):
    message = "not allowed"

    def has_permission(self, source: object, info: strawberry.Info, **kwargs: object) -> bool:
        return True


@strawberry.type
class Thing:
    name: str
    count: int
    ratio: float | None
    colour: Colour
    colours: list[Colour]
    shade: Colour  # given a member's value rather than the member
    bad_colour: Colour  # given no colour of the enum: graphql-core's error
    size: Size
    at: datetime
    tags: list[str]
    missing: str  # given None: graphql-core's error for a null in a non-null field
    wrong: int  # given text: graphql-core's error for a value its type does not serialize
    part: Part
    spare: Part | None
    parts: list[Part]
    maybe_parts: list[Part | None] | None
    badge: Badge
    wrong_badge: Badge  # given a part: graphql-core's error for a value of another type
    sticker: Sticker
    broken: Part  # given None: a null object in a non-null field
    bad_parts: list[Part]  # given a None among them, or a generator
    hidden: strawberry.Private[str]

    @strawberry.field
    def computed(self) -> str:
        return self.hidden.upper()

    @strawberry.field
    def resolved_part(self) -> Part:
        return self.part

    @strawberry.field(metadata=answered_at_once(lambda thing, _: thing.parts_at_hand()))
    def known_parts(self) -> list[Part]:
        """Answered at once when the thing counts some; else by this resolver."""
        return self.parts

    @strawberry.field(metadata=answered_at_once(lambda thing, _: thing.parts_at_hand()))
    def maybe_known_parts(self) -> list[Part] | None:
        """May be null: None from its ``AtOnce`` could not tell "not at hand" from null."""
        return self.parts

    @strawberry.field(
        metadata=answered_at_once(lambda thing, _: thing.parts_at_hand()),
        permission_classes=[Allowed],
    )
    def guarded_parts(self) -> list[Part]:
        """A permission to check: the resolver's way, always."""
        return self.parts

    @strawberry.field(metadata=answered_at_once(lambda _, context: (context or {}).get("parts")))
    def asked_parts(self, info: strawberry.Info) -> list[Part]:
        """The parts the request's context brings: at once, when it brings some."""
        return (info.context or {}).get("parts") or []

    def parts_at_hand(self) -> list[Part] | None:
        return self.parts if self.count > 0 else None


def things() -> list[Thing]:
    at = datetime(2026, 12, 2, 9, 30, tzinfo=UTC)
    return [
        Thing(
            name="Alarm triage", count=3, ratio=0.5, colour=Colour.RED, at=at, tags=["a"],
            colours=[Colour.BLUE, Colour.RED], shade="red", bad_colour="green", size=Size.LITTLE,
            missing="there", wrong=1, part=part("router", 2), spare=None,
            parts=[part("fan", None), part("case", 1)], maybe_parts=[None, part("lid", 3)],
            badge=Badge(name="gold", level=1), broken=part("ok", 1), bad_parts=[part("a", 1)],
            hidden="pilot", wrong_badge=Badge(name="fine", level=2), sticker=Sticker(name="s"),
        ),
        Thing(
            name="Churn model", count=-1, ratio=None, colour=Colour.BLUE, at=at, tags=[],
            colours=[], shade=Colour.BLUE, bad_colour=Size.LARGE, size=Size.LARGE,
            missing=None, wrong="many", part=part("model", None), spare=part("backup", 0),
            parts=[], maybe_parts=None, badge=Badge(name="grey", level=0),
            broken=None, bad_parts=(p for p in [part("b", 2), None]), hidden="lab",
            wrong_badge=part("not a badge", 1), sticker=Sticker(name="t"),
        ),
    ]  # type: ignore[arg-type]  # fmt: skip


def part(label: str, size: int | None) -> Part:
    return Part(label=label, size=size)


@strawberry.type
class Query:
    @strawberry.field
    def things(self) -> list[Thing]:
        return things()

    @strawberry.field
    def thing(self) -> Thing:
        return things()[1]

    @strawberry.field
    def thing_at(self, index: int) -> Thing:
        return things()[index]

    @strawberry.field
    def widgets(self) -> list[Widget]:
        return [Widget(code="w-1", name="hub"), Widget(code="w-2", name="bridge")]

    @strawberry.field
    def lost_widget(self) -> Widget | None:
        return Widget(code=None, name="lost")  # type: ignore[arg-type]

    @strawberry.field
    def odd_widgets(self) -> list[Widget]:
        return [Widget(code="w-3", name="plain"), OddWidget(code="w-4", name="odd")]

    @strawberry.field
    def gadgets(self) -> list[Gadget]:
        return [Gadget(code="g-1")]


DOCUMENTS = [
    "{ things { name count ratio colour at tags computed } }",
    "{ things { name missing } }",
    "{ things { colour colours shade size } }",
    "{ things { name badColour } }",
    "{ things { count wrong } }",
    "{ thing { name missing } }",
    "{ things { alias: name __typename n2: count } }",
    "{ things { name part { label size __typename } spare { label } } }",
    "{ things { parts { label size } maybeParts { label } tags } }",
    "{ things { badge { name level __typename } } }",
    "{ things { name wrongBadge { name } } }",
    "{ things { sticker { name } } }",
    "{ things { name broken { label } } }",
    "{ thing { broken { label } } }",
    "{ things { badParts { label } } }",
    "{ things { resolvedPart { label size } part { a: label b: label } } }",
    "{ things { part { label } part { size } ...More } } fragment More on Thing { spare { size } }",
    "query ($with: Boolean!) { things { part { label size @include(if: $with) } "
    "name @skip(if: $with) } }",
    "{ widgets { id name } }",
    "{ gadgets { id } }",
    "{ lostWidget { name id } }",
    "{ oddWidgets { id } }",
    "{ things { name knownParts { label size } maybeKnownParts { label } } }",
    "{ things { guardedParts { label } } }",
]


def the_usual_way(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the fields that go graphql-core's way from now on, in the order they go."""
    calls: list[str] = []
    usual_way = StrawberryGraphQLCoreExecutionContext.execute_field

    def counted(self, parent_type, source, field_details_list, path, position_context):  # noqa: ANN001, ANN202
        calls.append(field_details_list[0].node.name.value)
        return usual_way(self, parent_type, source, field_details_list, path, position_context)

    monkeypatch.setattr(StrawberryGraphQLCoreExecutionContext, "execute_field", counted)
    return calls


@pytest.mark.parametrize("document", DOCUMENTS)
def test_answers_and_errors_are_those_of_graphql_cores_own_way(document, monkeypatch):
    usual = strawberry.Schema(query=Query)
    plain = strawberry.Schema(query=Query, execution_context_class=PlainFields)
    variables = {"with": False} if "$with" in document else None
    expected = usual.execute_sync(document, variable_values=variables)
    calls = the_usual_way(monkeypatch)

    found = plain.execute_sync(document, variable_values=variables)

    assert found.data == expected.data
    assert [error.formatted for error in found.errors or []] == [
        error.formatted for error in expected.errors or []
    ]
    assert "name" not in calls, "a plain string is read straight off the object"
    if "colours" in document:
        assert "colour" not in calls, "an enum's member named straight off the object"
    if "thing" in document:
        assert calls.count("things") + calls.count("thing") == 1
    if "part {" in document and "broken" not in document:
        assert "part" not in calls, "a plain object is built straight off its attribute"
    if "resolvedPart" in document:
        assert "label" not in calls, "an object of plain fields is built in one go"
    if "widgets" in document:
        assert "id" not in calls, "strawberry's own global id, made straight off the node"
    if "wrongBadge" in document:
        assert calls.count("wrongBadge") == 1, "the part given for a badge: the usual way"
    if "badge {" in document:
        assert "badge" not in calls, "strawberry's check of a badge made straight off it"
    if "sticker" in document:
        assert calls.count("sticker") == 2, "a check of its own: the usual way"
    if "knownParts" in document:
        assert calls.count("knownParts") == 1, "at hand for the first thing, not the second"
        assert calls.count("maybeKnownParts") == 2, "nullable: the resolver's way"
    if "guardedParts" in document:
        assert calls.count("guardedParts") == 2, "a permission to check: the resolver's way"
    if "gadgets" in document or "lostWidget" in document or "oddWidgets" in document:
        assert calls.count("id") == 1, "an id found another way, or a null one: the usual way"


def test_an_unusual_value_sends_its_field_the_usual_way(monkeypatch):
    """A null in a non-null object, or a list other than a list, is answered (with its error)
    by graphql-core itself: the object holding it goes the usual way, the others do not."""
    plain = strawberry.Schema(query=Query, execution_context_class=PlainFields)
    calls = the_usual_way(monkeypatch)

    found = plain.execute_sync("{ things { broken { label } badParts { label } } }")

    assert calls == ["things", "broken"], "the second thing alone the usual way, up to its null"
    assert [error.path for error in found.errors or []] == [["things", 1, "broken"]]
    assert found.data is None, "a null thing in a list of non-null things nulls the list"


def test_only_plain_fields_take_the_short_way():
    schema = strawberry.Schema(query=Query)._schema
    thing = schema.type_map["Thing"]
    query = schema.type_map["Query"]

    assert plan(thing.fields["name"]) is not None
    assert plan(thing.fields["colour"]) is not None
    assert plan(thing.fields["tags"]) is not None
    assert plan(thing.fields["part"]) is not None
    assert plan(thing.fields["maybeParts"]) is not None
    assert plan(thing.fields["computed"]) is None, "a resolver of its own"
    assert plan(thing.fields["resolvedPart"]) is None, "a resolver of its own"
    assert plan(thing.fields["badge"]) is not None, "strawberry's own check, made here too"
    assert plan(thing.fields["sticker"]) is None, "an object type that checks its own way"
    assert plan(query.fields["things"]) is None
    assert plan(thing.fields["knownParts"]) is not None, "a resolver answered at once"
    assert plan(thing.fields["maybeKnownParts"]) is None, "null or not at hand: cannot tell"
    assert plan(thing.fields["guardedParts"]) is None, "a permission to check first"


def test_a_relay_node_id_takes_the_short_way_only_as_strawberry_gives_it():
    schema = strawberry.Schema(query=Query)._schema

    widget_id = schema.type_map["Widget"].fields["id"]
    assert plan(widget_id) is None, "a resolver, strawberry's own"
    assert node_id_plan(widget_id, "Widget") is not None
    assert node_id_plan(schema.type_map["Gadget"].fields["id"], "Gadget") is None
    assert node_id_plan(schema.type_map["Thing"].fields["computed"], "Thing") is None


def test_the_product_schema_executes_with_it():
    assert build_schema(ApiSettings()).execution_context_class is PlainFields


SCHEMA = strawberry.Schema(query=Query)._schema


def asked_again(
    document: str, answers: list[tuple[dict[str, object], object]], parsed: Any = None
) -> list[Any]:
    """One parsed document (``parsed``, or ``document`` parsed once) asked again with each
    (variables, context), as the service asks a document it keeps: each answer as
    graphql-core's own way gives it, and the plain way's."""
    schema = SCHEMA
    parsed = parse(document) if parsed is None else parsed
    found = []
    for variables, context in answers:
        usual = execute_sync(schema, parse(document), None, context, variables)
        plain = execute_sync(schema, parsed, None, context, variables, executor_class=PlainFields)
        assert plain.data == usual.data
        assert [e.formatted for e in plain.errors or []] == [
            e.formatted for e in usual.errors or []
        ]
        found.append(plain.data)
    return found


def test_a_document_asked_again_shares_its_selections_and_answers_from_its_own_values(
    monkeypatch,
):
    """The fields below each object are collected once for every request of a kept document
    (graphql-core collects those of the root field's own answer each time); the answers are
    each request's own."""
    collected: list[str] = []
    collect = PlainFields.collect_subfields

    def counted(self, return_type, field_details_list):  # noqa: ANN001, ANN202
        collected.append(return_type.name)
        return collect(self, return_type, field_details_list)

    monkeypatch.setattr(PlainFields, "collect_subfields", counted)
    document = (
        "query ($i: Int!) { thingAt(index: $i) { name part { label size } parts { label }"
        " badge { name } } }"
    )
    parsed = parse(document)
    runs, collections = [], []
    for index in (0, 1, 0):
        collected.clear()
        runs.append(asked_again(document, [({"i": index}, None)], parsed)[0])
        collections.append(list(collected))
    assert [run["thingAt"]["name"] for run in runs] == [  # type: ignore[index]
        "Alarm triage",
        "Churn model",
        "Alarm triage",
    ]
    assert runs[0] == runs[2]
    assert {"Part", "Badge"} <= set(collections[0]), "the first request collects what is below"
    assert collections[1:] == [["Thing"], ["Thing"]], "later ones: graphql-core's own alone"


def test_a_field_answered_at_once_is_given_each_requests_own_context():
    document = "{ thingAt(index: 0) { name askedParts { label } } }"
    answers = asked_again(
        document,
        [
            ({}, {"parts": [part("fan", 1)]}),
            ({}, {"parts": [part("lid", 2), part("case", 3)]}),
            ({}, {"parts": [part("fan", 1)]}),
        ],
    )
    assert [[p["label"] for p in a["thingAt"]["askedParts"]] for a in answers] == [  # type: ignore[index]
        ["fan"],
        ["lid", "case"],
        ["fan"],
    ]


def test_a_document_whose_fields_follow_its_variables_is_collected_for_each_request():
    """The same fields of a thing whatever the variables, but not of its part below: kept
    for every request, the part's would be those of the first."""
    document = (
        "query ($with: Boolean!) { thingAt(index: 0) { name"
        " part { label @skip(if: $with) size } ...Spare } }"
        " fragment Spare on Thing { spare { label } }"
    )
    answers = asked_again(
        document, [({"with": True}, None), ({"with": False}, None), ({"with": True}, None)]
    )
    assert answers[0] == answers[2] != answers[1]
    assert answers[1] == {
        "thingAt": {"name": "Alarm triage", "part": {"label": "router", "size": 2}, "spare": None}
    }
