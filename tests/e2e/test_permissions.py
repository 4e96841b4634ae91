"""Every operation with every role, and with no token: exactly the allowed ones go through.

Each allowed attempt runs on fresh data made for it, so it must fully succeed; each
forbidden one must come back FORBIDDEN with none of the object's data; no token is 401.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from innovation.api.ids import global_id
from innovation.api.permissions import PERMISSIONS
from innovation.domain.ideas import RejectIdea, RequestEthicsReview
from innovation.services import Actor
from innovation.tokens import ROLES
from tests.e2e.conftest import Api
from tests.e2e.test_resending import experiment_start
from tests.integration.world import LEAD, FakeClock, World

ANYONE = [None, *ROLES]
EVERY_ROLE = set(ROLES)
LEADS = {"lead", "admin"}
# The policy, written out here on its own, so a wrong entry in the code's table is caught.
POLICY: dict[str, set[str]] = {
    **dict.fromkeys(
        [
            "me",
            "idea",
            "ideas",
            "experiment",
            "experiments",
            "pipeline",
            "similarIdeas",
            "history",
            "node",
            "themes",
        ],
        EVERY_ROLE,
    ),
    "submitIdea": {"scout", "lead", "admin"},
    "reviseIdea": {"scout", "lead", "admin"},
    **dict.fromkeys(
        [
            "scoreIdea",
            "advanceIdea",
            "rejectIdea",
            "reopenIdea",
            "amendExperiment",
            "addMetric",
            "mergeIdea",
            "startExperiment",
            "recordMeasurement",
            "correctMeasurement",
            "concludeExperiment",
            "overrideValidation",
            "requestEthicsReview",
        ],
        LEADS,
    ),
    "recordEthicsReview": {"ethics"},
    "events": EVERY_ROLE,
    **dict.fromkeys(["releases", "release", "nextRelease"], EVERY_ROLE),
    "assembleRelease": LEADS,
}


def idea_ref(idea_id: str) -> str:
    return global_id("Idea", idea_id)


def experiment_ref(experiment_id: str) -> str:
    return global_id("Experiment", experiment_id)


@dataclass
class Operation:
    name: str
    document: str
    prepare: Callable[[World, str], Awaitable[dict[str, Any]]]
    mutation: bool = False
    result: str = ""  # the payload's object field, for mutations


async def nothing(world: World, role: str) -> dict[str, Any]:
    return {}


async def an_idea(world: World, role: str) -> dict[str, Any]:
    return {"id": idea_ref(await world.submit())}


async def an_experiment(world: World, role: str) -> dict[str, Any]:
    idea_id = await world.submit()
    await world.screen(idea_id)
    return {"id": experiment_ref(await world.start(idea_id))}


def mutation(
    name: str, result: str, prepare: Callable[[World, str], Awaitable[dict[str, Any]]]
) -> Operation:
    payload_type = name[0].upper() + name[1:]
    document = (
        f"mutation($input: {payload_type}Input!) {{ {name}(input: $input) "
        f"{{ {result} {{ id }} errors {{ code message field }} }} }}"
    )
    return Operation(name, document, prepare, mutation=True, result=result)


async def submit_input(world: World, role: str) -> dict[str, Any]:
    return {
        "input": {
            "title": "Sovereign AI for business customers",
            "summary": "A hosted assistant built on European models.",
            "provenance": {"sourceKind": "STARTUP", "organisation": "Mistral AI", "country": "FR"},
            "themes": ["generative-ai"],
            "usesAi": True,
        }
    }


async def revise_input(world: World, role: str) -> dict[str, Any]:
    # The caller's own idea: scouts may revise only theirs.
    idea_id = await world.submit(actor=Actor(f"{role}:{role}", role))
    return {"input": {"ideaId": idea_ref(idea_id), "title": "A clearer title for this idea"}}


async def score_input(world: World, role: str) -> dict[str, Any]:
    idea_id = await world.submit()
    return {
        "input": {
            "ideaId": idea_ref(idea_id),
            "reach": 27000,
            "impact": 2,
            "confidence": 0.8,
            "effort": 6,
            "strategicFit": 5,
        }
    }


async def advance_input(world: World, role: str) -> dict[str, Any]:
    return {"input": {"ideaId": idea_ref(await world.submit()), "toStage": "SCREENING"}}


async def reject_input(world: World, role: str) -> dict[str, Any]:
    return {"input": {"ideaId": idea_ref(await world.submit()), "reason": "out of scope"}}


async def merge_input(world: World, role: str) -> dict[str, Any]:
    survivor = await world.submit()
    duplicate = await world.submit(title="The same idea, found twice")
    return {"input": {"ideaId": idea_ref(duplicate), "intoIdeaId": idea_ref(survivor)}}


async def start_input(world: World, role: str) -> dict[str, Any]:
    idea_id = await world.submit()
    await world.screen(idea_id)
    return experiment_start(idea_id)


async def measure_input(world: World, role: str) -> dict[str, Any]:
    reference = (await an_experiment(world, role))["id"]
    return {"input": {"experimentId": reference, "metric": "first-call resolution", "value": 58}}


async def correct_input(world: World, role: str) -> dict[str, Any]:
    idea_id = await world.submit()
    await world.screen(idea_id)
    experiment_id = await world.start(idea_id)
    await world.measure(experiment_id, "first-call resolution", 58)
    return {
        "input": {
            "experimentId": experiment_ref(experiment_id),
            "measurement": 2,
            "value": 57,
            "reason": "The dashboard rounded up.",
        }
    }


async def reopen_input(world: World, role: str) -> dict[str, Any]:
    idea_id = await world.submit()
    await world.run(RejectIdea(idea_id=idea_id, reason="Out of scope this year."))
    return {"input": {"ideaId": idea_ref(idea_id), "reason": "Back in scope after the review."}}


async def amend_input(world: World, role: str) -> dict[str, Any]:
    reference = (await an_experiment(world, role))["id"]
    return {"input": {"experimentId": reference, "pilotSite": "Brussels", "reason": "Site closed."}}


async def add_metric_input(world: World, role: str) -> dict[str, Any]:
    reference = (await an_experiment(world, role))["id"]
    handling = {
        "name": "handling time",
        "unit": "s",
        "baseline": 300,
        "target": 240,
        "direction": "LOWER_IS_BETTER",
    }
    return {"input": {"experimentId": reference, "metric": handling}}


async def conclude_input(world: World, role: str) -> dict[str, Any]:
    reference = (await an_experiment(world, role))["id"]
    return {"input": {"experimentId": reference, "outcome": "INCONCLUSIVE", "decision": "ITERATE"}}


async def override_input(world: World, role: str) -> dict[str, Any]:
    idea_id = await world.submit()
    await world.screen(idea_id)
    return {
        "input": {
            "ideaId": idea_ref(idea_id),
            "reason": "Already proven in production at the Luxembourg affiliate.",
        }
    }


async def request_review_input(world: World, role: str) -> dict[str, Any]:
    return {"input": {"ideaId": idea_ref(await world.submit(uses_ai=True))}}


async def record_review_input(world: World, role: str) -> dict[str, Any]:
    idea_id = await world.submit(uses_personal_data=True)
    await world.run(RequestEthicsReview(idea_id=idea_id))
    return {
        "input": {
            "ideaId": idea_ref(idea_id),
            "verdict": "APPROVED",
            "reviewers": ["Council member"],
        }
    }


async def a_release(world: World, role: str) -> dict[str, Any]:
    await world.services.releases.assemble("2023-H2", actor=LEAD, now=world.clock.now)
    return {"period": "2023-H2"}


async def assemble_input(world: World, role: str) -> dict[str, Any]:
    return {"input": {"period": "2023-H2"}}


OPERATIONS = [
    Operation("me", "{ me { name role } }", nothing),
    Operation("idea", "query($id: ID!) { idea(id: $id) { id title } }", an_idea),
    Operation("ideas", "{ ideas(first: 5) { edges { node { id title } } } }", an_idea),
    Operation("experiment", "query($id: ID!) { experiment(id: $id) { id } }", an_experiment),
    Operation("node", "query($id: ID!) { node(id: $id) { id } }", an_idea),
    Operation("themes", "{ themes }", nothing),
    Operation("experiments", "{ experiments(first: 5) { edges { node { id } } } }", an_experiment),
    Operation("pipeline", "{ pipeline { ideas byStage { key count } } }", an_idea),
    Operation("similarIdeas", '{ similarIdeas(text: "call centre analytics") { score } }', an_idea),
    Operation(
        "history",
        "query($id: ID!) { history(ideaId: $id) { edges { node { type } } } }",
        an_idea,
    ),
    mutation("submitIdea", "idea", submit_input),
    mutation("reviseIdea", "idea", revise_input),
    mutation("scoreIdea", "idea", score_input),
    mutation("advanceIdea", "idea", advance_input),
    mutation("rejectIdea", "idea", reject_input),
    mutation("mergeIdea", "idea", merge_input),
    mutation("reopenIdea", "idea", reopen_input),
    mutation("amendExperiment", "experiment", amend_input),
    mutation("addMetric", "experiment", add_metric_input),
    mutation("startExperiment", "experiment", start_input),
    mutation("recordMeasurement", "experiment", measure_input),
    mutation("correctMeasurement", "experiment", correct_input),
    mutation("concludeExperiment", "experiment", conclude_input),
    mutation("overrideValidation", "idea", override_input),
    mutation("requestEthicsReview", "idea", request_review_input),
    mutation("recordEthicsReview", "idea", record_review_input),
    Operation("releases", "{ releases(first: 5) { edges { node { period } } } }", nothing),
    Operation(
        "release", "query($period: String!) { release(period: $period) { period } }", a_release
    ),
    Operation("nextRelease", "{ nextRelease { period daysLeft } }", an_idea),
    Operation(
        "assembleRelease",
        "mutation($input: AssembleReleaseInput!) { assembleRelease(input: $input) "
        "{ release { period } errors { code message field } } }",
        assemble_input,
        mutation=True,
        result="release",
    ),
]


def test_the_permission_table_is_the_policy_and_every_operation_is_walked_here():
    walked = {operation.name for operation in OPERATIONS} | {"events"}  # events: websockets
    assert {name: set(roles) for name, roles in PERMISSIONS.items()} == POLICY
    assert walked == set(POLICY)


async def test_each_operation_succeeds_exactly_for_its_roles(api: Api, world: World):
    outcomes: list[tuple[str, str | None, str]] = []
    for operation in OPERATIONS:
        for role in ANYONE:
            variables = await operation.prepare(world, role or "lead")
            outcomes.append((operation.name, role, await attempt(api, operation, variables, role)))

    wrong = [
        (name, role, outcome) for name, role, outcome in outcomes if outcome != expected(name, role)
    ]
    assert not wrong, wrong


def expected(operation: str, role: str | None) -> str:
    if role is None:
        return "401"
    return "ok" if role in POLICY[operation] else "FORBIDDEN"


async def attempt(
    api: Api, operation: Operation, variables: dict[str, Any], role: str | None
) -> str:
    response = await api.post(operation.document, variables, as_=role)
    if response.status_code == 401:
        return "401"
    body = response.json()
    if operation.mutation:
        payload = (body.get("data") or {}).get(operation.name)
        if payload is None:
            return f"no payload: {body}"
        errors = payload["errors"]
        if not errors and payload[operation.result] is not None:
            return "ok"
        if [error["code"] for error in errors] == ["FORBIDDEN"] and payload[
            operation.result
        ] is None:
            return "FORBIDDEN"
        return f"unexpected: {payload}"
    if "errors" not in body and body["data"][operation.name] is not None:
        return "ok"
    codes = [error.get("extensions", {}).get("code") for error in body.get("errors", [])]
    data = body.get("data")
    if codes == ["FORBIDDEN"] and (data is None or data.get(operation.name) is None):
        return "FORBIDDEN"
    return f"unexpected: {body}"


async def test_a_scout_may_not_revise_someone_elses_idea(api: Api, world: World):
    other = await world.submit(actor=Actor("scout:scout2", "scout"))

    body = await api(
        "mutation($input: ReviseIdeaInput!) { reviseIdea(input: $input) "
        "{ idea { title } errors { code field } } }",
        {"input": {"ideaId": idea_ref(other), "title": "Taking over this idea"}},
        as_="scout",
    )

    assert body["data"]["reviseIdea"] == {
        "idea": None,
        "errors": [{"code": "FORBIDDEN", "field": "ideaId"}],
    }


async def test_an_anonymous_request_is_told_to_authenticate(api: Api):
    response = await api.post("{ me { name } }", as_=None)

    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert "me" not in response.text.replace("message", "")


async def test_a_revoked_or_made_up_token_is_refused(api: Api, database):
    from innovation.tokens import revoke_token

    await database.write(lambda c: revoke_token(c, "executive", FakeClock().now))

    revoked = await api.post("{ me { name } }", as_="executive")
    made_up = await api.client.post(
        "/graphql",
        json={"query": "{ me { name } }"},
        headers={"Authorization": "Bearer inv_" + "x" * 43},
    )

    assert revoked.status_code == 401
    assert made_up.status_code == 401
