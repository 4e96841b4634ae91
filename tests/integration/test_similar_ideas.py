"""Duplicate hints: ideas that say the same thing in other words are found, ranked first."""

from __future__ import annotations

import uuid

from innovation.domain.ideas import SubmitIdea
from innovation.domain.values import Provenance, SourceKind
from innovation.projections import queues
from innovation.projections.paging import Window
from innovation.projections.search import similar_ideas, similar_to_idea
from tests.integration.world import SCOUT, World


async def test_a_submitted_idea_is_hinted_at_ideas_worded_differently(world: World):
    speaker = await world.submit(
        title="Connected speaker with a voice assistant",
        summary="A home speaker that answers customers' questions by voice.",
    )
    alarms = await world.submit(
        title="Predicting network failures from alarms",
        summary="Machine learning on the alarms of the network operations centre.",
    )
    await world.submit(
        title="Training managers in responsible AI",
        summary="Three modules certify managers across countries.",
    )

    new_id = str(uuid.uuid4())
    done = await world.run(
        SubmitIdea(
            idea_id=new_id,
            title="Voice assistants in connected home speakers",
            summary="Customers ask their speaker questions and get spoken answers.",
            provenance=Provenance(
                source_kind=SourceKind.COMPETITOR,
                organisation="Amazon",
                country="US",
                external=True,
            ),
            themes=("customer-experience",),
            uses_ai=True,
            uses_personal_data=True,
            scout=SCOUT.name,
        ),
        SCOUT,
    )

    assert done.versions == {f"idea-{new_id}": 1}
    hints = await world.services.database.read(lambda c: similar_to_idea(c, new_id))
    assert hints
    assert len(hints) <= 5
    assert hints[0].idea_id == speaker
    assert alarms not in [hint.idea_id for hint in hints[:1]]
    assert all(0 < hint.score <= 1 for hint in hints)
    assert [hint.score for hint in hints] == sorted((hint.score for hint in hints), reverse=True)


async def test_a_failure_predictor_finds_the_alarm_idea_by_stem(world: World):
    alarms = await world.submit(
        title="Predicting network failures from alarms",
        summary="Machine learning on the alarms of the network operations centre.",
    )
    await world.submit(title="Voice assistant", summary="A speaker for the living room.")

    hints = await world.services.database.read(
        lambda c: similar_ideas(c, "A predictor of failing networks, trained on alarm data")
    )

    assert [hint.idea_id for hint in hints][:1] == [alarms]


async def test_nothing_meaningful_to_match_gives_no_hints(world: World):
    await world.submit()

    hints = await world.services.database.read(lambda c: similar_ideas(c, "the of and"))

    assert hints == []


async def test_the_text_filter_finds_ideas_holding_every_word(world: World):
    wanted = await world.submit(
        title="Predicting network failures from alarms",
        summary="Machine learning on network alarms.",
    )
    await world.submit(title="Network slicing for factories", summary="Private 5G.")

    page = await world.services.database.read(
        lambda c: queues.idea_page(c, queues.IdeaFilter(text="network alarm"), Window(first=10))
    )

    assert [row.idea_id for _, row in page.rows] == [wanted]
