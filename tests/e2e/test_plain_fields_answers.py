"""The product's documents answer the same with plain fields completed straight off their objects
(``PlainFields``) as with graphql-core completing every field itself.

Each document is sent twice to the same app over the same scene (every kind of idea, experiment,
metric, ethics review and a published release): once as served, once with ``PlainFields``'s
short ways switched off. The bodies must be equal, errors included.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from innovation.api.execution import PlainFields
from innovation.config import Settings
from tests.e2e.conftest import LIMITS, Api
from tests.e2e.test_releases_api import AFTER_H1, ASSEMBLE
from tests.integration.world import FakeClock, World
from tests.unit.test_plain_fields import the_usual_way

METRIC = """
name unit baseline target direction latestValue latestMeasuredAt changePct targetMet
measurementCount latestMeasurements { number value measuredAt recordedBy }
"""
EXPERIMENT = f"""
id hypothesis pilotSite startsOn endsOn status outcome decision note startedBy startedAt
concludedAt version metrics {{ {METRIC} }}
"""
IDEA = f"""
id title summary stage themes usesAi usesPersonalData scout submittedBy submittedAt updatedAt
version rejectionReason validatedVia validationReason asOfPosition
provenance {{ sourceKind organisation country url external }}
score {{ reach impact confidence effort strategicFit rice }}
ethics {{ status verdict passesGate reviews {{ kind verdict reviewers note actor at }} }}
experiments {{ {EXPERIMENT} }}
runningExperiment {{ id }}
mergedInto {{ id title }}
scoreHistory {{ score {{ rice }} scoredBy scoredAt }}
stageHistory {{ fromStage toStage reason experimentId actor at }}
"""
COUNTS = "key count"
PIPELINE = f"""
position ideas external externalShare byStage {{ {COUNTS} }} byTheme {{ {COUNTS} }}
bySourceKind {{ {COUNTS} }} byCountry {{ {COUNTS} }}
"""
RELEASE_ITEM = """
ideaId title summary sourceKind organisation country external themes scoutedAt validatedAt
validatedVia pilotSite metrics { name unit baseline target direction observed changePct met }
idea { id stage }
"""

DOCUMENTS: list[tuple[str, str, dict[str, Any] | None]] = [
    ("me and themes", "{ me { name role email } themes }", None),
    (
        "every idea, everything",
        f"{{ ideas(first: 50) {{ totalCount pageInfo {{ hasNextPage hasPreviousPage startCursor"
        f" endCursor }} edges {{ cursor node {{ {IDEA} }} }} }} }}",
        None,
    ),
    (
        "the bench's page",
        "query Page($order: IdeaOrderField!, $direction: SortDirection!) {"
        " ideas(first: 100, orderBy: {field: $order, direction: $direction}) { edges { node {"
        " title provenance { organisation country external }"
        " experiments { outcome decision metrics { name baseline latestValue changePct targetMet }"
        " } ethics { status } } } } }",
        {"order": "SCORE", "direction": "DESC"},
    ),
    (
        "aliases, typenames, fragments, directives",
        "query ($more: Boolean!) { ideas(first: 10) { __typename edges { __typename node {"
        " __typename ...Shown where: provenance { __typename c: country c2: country }"
        " score @include(if: $more) { rice } ethics @skip(if: $more) { status } } } } }"
        " fragment Shown on Idea { id t: title provenance { organisation } }",
        {"more": True},
    ),
    (
        "experiments",
        f"{{ experiments(first: 20) {{ edges {{ node {{ {EXPERIMENT} idea {{ id title }} }} }} }}"
        " }",
        None,
    ),
    ("pipeline", f"{{ pipeline {{ {PIPELINE} }} }}", None),
    ("pipeline as of", f'{{ pipeline(asOf: "2024-01-09T00:00:00Z") {{ {PIPELINE} asOf }} }}', None),
    (
        "releases",
        f"{{ releases {{ edges {{ node {{ period startsAt endsAt cutoff publishedAt publishedBy"
        f" items {{ {RELEASE_ITEM} }} stopped {{ ideaId title reason stoppedAt }}"
        f" figures {{ scouted external externalShare bySourceKind {{ {COUNTS} }}"
        f" byTheme {{ {COUNTS} }} byCountry {{ {COUNTS} }} experimentsStarted"
        f" experimentsConcluded reached {{ {COUNTS} }} conversion {{ fromStage toStage rate }}"
        f" medianDaysToValidation medianDaysToRelease }} digest {{ headline markdown }} }} }} }}"
        " }",
        None,
    ),
    (
        "next release",
        f"{{ nextRelease {{ period closesAt daysLeft cutoff candidates {{ {RELEASE_ITEM} }}"
        f" blocked {{ ideaId title stage reason }} }} }}",
        None,
    ),
    ("a field that is not there", "{ ideas { edges { node { nosuch } } } }", None),
]


@pytest.fixture
def settings() -> Settings:
    """No answers kept: the second request of each pair must run, not be answered from memory."""
    return Settings.from_env({**LIMITS, "INNOVATION_ANSWER_CACHE_MB": "0"})


@pytest.fixture
async def scene(api: Api, world: World, clock: FakeClock) -> str:
    """Every kind of idea, and the first half of 2024 released; the validated idea's id."""
    await world.everything()
    validated, _ = await world.validated_idea(title="Self-healing home routers", country="ES")
    clock.now = AFTER_H1
    await api.data(ASSEMBLE, {"period": "2024-H1"})
    return validated


async def both_ways(
    api: Api, body: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> tuple[httpx.Response, httpx.Response]:
    headers = {"Authorization": f"Bearer {api.tokens['lead']}"}
    plain = await api.client.post("/graphql", json=body, headers=headers)
    with monkeypatch.context() as patch:
        usual = StrawberryGraphQLCoreExecutionContext
        patch.setattr(PlainFields, "execute_fields", usual.execute_fields)
        patch.setattr(PlainFields, "execute_field", usual.execute_field)
        graphql_cores = await api.client.post("/graphql", json=body, headers=headers)
    return plain, graphql_cores


@pytest.mark.parametrize(("what", "query", "variables"), DOCUMENTS, ids=[d[0] for d in DOCUMENTS])
async def test_a_document_answers_the_same_with_plain_fields_as_graphql_cores_way(
    api: Api,
    scene: str,
    monkeypatch: pytest.MonkeyPatch,
    what: str,
    query: str,
    variables: dict[str, Any] | None,
):
    plain, graphql_cores = await both_ways(
        api, {"query": query, "variables": variables}, monkeypatch
    )

    assert plain.status_code == graphql_cores.status_code
    assert plain.json() == graphql_cores.json(), what
    if what != "a field that is not there":
        assert "errors" not in plain.json(), plain.json().get("errors")


async def test_one_idea_and_a_node_answer_the_same_both_ways(
    api: Api, scene: str, monkeypatch: pytest.MonkeyPatch
):
    from innovation.api.ids import global_id

    node = global_id("Idea", scene)
    query = (
        f"query ($id: ID!) {{ idea(id: $id) {{ {IDEA} }}"
        " node(id: $id) { __typename id ... on Idea { title provenance { country } } }"
        " history(ideaId: $id, first: 50) { edges { cursor node { position streamId version type"
        " description actor occurredAt correlationId data } } } }"
    )

    plain, graphql_cores = await both_ways(
        api, {"query": query, "variables": {"id": node}}, monkeypatch
    )

    assert plain.json() == graphql_cores.json()
    assert "errors" not in plain.json(), plain.json().get("errors")
    assert plain.json()["data"]["idea"]["provenance"]["country"] == "ES"


async def test_the_comparison_runs_two_different_ways(
    api: Api, scene: str, monkeypatch: pytest.MonkeyPatch
):
    """Without this, both answers above could come from the same way."""
    calls = the_usual_way(monkeypatch)
    body = {"query": "{ ideas(first: 5) { edges { node { title provenance { country } } } } }"}

    await both_ways(api, body, monkeypatch)

    assert calls.count("ideas") == 2
    plain = calls[: calls.index("ideas", 1)]
    graphql_cores = calls[calls.index("ideas", 1) :]
    assert "provenance" not in plain, "built straight off the idea"
    assert graphql_cores.count("provenance") == graphql_cores.count("country") == 5


async def test_the_page_with_its_experiments_and_metrics_is_built_straight_off_what_it_read(
    api: Api, scene: str, monkeypatch: pytest.MonkeyPatch
):
    """An idea's experiments and their metrics, read with its page, are answered at once
    (``answered_at_once``): past the root field, nothing of the page goes graphql-core's way."""
    _, query, variables = next(
        document for document in DOCUMENTS if document[0] == "the bench's page"
    )
    calls = the_usual_way(monkeypatch)
    headers = {"Authorization": f"Bearer {api.tokens['lead']}"}

    response = await api.client.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )

    ideas = [edge["node"] for edge in response.json()["data"]["ideas"]["edges"]]
    assert any(experiment["metrics"] for idea in ideas for experiment in idea["experiments"])
    assert calls == ["ideas"], calls
