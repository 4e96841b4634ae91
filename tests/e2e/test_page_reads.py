"""A page of ideas reads only the columns its answer asks for (``IDEA_READS``), and answers
every field of an idea as the idea read whole does.

The page's views of a partial read hold placeholders in the columns not read; a field whose
entry in ``IDEA_READS`` forgot a column would answer a placeholder here, where ``idea(id)``,
which reads the whole row, answers the idea's own value.
"""

from __future__ import annotations

from typing import Any

import pytest

from innovation.api import queries
from innovation.api.reads import IDEA_READS, idea_reads
from innovation.api.schema import build_schema
from innovation.config import ApiSettings, Settings
from innovation.projections import partial, queues, views
from tests.e2e.conftest import LIMITS, Api
from tests.integration.world import World

SELECTIONS = {
    "provenance": "{ sourceKind organisation country url external }",
    "score": "{ reach impact confidence effort strategicFit rice }",
    "ethics": "{ status verdict passesGate reviews { kind verdict reviewers note actor at } }",
    "mergedInto": "{ id title summary stage }",
    "experiments": "{ id hypothesis status outcome decision metrics { name latestValue } }",
    "runningExperiment": "{ id hypothesis }",
    "scoreHistory": "{ score { rice } scoredBy scoredAt }",
    "stageHistory": "{ fromStage toStage reason experimentId actor at }",
}
FIELDS = [name for name in IDEA_READS if name != "__typename"]
ORDERS = ("SCOUTED_AT", "UPDATED_AT", "SCORE", "STRATEGIC_FIT")


@pytest.fixture
def settings() -> Settings:
    """No answers kept: each request is read, not answered from memory."""
    return Settings.from_env({**LIMITS, "INNOVATION_ANSWER_CACHE_MB": "0"})


@pytest.fixture
async def scene(world: World) -> None:
    """Every kind of idea: validated, approved by ethics, revised, stopped, iterated, merged,
    rejected, scored, overridden, and one with a running experiment that uses personal data."""
    await world.everything()
    running = await world.submit(
        title="Self-healing home routers",
        country="ES",
        uses_personal_data=True,
        url="https://example.org/self-healing-routers",
    )
    await world.screen(running)
    await world.score(running)
    await world.start(running)


async def page_and_each(api: Api, selection: str) -> tuple[list[Any], list[Any]]:
    """The ideas of one page with ``selection``, and each of them read by ``idea(id)``."""
    page = await api.data(f"{{ ideas(first: 100) {{ edges {{ node {{ id {selection} }} }} }} }}")
    nodes = [edge["node"] for edge in page["ideas"]["edges"]]
    one_by_one = " ".join(
        f'i{index}: idea(id: "{node["id"]}") {{ id {selection} }}'
        for index, node in enumerate(nodes)
    )
    each = await api.data(f"{{ {one_by_one} }}")
    return nodes, [each[f"i{index}"] for index in range(len(nodes))]


@pytest.mark.parametrize("field", FIELDS)
async def test_a_page_answers_each_field_as_the_idea_read_whole(
    api: Api, scene: None, field: str, monkeypatch: pytest.MonkeyPatch
):
    asked: list[frozenset[str] | None] = []
    original = queues.idea_page

    def spied(*args: Any, fields: frozenset[str] | None = None, **kwargs: Any) -> Any:
        asked.append(fields)
        return original(*args, fields=fields, **kwargs)

    monkeypatch.setattr(queues, "idea_page", spied)

    nodes, each = await page_and_each(api, f"{field} {SELECTIONS.get(field, '')}")

    assert len(nodes) == 7
    assert nodes == each
    assert asked == [frozenset(IDEA_READS[field])], "the page read only what the field needs"


async def test_the_scene_tells_a_placeholder_from_a_value(api: Api, scene: None):
    """For every field answered above, some idea of the scene holds something other than the
    placeholder a partial view holds (``partial._UNREAD``), so a column forgotten would show."""
    nodes, _ = await page_and_each(
        api,
        "title summary stage themes usesAi usesPersonalData scout submittedBy submittedAt"
        " updatedAt version rejectionReason validatedVia validationReason score { rice }"
        " mergedInto { id } runningExperiment { id } provenance { sourceKind organisation"
        " country external url } ethics { status verdict passesGate }",
    )
    placeholders = {
        "title": "",
        "summary": "",
        "stage": "SCOUTED",
        "themes": [],
        "usesAi": False,
        "usesPersonalData": False,
        "scout": "",
        "submittedBy": "",
        "submittedAt": "1970-01-01T00:00:00+00:00",
        "updatedAt": "1970-01-01T00:00:00+00:00",
        "version": 0,
        "rejectionReason": None,
        "validatedVia": None,
        "validationReason": None,
        "score": None,
        "mergedInto": None,
        "runningExperiment": None,
    }
    for name, placeholder in placeholders.items():
        assert any(node[name] != placeholder for node in nodes), name
    provenance = {"sourceKind": "STARTUP", "organisation": "", "country": "", "external": False}
    for name, placeholder in provenance.items():
        assert any(node["provenance"][name] != placeholder for node in nodes), name
    assert any(node["provenance"]["url"] is not None for node in nodes)
    ethics = {"status": "NOT_REQUIRED", "verdict": None, "passesGate": False}
    for name, placeholder in ethics.items():
        assert any(node["ethics"][name] != placeholder for node in nodes), name


async def test_an_idea_reached_again_below_a_partial_page_is_read_whole(api: Api, scene: None):
    """The page's partial views are not handed to the idea's loader: an experiment's idea,
    below the page, is the idea itself."""
    page = await api.data(
        "{ ideas(first: 100) { edges { node { id title experiments { idea { id summary"
        " scout stage version } } } } } }"
    )
    nodes = [edge["node"] for edge in page["ideas"]["edges"]]
    below = [experiment["idea"] for node in nodes for experiment in node["experiments"]]
    assert below
    one_by_one = " ".join(
        f'i{index}: idea(id: "{idea["id"]}") {{ id summary scout stage version }}'
        for index, idea in enumerate(below)
    )
    each = await api.data(f"{{ {one_by_one} }}")

    assert below == [each[f"i{index}"] for index in range(len(below))]
    assert all(idea["summary"] for idea in below)


async def pages_through(api: Api, order: str, selection: str) -> list[tuple[str, Any]]:
    """Every idea of the scene, three a page, by cursors: each edge's cursor and node."""
    edges: list[tuple[str, Any]] = []
    after = None
    while True:
        page = await api.data(
            "query($order: IdeaOrder!, $after: String) { ideas(first: 3, after: $after,"
            f" orderBy: $order) {{ pageInfo {{ hasNextPage endCursor }} edges {{ cursor"
            f" node {{ id {selection} }} }} }} }}",
            {"order": _order(order), "after": after},
        )
        edges += [(edge["cursor"], edge["node"]) for edge in page["ideas"]["edges"]]
        if not page["ideas"]["pageInfo"]["hasNextPage"]:
            return edges
        after = page["ideas"]["pageInfo"]["endCursor"]


def _order(order: str) -> dict[str, str]:
    field, direction = order.split()
    return {"field": field, "direction": direction}


@pytest.mark.parametrize(
    "order",
    [f"{field} {direction}" for field in ORDERS for direction in ("ASC", "DESC")],
)
async def test_a_partial_page_is_cut_and_ordered_as_a_whole_one(
    api: Api, scene: None, order: str, monkeypatch: pytest.MonkeyPatch
):
    """Cursors and order come from the sort's own columns, read whatever the answer asks for:
    paging by ids alone meets the same ideas, in the same order, under the same cursors, as
    paging with every column read."""
    bare = await pages_through(api, order, "")
    monkeypatch.setattr(queries, "idea_reads", lambda names: None)  # read whole
    whole = await pages_through(api, order, "")

    assert len(bare) == 7
    assert bare == whole


def test_every_field_of_an_idea_says_what_it_reads():
    """A new field of ``Idea`` is not left to read everything unnoticed."""
    idea = build_schema(ApiSettings())._schema.get_type("Idea")
    assert set(idea.fields) | {"__typename"} == set(IDEA_READS)


def test_what_the_fields_read_is_held_by_columns():
    every = idea_reads(set(IDEA_READS))
    assert every is not None
    assert partial.idea_columns(every) == views.IDEA_COLUMNS
    names = [column.name for column in partial.idea_columns(frozenset({"title", "provenance"}))]
    assert names == [
        "idea_id",
        "title",
        "source_kind",
        "organisation",
        "country",
        "url",
        "external",
    ]
    assert idea_reads({"title", "nosuch"}) is None
    with pytest.raises(ValueError, match="no column holds the idea's nosuch"):
        partial.idea_columns(frozenset({"nosuch"}))
