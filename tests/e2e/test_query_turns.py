"""Which requests take a turn to start (``innovation/api/turns.py``), and that their answers are
the same for it.

On SQLite, a query that waited for the log's position takes one; a query that follows nothing
but its document, a mutation, or an answer already kept does not; on PostgreSQL none does.
"""

from __future__ import annotations

import asyncio

import pytest

from innovation.api.turns import Turns
from innovation.config import Settings
from tests.e2e.conftest import LIMITS, Api
from tests.e2e.test_resending import SUBMIT, submission
from tests.integration.world import World

PAGE = "{ ideas(first: 5) { edges { node { title experiments { hypothesis } } } } }"


@pytest.fixture
def settings() -> Settings:
    """No answers kept: each page is run, so each one's turn shows."""
    return Settings.from_env({**LIMITS, "INNOVATION_ANSWER_CACHE_MB": "0"})


@pytest.fixture
def taken(monkeypatch: pytest.MonkeyPatch) -> list[None]:
    """One entry for each turn taken."""
    counted: list[None] = []
    take = Turns.take

    async def counting(self: Turns) -> None:
        counted.append(None)
        await take(self)

    monkeypatch.setattr(Turns, "take", counting)
    return counted


async def test_a_query_that_follows_the_log_takes_a_turn_on_sqlite_only(
    api: Api, world: World, backend: str, taken: list[None]
):
    await world.submit(title="Open-source network digital twin", country="DE")

    answered = await api.post(PAGE)

    assert answered.status_code == 200
    assert answered.json()["data"]["ideas"]["edges"][0]["node"]["title"]
    assert len(taken) == (1 if backend == "sqlite" else 0)


async def test_what_does_not_wait_for_the_log_takes_no_turn(
    api: Api, world: World, taken: list[None]
):
    typename = await api.post("{ __typename }")
    me = await api.post("{ me { name role } }")
    submitted = await api.post(SUBMIT, submission("turns-1"), "scout")

    assert typename.json() == {"data": {"__typename": "Query"}}
    assert me.json()["data"]["me"]["role"] == "LEAD"
    assert submitted.json()["data"]["submitIdea"]["errors"] == []
    assert taken == []


async def test_pages_asked_at_once_are_each_answered_in_full(
    api: Api, world: World, backend: str, taken: list[None]
):
    for number in range(3):
        await world.submit(title=f"Edge inference pilot {number}", country="FI")

    answers = await asyncio.gather(*(api.post(PAGE) for _ in range(12)))

    bodies = [answer.json() for answer in answers]
    assert all(body == bodies[0] for body in bodies)
    assert len(bodies[0]["data"]["ideas"]["edges"]) == 3
    assert len(taken) == (12 if backend == "sqlite" else 0)
