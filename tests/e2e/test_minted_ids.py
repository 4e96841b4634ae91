"""What a mutation creates under an id it made is not looked for first: its stream cannot hold
anything yet. A resendable mutation's id is derived from the caller's key, and its stream holds
something only if this very request was applied, which is asked first (by its first event's id),
so that stream is not read either. A drawn id is a UUIDv7 of the moment it was drawn, so the
indexes keyed by idea or experiment id grow at their end."""

from __future__ import annotations

import asyncio
import copy
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest

import innovation.services.unit_of_work as unit_of_work
from innovation.api.ids import raw_id
from innovation.domain.ideas import SubmitIdea
from innovation.domain.values import Provenance, SourceKind
from innovation.services import ConflictError
from tests.e2e.conftest import Api
from tests.e2e.test_resending import START, SUBMIT, experiment_start, submission
from tests.integration.world import SCOUT, World


@pytest.fixture
def streams_read(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The stream ids commands load, in order (whole, or on from a state the process kept)."""
    read: list[str] = []
    original: Callable[..., Any] = unit_of_work.UnitOfWork._read

    def spied(uow: Any, kind: Any, stream_id: str) -> Any:
        read.append(stream_id)
        return original(uow, kind, stream_id)

    monkeypatch.setattr(unit_of_work.UnitOfWork, "_read", spied)
    return read


def without_key(asked: dict[str, Any]) -> dict[str, Any]:
    plain = copy.deepcopy(asked)
    del plain["input"]["clientMutationId"]
    return plain


async def test_a_new_idea_is_written_without_reading_its_stream(api: Api, streams_read: list[str]):
    done = (await api.data(SUBMIT, without_key(submission("unused")), as_="scout"))["submitIdea"]

    assert done["errors"] == []
    assert done["idea"]["version"] == 1
    idea_id = raw_id(done["idea"]["id"], "Idea", "id")
    assert f"idea-{idea_id}" not in streams_read
    answer = await api.data("query($id: ID!) { idea(id: $id) { title version } }", done["idea"])
    assert answer["idea"]["version"] == 1


async def test_a_resendable_submission_is_written_without_reading_its_stream_and_answered_again(
    api: Api, streams_read: list[str]
):
    done = (await api.data(SUBMIT, submission("minted-1"), as_="scout"))["submitIdea"]
    again = (await api.data(SUBMIT, submission("minted-1"), as_="scout"))["submitIdea"]
    ideas = await api.data("{ ideas { totalCount } }")

    assert done["errors"] == again["errors"] == []
    idea_id = raw_id(done["idea"]["id"], "Idea", "id")
    assert f"idea-{idea_id}" not in streams_read
    assert again["idea"] == done["idea"]
    assert ideas["ideas"]["totalCount"] == 1


async def test_a_submission_sent_twice_at_once_is_applied_once_and_both_are_answered(api: Api):
    both = await asyncio.gather(
        *(api.data(SUBMIT, submission("minted-2"), as_="scout") for _ in range(2))
    )
    ideas = await api.data("{ ideas { totalCount } }")

    first, second = (answer["submitIdea"] for answer in both)
    assert first["errors"] == second["errors"] == []
    assert first["idea"] == second["idea"]
    assert ideas["ideas"]["totalCount"] == 1


async def test_a_new_experiment_reads_its_idea_but_not_its_own_stream(
    api: Api, world: World, streams_read: list[str]
):
    idea_id = await world.submit()
    await world.screen(idea_id)
    streams_read.clear()
    done = (await api.data(START, experiment_start(idea_id)))["startExperiment"]

    assert done["errors"] == []
    assert streams_read == [f"idea-{idea_id}"]


async def test_a_minted_id_that_is_taken_after_all_is_a_conflict_and_writes_nothing(
    world: World,
):
    idea_id = await world.submit(title="The first idea under this id")
    before = await world.services.store.last_position()
    again = SubmitIdea(
        idea_id=idea_id,
        title="A second idea drawn under the same id",
        summary="It must not land on the first one's stream.",
        provenance=Provenance(
            source_kind=SourceKind.STARTUP, organisation="Tiny", country="FR", external=True
        ),
        themes=("customer-experience",),
        uses_ai=False,
        uses_personal_data=False,
        scout=SCOUT.name,
    )

    with pytest.raises(ConflictError):
        await world.run(again, SCOUT, minted=frozenset({idea_id}))

    assert await world.services.store.last_position() == before


def drawn_at(raw: str) -> int:
    """The Unix milliseconds a UUIDv7 was drawn at, after checking that it is one."""
    minted = uuid.UUID(raw)
    assert minted.version == 7, raw
    return minted.int >> 80


async def test_drawn_ids_are_uuidv7_of_the_moment_they_were_drawn(api: Api, world: World):
    """Random (version 4) ids put each new idea on a random page of every index keyed by it,
    about six pages a submission more than ids in time order (``bench/README.md``)."""
    before = time.time_ns() // 1_000_000
    done = (await api.data(SUBMIT, without_key(submission("drawn")), as_="scout"))["submitIdea"]
    idea_id = raw_id(done["idea"]["id"], "Idea", "id")
    await world.screen(idea_id)
    started = (await api.data(START, experiment_start(idea_id)))["startExperiment"]
    after = time.time_ns() // 1_000_000

    assert started["errors"] == []
    experiment_id = raw_id(started["experiment"]["id"], "Experiment", "id")
    assert before <= drawn_at(idea_id) <= drawn_at(experiment_id) <= after
