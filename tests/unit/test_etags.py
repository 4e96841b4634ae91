"""An ETag names exactly one (document, operation, variables, caller, position)."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from strawberry.http import GraphQLRequestData

from innovation.api.answers import etag_of

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(),  # NaN and the infinities included: a client may send them
    st.text(max_size=8),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=8,
)
VARIABLES = st.dictionaries(st.sampled_from(["first", "after", "filter", "x"]), VALUES, max_size=3)


def asked(
    variables: dict[str, Any] | None, query: str = "query Q { me { name } }"
) -> GraphQLRequestData:
    return GraphQLRequestData(
        query=query, variables=variables, operation_name="Q", extensions=None, protocol="http"
    )


def canonical(variables: dict[str, Any] | None) -> str:
    return json.dumps(variables or {}, sort_keys=True, separators=(",", ":"))


@given(VARIABLES, VARIABLES)
def test_two_sets_of_variables_share_an_etag_only_when_they_are_the_same_json(
    a: dict[str, Any], b: dict[str, Any]
):
    same = etag_of(asked(a), "token", 7) == etag_of(asked(b), "token", 7)

    assert same == (canonical(a) == canonical(b))


def test_nan_infinity_and_null_are_told_apart():
    tags = {
        etag_of(asked({"x": value}), "token", 7)
        for value in (None, float("nan"), float("inf"), float("-inf"), "null")
    }

    assert len(tags) == 5


def test_the_order_of_keys_does_not_matter():
    first = etag_of(asked({"a": 1, "b": {"c": 2, "d": 3}}), "token", 7)
    second = etag_of(asked({"b": {"d": 3, "c": 2}, "a": 1}), "token", 7)

    assert first == second


def test_each_part_of_the_key_changes_the_etag():
    base = etag_of(asked({"x": 1}), "token", 7)

    assert etag_of(asked({"x": 2}), "token", 7) != base
    assert etag_of(asked({"x": 1}), "another token", 7) != base
    assert etag_of(asked({"x": 1}), "token", 8) != base
    assert etag_of(asked({"x": 1}, "query Q { me { role } }"), "token", 7) != base
    assert etag_of(asked(None), "token", 7) == etag_of(asked({}), "token", 7)
