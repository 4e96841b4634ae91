"""Requests asking for ideas at once, whose reads are shared on PostgreSQL (``Gathered``), each
get their own answer: the idea they named, with what they asked it to nest, or null."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from innovation.config import Settings
from tests.e2e.conftest import LIMITS, Api
from tests.integration.world import World

BARE = "query($id: ID!) { idea(id: $id) { title } }"
NESTED = "query($id: ID!) { idea(id: $id) { title experiments { pilotSite metrics { name } } } }"


@pytest.fixture
def settings() -> Settings:
    """No answers kept: every request reads."""
    return Settings.from_env({**LIMITS, "INNOVATION_ANSWER_CACHE_MB": "0"})


async def test_ideas_asked_for_at_once_each_get_their_own(api: Api, world: World):
    ideas = []
    for n in range(6):
        idea_id = await world.submit(title=f"Read together {n}")
        if n % 2:
            await world.screen(idea_id)
            await world.start(idea_id)
        ideas.append(idea_id)
    missing = str(uuid.uuid4())
    asked = [(query, idea_id) for idea_id in [*ideas, missing] for query in (BARE, NESTED)] * 3

    answers = await asyncio.gather(*(api.data(query, {"id": id_}) for query, id_ in asked))

    for (query, id_), answer in zip(asked, answers, strict=True):
        if id_ == missing:
            assert answer == {"idea": None}
            continue
        n = ideas.index(id_)
        assert answer["idea"]["title"] == f"Read together {n}"
        if query is NESTED:
            experiments = answer["idea"]["experiments"]
            assert len(experiments) == n % 2
            assert all(len(e["metrics"]) == 2 for e in experiments)
