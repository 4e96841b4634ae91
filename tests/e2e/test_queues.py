"""A product lead's queues: ideas ordered and filtered, paged both ways with Relay cursors."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from innovation.api.ids import global_id
from innovation.api.types import Experiment
from innovation.bootstrap import Services
from innovation.domain.ideas import MergeIdea, RequestEthicsReview, ScoreIdea
from innovation.domain.values import Score
from innovation.projections import paging, queues
from innovation.services import Actor
from tests.e2e.conftest import Api
from tests.integration.world import LEAD, World

QUEUE = """
query($filter: IdeaFilter, $orderBy: IdeaOrder, $first: Int, $after: String,
      $last: Int, $before: String) {
  ideas(filter: $filter, orderBy: $orderBy, first: $first, after: $after,
        last: $last, before: $before) {
    totalCount
    edges { cursor node { title } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}"""


async def queue(api: Api, as_: str = "lead", **variables: Any) -> dict[str, Any]:
    return (await api.data(QUEUE, variables, as_=as_))["ideas"]  # type: ignore[no-any-return]


def titles(page: dict[str, Any]) -> list[str]:
    return [edge["node"]["title"] for edge in page["edges"]]


async def scored(world: World, title: str, reach: int, fit: int) -> str:
    idea_id = await world.submit(title=title)
    score = Score(reach=reach, impact=1, confidence=1, effort=1, strategic_fit=fit)
    await world.run(ScoreIdea(idea_id=idea_id, score=score))
    return idea_id


async def test_ideas_ordered_by_score_page_stably_both_ways_with_cursors(api: Api, world: World):
    # Given five ideas, two of them tied on score, and one not yet scored
    await scored(world, "idea B", reach=200, fit=1)
    await scored(world, "idea A", reach=500, fit=2)
    await scored(world, "idea C", reach=200, fit=5)
    await world.submit(title="unscored")
    await scored(world, "idea D", reach=100, fit=3)
    order = {"field": "SCORE", "direction": "DESC"}

    # When a lead walks the list two at a time, forwards and then backwards
    forwards: list[list[str]] = []
    after = None
    while True:
        page = await queue(api, orderBy=order, first=2, after=after)
        forwards.append(titles(page))
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    last_page = await queue(api, orderBy=order, last=2)
    before_it = await queue(api, orderBy=order, last=2, before=last_page["pageInfo"]["startCursor"])
    ascending = await queue(api, orderBy={"field": "SCORE", "direction": "ASC"}, first=10)

    # Then every idea comes once, best first, ties in a stable order, unscored last
    flat = [title for page in forwards for title in page]
    assert flat[0] == "idea A"
    assert flat[3:] == ["idea D", "unscored"]
    assert sorted(flat[1:3]) == ["idea B", "idea C"]
    assert titles(last_page) == flat[-2:]
    assert last_page["pageInfo"]["hasPreviousPage"] is True
    assert titles(before_it) == flat[-4:-2]
    assert titles(ascending) == list(reversed(flat))


async def test_ideas_ordered_by_strategic_fit_and_by_last_change(api: Api, world: World):
    low = await scored(world, "low fit", reach=900, fit=1)
    await scored(world, "high fit", reach=10, fit=5)
    await world.screen(low)  # the latest change of all

    by_fit = await queue(api, orderBy={"field": "STRATEGIC_FIT", "direction": "DESC"})
    by_change = await queue(api, orderBy={"field": "UPDATED_AT", "direction": "DESC"})
    by_scouting = await queue(api, orderBy={"field": "SCOUTED_AT", "direction": "ASC"})

    assert titles(by_fit) == ["high fit", "low fit"]
    assert titles(by_change) == ["low fit", "high fit"]
    assert titles(by_scouting) == ["low fit", "high fit"]


async def test_a_cursor_of_one_ordering_is_refused_by_another(api: Api, world: World):
    await scored(world, "idea A", reach=1, fit=1)
    await scored(world, "idea B", reach=2, fit=2)
    page = await queue(api, orderBy={"field": "SCORE", "direction": "DESC"}, first=1)

    body = await api(QUEUE, {"first": 1, "after": page["pageInfo"]["endCursor"]})

    [error] = body["errors"]
    assert error["extensions"] == {
        "code": "BAD_USER_INPUT",
        "errorCode": "VALIDATION",
        "field": "after",
    }


async def test_a_leads_filters_find_unscored_running_and_under_review_ideas(api: Api, world: World):
    # Given an unscored idea, an idea in a running pilot and one waiting for the ethics council
    await world.submit(title="unscored")
    running = await scored(world, "in a pilot", reach=10, fit=3)
    await world.screen(running)
    await world.start(running)
    review = await world.submit(title="under review", uses_ai=True)
    await world.score(review)
    await world.run(RequestEthicsReview(idea_id=review))

    unscored = await queue(api, filter={"scored": False})
    piloted = await queue(api, filter={"hasRunningExperiment": True})
    not_piloted = await queue(api, filter={"hasRunningExperiment": False, "scored": True})
    requested = await queue(api, filter={"ethicsStatus": "REQUESTED"})

    assert (titles(unscored), unscored["totalCount"]) == (["unscored"], 1)
    assert titles(piloted) == ["in a pilot"]
    assert titles(not_piloted) == ["under review"]
    assert titles(requested) == ["under review"]


async def test_a_scout_sees_their_own_ideas_and_a_lead_filters_by_scout(api: Api, world: World):
    await world.submit(title="mine", actor=Actor("scout:scout", "scout"))
    await world.submit(title="someone else's", actor=Actor("scout:scout2", "scout"))

    mine = await queue(api, as_="scout", filter={"mine": True})
    theirs = await queue(api, filter={"scout": "scout:scout2"})

    assert (titles(mine), mine["totalCount"]) == (["mine"], 1)
    assert titles(theirs) == ["someone else's"]


async def test_first_zero_answers_only_the_count_and_whether_there_is_more(api: Api, world: World):
    await world.submit()

    page = await queue(api, first=0)

    assert page["edges"] == []
    assert page["totalCount"] == 1
    assert page["pageInfo"]["hasNextPage"] is True


@pytest.mark.parametrize("listing", ["ideas", "experiments"])
async def test_a_page_asked_for_no_edge_cursor_encodes_its_ends_alone_and_pages_the_same(
    api: Api, world: World, monkeypatch: pytest.MonkeyPatch, listing: str
):
    """Encoding every row's cursor took a fifteenth of the CPU of a page of 100 ideas: a page
    that asks for none encodes the two its ``pageInfo`` gives, and they are the same."""
    for _ in range(5):
        idea_id = await world.submit()
        await world.screen(idea_id)
        await world.start(idea_id)
    encoded: list[tuple[object, ...]] = []
    encode = paging.encode_cursor
    monkeypatch.setattr(paging, "encode_cursor", lambda *p: encoded.append(p) or encode(*p))
    edge = "IdeaEdge" if listing == "ideas" else "ExperimentEdge"
    ends = "pageInfo { startCursor endCursor hasNextPage }"

    def ask(edges: str) -> str:
        page = f"{listing}(first: 3, after: $after) {{ edges {{ {edges} node {{ id }} }} {ends} }}"
        fragment = f" fragment edge on {edge} {{ c: cursor }}" if edges else ""
        return f"query($after: String) {{ {page} }}{fragment}"

    bare = (await api.data(ask("")))[listing]
    assert len(encoded) == 2
    whole = (await api.data(ask("...edge")))[listing]  # a cursor asked through a fragment
    assert len(encoded) == 2 + 3
    rest = (await api.data(ask(""), {"after": bare["pageInfo"]["endCursor"]}))[listing]

    cursors = [edge["c"] for edge in whole["edges"]]
    assert bare["pageInfo"] == whole["pageInfo"]
    assert [bare["pageInfo"]["startCursor"], bare["pageInfo"]["endCursor"]] == cursors[::2]
    assert [edge["node"] for edge in bare["edges"]] == [edge["node"] for edge in whole["edges"]]
    ids = [edge["node"]["id"] for edge in bare["edges"] + rest["edges"]]
    assert len(ids) == len(set(ids)) == 5


async def test_experiments_page_backwards_too(api: Api, world: World):
    started = []
    for _ in range(3):
        idea_id = await world.submit()
        await world.screen(idea_id)
        started.append(global_id("Experiment", await world.start(idea_id)))

    data = await api.data(
        "{ experiments(last: 2) { edges { node { id } } pageInfo { hasPreviousPage } } }"
    )

    page = data["experiments"]
    assert [edge["node"]["id"] for edge in page["edges"]] == started[1::-1]
    assert page["pageInfo"]["hasPreviousPage"] is True


async def test_ideas_are_filtered_by_country_code_in_any_case_and_a_name_is_refused(
    api: Api, world: World
):
    await world.submit(title="Mobile money fraud alerts", country="SN")
    await world.submit(title="Fibre slots booked online", country="FR")
    query = "query($c: String) { ideas(filter: {country: $c}) { totalCount } }"

    found = {given: await api(query, {"c": given}) for given in ("sn", "SN", " ", "France")}

    assert [found[given]["data"]["ideas"]["totalCount"] for given in ("sn", "SN", " ")] == [1, 1, 2]
    [error] = found["France"]["errors"]
    assert (error["extensions"]["code"], error["extensions"]["field"]) == (
        "BAD_USER_INPUT",
        "filter.country",
    )
    assert "ISO 3166-1 alpha-2" in error["message"]


async def test_a_theme_no_idea_carries_and_none_configured_is_refused_naming_the_field(
    api: Api, world: World, app_services: Services, monkeypatch: pytest.MonkeyPatch
):
    await world.submit(title="Fibre slots booked online", themes=("customer-experience",))
    query = "query($t: String) { ideas(filter: {theme: $t}) { totalCount } }"
    asked = ("customer-experience", "cybersecurity", " ")

    found = {given: await api(query, {"t": given}) for given in asked}
    misspelt = await api(query, {"t": "cyber-security"})
    settings = app_services.settings
    pipeline = replace(settings.pipeline, themes=("cybersecurity",))
    monkeypatch.setattr(app_services, "settings", replace(settings, pipeline=pipeline))
    dropped = await api(query, {"t": "customer-experience"})  # configured once, carried still

    assert [found[given]["data"]["ideas"]["totalCount"] for given in found] == [1, 0, 1]
    [error] = misspelt["errors"]
    assert (error["extensions"]["code"], error["extensions"]["field"]) == (
        "BAD_USER_INPUT",
        "filter.theme",
    )
    assert "'cyber-security' is not a theme" in error["message"]
    assert "cybersecurity" in error["message"]
    assert dropped["data"]["ideas"]["totalCount"] == 1


async def test_experiments_count_every_page_of_what_the_filter_keeps(api: Api, world: World):
    await world.validated_idea()
    for _ in range(2):
        idea_id = await world.submit()
        await world.screen(idea_id)
        await world.start(idea_id)

    data = await api.data(
        """query($idea: ID!) {
          all: experiments(first: 1) { totalCount edges { node { id } } }
          running: experiments(filter: {status: RUNNING}, first: 1) { totalCount }
          validated: experiments(filter: {outcome: VALIDATED}) { totalCount }
          ofIdea: experiments(filter: {ideaId: $idea}) { totalCount }
        }""",
        {"idea": global_id("Idea", idea_id)},
    )

    assert len(data["all"]["edges"]) == 1
    assert data["all"]["totalCount"] == 3
    assert data["running"]["totalCount"] == 2
    assert data["validated"]["totalCount"] == 1
    assert data["ofIdea"]["totalCount"] == 1


@pytest.mark.parametrize(
    ("listing", "page"),
    [("ideas", "idea_page"), ("experiments", "experiment_page")],
)
async def test_a_count_asked_alone_reads_no_page_and_counts_what_a_page_counts(
    api: Api, world: World, monkeypatch: pytest.MonkeyPatch, listing: str, page: str
):
    await world.validated_idea()
    idea_id = await world.submit(themes=("cybersecurity",))
    await world.screen(idea_id)
    await world.start(idea_id)
    pages_read: list[str] = []
    read_page = getattr(queues, page)

    def reading(*args: Any, **options: Any) -> Any:
        pages_read.append(listing)
        return read_page(*args, **options)

    monkeypatch.setattr(queues, page, reading)
    filtered = (
        'filter: {theme: "cybersecurity"}' if listing == "ideas" else "filter: {status: RUNNING}"
    )
    alone = await api.data(
        f"{{ all: {listing}(first: 1) {{ totalCount __typename }}"
        f" some: {listing}({filtered}) {{ totalCount }} }}"
    )
    assert pages_read == [], "nothing of a page was asked for"

    paged = await api.data(
        f"{{ all: {listing}(first: 1) {{ totalCount edges {{ node {{ id }} }} }}"
        f" some: {listing}({filtered}) {{ totalCount pageInfo {{ hasNextPage }} }} }}"
    )
    assert pages_read == [listing, listing]
    assert [alone["all"]["totalCount"], alone["some"]["totalCount"]] == [2, 1]
    assert [paged["all"]["totalCount"], paged["some"]["totalCount"]] == [2, 1]
    assert alone["all"]["__typename"] == (
        "IdeaConnection" if listing == "ideas" else "ExperimentConnection"
    )


METRICS = "metrics { name unit baseline target direction latestValue changePct targetMet }"


async def test_a_page_of_experiments_reads_their_metrics_with_it(
    api: Api, world: World, monkeypatch: pytest.MonkeyPatch
):
    """A page of experiments asked with their metrics reads them in the page's own read and
    answers each at once: loaded experiment by experiment, a page of 100 took twice as long."""
    await world.validated_idea()  # an experiment concluded, its metric measured
    idea_id = await world.submit()
    await world.screen(idea_id)
    await world.start(idea_id)
    page = f"{{ experiments(first: 5) {{ edges {{ node {{ id {METRICS} }} }} }} }}"
    one = f"query($id: ID!) {{ experiment(id: $id) {{ {METRICS} }} }}"
    ids = [edge["node"]["id"] for edge in (await api.data(page))["experiments"]["edges"]]
    one_by_one = {id_: (await api.data(one, {"id": id_}))["experiment"]["metrics"] for id_ in ids}

    def loaded(*_: Any) -> None:
        raise AssertionError("a metric of the page loaded on its own")

    monkeypatch.setattr(Experiment, "_metrics", loaded)
    again = page.replace("first: 5", "first: 4")  # another document: not the answer kept
    edges = (await api.data(again))["experiments"]["edges"]

    assert {edge["node"]["id"]: edge["node"]["metrics"] for edge in edges} == one_by_one
    assert len(one_by_one) == 2
    assert all(one_by_one.values())


async def test_any_object_is_found_by_its_global_id_on_the_root_query(api: Api, world: World):
    idea_id = await world.submit(title="Found by node")
    await world.screen(idea_id)
    experiment_id = await world.start(idea_id)

    data = await api.data(
        """query($idea: ID!, $experiment: ID!, $missing: ID!) {
          idea: node(id: $idea) { id ... on Idea { title } }
          experiment: node(id: $experiment) { ... on Experiment { pilotSite } }
          missing: node(id: $missing) { id }
        }""",
        {
            "idea": global_id("Idea", idea_id),
            "experiment": global_id("Experiment", experiment_id),
            "missing": global_id("Idea", "00000000-0000-0000-0000-000000000000"),
        },
    )

    assert data["idea"] == {"id": global_id("Idea", idea_id), "title": "Found by node"}
    assert data["experiment"] == {"pilotSite": "Orange Luxembourg contact centre"}
    assert data["missing"] is None


@pytest.mark.parametrize("name", ["Release", "Foo", "UserError"])
async def test_an_id_of_a_type_that_has_none_is_refused_naming_the_field(api: Api, name: str):
    answer = await api("query($id: ID!) { node(id: $id) { id } }", {"id": global_id(name, "1")})

    [error] = answer["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["field"] == "id"
    assert error["message"] == f"{name} is not a type with ids"


@pytest.mark.parametrize("given", ["garbage", "", "Zm9v"])
async def test_a_node_id_that_is_no_global_id_is_refused_naming_the_field(api: Api, given: str):
    answer = await api("query($id: ID!) { node(id: $id) { id } }", {"id": given})

    [error] = answer["errors"]
    assert (error["extensions"]["code"], error["extensions"]["field"]) == ("BAD_USER_INPUT", "id")
    assert error["message"] == f"{given!r} is not an id this API hands out"


async def test_the_configured_themes_are_listed(api: Api, app_services):
    data = await api.data("{ themes }", as_="scout")

    assert data["themes"] == list(app_services.settings.pipeline.themes)
    assert "generative-ai" in data["themes"]


async def test_the_pipeline_and_the_ideas_list_count_the_same_ideas(api: Api, world: World):
    # Given three ideas, one of them merged into another
    survivor = await world.submit(title="survivor")
    duplicate = await world.submit(title="duplicate")
    await world.submit(title="third")
    await world.run(MergeIdea(idea_id=duplicate, into_idea_id=survivor))

    data = await api.data(
        """{
          pipeline { ideas byStage { key count } }
          live: ideas(filter: {includeMerged: false}) { totalCount }
          all: ideas { totalCount }
        }"""
    )

    assert data["pipeline"]["ideas"] == data["live"]["totalCount"] == 2
    assert data["all"]["totalCount"] == sum(s["count"] for s in data["pipeline"]["byStage"]) == 3


async def test_an_ideas_history_pages_backwards_from_its_latest_event(api: Api, world: World):
    idea_id = await world.submit()
    await world.screen(idea_id)
    await world.score(idea_id)
    query = """query($id: ID!, $last: Int, $before: String) {
      history(ideaId: $id, last: $last, before: $before) {
        edges { cursor node { type } }
        pageInfo { hasPreviousPage startCursor }
      }
    }"""

    latest = (await api.data(query, {"id": global_id("Idea", idea_id), "last": 2}))["history"]
    earlier = (
        await api.data(
            query,
            {
                "id": global_id("Idea", idea_id),
                "last": 2,
                "before": latest["pageInfo"]["startCursor"],
            },
        )
    )["history"]

    assert [edge["node"]["type"] for edge in latest["edges"]] == ["idea.advanced", "idea.scored"]
    assert latest["pageInfo"]["hasPreviousPage"] is True
    assert [edge["node"]["type"] for edge in earlier["edges"]] == ["idea.submitted"]
    assert earlier["pageInfo"]["hasPreviousPage"] is False


async def test_releases_page_backwards_too(api: Api, world: World):
    for period in ("2022-H2", "2023-H1", "2023-H2"):
        await world.services.releases.assemble(period, actor=LEAD, now=world.clock.now)
    query = """query($last: Int, $before: String) {
      releases(last: $last, before: $before) {
        edges { node { period } } pageInfo { hasPreviousPage hasNextPage }
      }
    }"""

    oldest = (await api.data(query, {"last": 2}))["releases"]
    newer = (await api.data(query, {"last": 1, "before": "2023-H1"}))["releases"]

    assert [edge["node"]["period"] for edge in oldest["edges"]] == ["2023-H1", "2022-H2"]
    assert oldest["pageInfo"]["hasPreviousPage"] is True
    assert [edge["node"]["period"] for edge in newer["edges"]] == ["2023-H2"]
    assert newer["pageInfo"] == {"hasPreviousPage": False, "hasNextPage": True}


async def test_the_kinds_of_ethics_review_entries_are_an_enum_of_the_schema(api: Api):
    data = await api.data(
        """{
          entry: __type(name: "EthicsReviewEntry") {
            fields { name type { kind ofType { name } } }
          }
          kind: __type(name: "EthicsReviewKind") { enumValues { name } }
        }"""
    )

    kind = next(field for field in data["entry"]["fields"] if field["name"] == "kind")
    assert kind["type"] == {"kind": "NON_NULL", "ofType": {"name": "EthicsReviewKind"}}
    assert [value["name"] for value in data["kind"]["enumValues"]] == ["REQUESTED", "RECORDED"]


async def test_the_leads_queue_query_in_the_readme_runs_as_printed(api: Api, world: World):
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    section = readme[readme.index("A lead's working queue") :]
    query = section[section.index("```graphql") + len("```graphql") : section.index("```\n")]
    await world.submit(title="Waiting to be scored")

    data = await api.data(query)

    assert [edge["node"]["title"] for edge in data["toScore"]["edges"]] == ["Waiting to be scored"]
    assert data["themes"]
