"""Looking ahead at what a caller selected: aliases, fragments and paths, from the document."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from graphql import FieldNode, FragmentDefinitionNode, OperationDefinitionNode, parse

from innovation.api.selections import selected_at, selects

DOCUMENT = """
query {
  ideas {
    edges { node { title ...Nested } }
    other: edges { node { ... on Idea { experiments { hypothesis } } } }
  }
}
fragment Nested on Idea { experiments { metrics { name } } }
fragment Unused on Idea { ethics { status } }
"""


def info_for(document: str) -> Any:
    """What a resolver of the operation's first field is handed, as far as lookahead reads."""
    parsed = parse(document)
    operation = next(d for d in parsed.definitions if isinstance(d, OperationDefinitionNode))
    fragments = {
        d.name.value: d for d in parsed.definitions if isinstance(d, FragmentDefinitionNode)
    }
    [field] = operation.selection_set.selections
    assert isinstance(field, FieldNode)
    return SimpleNamespace(_raw_info=SimpleNamespace(field_nodes=[field], fragments=fragments))


def names(fields: list[FieldNode]) -> list[str]:
    return [field.name.value for field in fields]


def test_a_path_is_followed_through_every_alias_and_fragment():
    info = info_for(DOCUMENT)

    assert names(selected_at(info, ())) == ["ideas"]
    assert names(selected_at(info, ("edges", "node"))) == ["node", "node"]
    assert names(selected_at(info, ("edges", "node", "experiments"))) == [
        "experiments",
        "experiments",
    ]
    assert names(selected_at(info, ("edges", "node", "experiments", "metrics"))) == ["metrics"]


def test_what_is_not_selected_is_not_found():
    info = info_for(DOCUMENT)

    assert selected_at(info, ("edges", "node", "ethics")) == [], "an unused fragment counts not"
    assert selected_at(info, ("nodes", "title")) == []
    assert selects(info, "edges")
    assert not selects(info, "node"), "only what is right below the field"
    assert not selects(info_for("{ pipeline }"), "ideas"), "a field without a selection"
