"""A subscription's ``streamPrefix`` is refused only when no stream of the log can match it."""

from __future__ import annotations

import pytest

from innovation.api.subscriptions import could_match


@pytest.mark.parametrize(
    "prefix",
    ["i", "idea", "idea-", "idea-0190a1b2-", "experiment-", "release-2026-H1", "delivery-", "e"],
)
def test_a_prefix_some_stream_may_begin_with_is_taken(prefix: str):
    assert could_match(prefix)


@pytest.mark.parametrize("prefix", ["ideas-", "Idea-", "experiments", "x", "release_2026"])
def test_a_prefix_no_stream_begins_with_is_not(prefix: str):
    assert not could_match(prefix)


def test_kinds_left_out_match_nothing():
    shown = ("idea-", "experiment-", "release-")

    assert not could_match("delivery-2026-H1", shown)
    assert not could_match("d", shown)
    assert could_match("i", shown)
