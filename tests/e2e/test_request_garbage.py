"""A GraphQL request leaves nothing for the garbage collector to find: its execution context,
and with it the request's context, loaders and what they read, go with its last reference.

graphql-core hands resolvers the context's own methods (``info.async_helpers``), a reference
cycle that kept all of it until a collection; ``PlainFields`` binds them to a weak proxy.
Checked with the collector switched off during the request: anything still alive after it is
held by a cycle (or by something that keeps it, which would be a leak).
"""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator
from typing import Any

import pytest

from innovation.api.execution import PlainFields
from tests.e2e.conftest import Api
from tests.integration.world import World

PAGE = """
{ ideas(first: 10) { edges { node { id title provenance { organisation }
  experiments { outcome metrics { name latestValue targetMet } } ethics { status } } } } }
"""
IDEA = "query ($id: ID!) { idea(id: $id) { title experiments { hypothesis } } }"
SUBMIT = """
mutation ($input: SubmitIdeaInput!) { submitIdea(input: $input) {
  idea { id title } errors { code message } } }
"""


@pytest.fixture
def executions(monkeypatch: pytest.MonkeyPatch) -> list[weakref.ref[PlainFields]]:
    """A weak reference to every execution context made from here on."""
    made: list[weakref.ref[PlainFields]] = []
    original = PlainFields.__init__

    def recording(self: PlainFields, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        made.append(weakref.ref(self))

    monkeypatch.setattr(PlainFields, "__init__", recording)
    return made


@pytest.fixture
def no_collector() -> Iterator[None]:
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


async def test_queries_and_mutations_free_their_execution_by_reference_counting(
    api: Api, world: World, executions: list[weakref.ref[PlainFields]], no_collector: None
) -> None:
    idea_id = await world.submit(title="Edge caching from a university lab")
    await world.screen(idea_id)
    await world.score(idea_id)
    experiment_id = await world.start(idea_id)
    await world.measure(experiment_id, "first-call resolution", 61.0)

    page = await api.data(PAGE)
    assert page["ideas"]["edges"][0]["node"]["experiments"][0]["metrics"]
    await api.data(IDEA, {"id": page["ideas"]["edges"][0]["node"]["id"]})
    submitted = await api.data(
        SUBMIT,
        {
            "input": {
                "title": "Network slicing for stadium events",
                "summary": "A partner operator's trial, found at a trade fair.",
                "provenance": {
                    "sourceKind": "PARTNER",
                    "organisation": "Telco Partner",
                    "country": "DE",
                    "external": True,
                },
                "themes": ["networks-cloud"],
            }
        },
        as_="scout",
    )
    assert submitted["submitIdea"]["errors"] == []

    assert len(executions) == 3
    alive = [ref() for ref in executions if ref() is not None]
    assert not alive, f"{len(alive)} of 3 execution contexts outlived their requests"
