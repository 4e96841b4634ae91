"""``nextRelease`` makes the GraphQL item of a candidate again only when the preview gives a
new domain item for it: a kept preview gives the very item again for an idea no write reached."""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec

from innovation.api.releases import _Shown
from innovation.domain.releases import ReleaseItem
from innovation.domain.values import SourceKind, ValidationRoute


def candidate(idea_id: str) -> ReleaseItem:
    return ReleaseItem(
        idea_id=idea_id,
        title=f"Idea {idea_id}",
        summary="A summary.",
        source_kind=SourceKind.STARTUP,
        organisation="Org",
        country="SN",
        external=True,
        themes=("ai",),
        scouted_at=datetime(2026, 7, 1, tzinfo=UTC),
        validated_at=datetime(2026, 8, 1, tzinfo=UTC),
        validated_via=ValidationRoute.OVERRIDE,
    )


def test_a_candidate_given_again_is_shown_by_the_item_made_for_it_and_a_new_one_afresh() -> None:
    shown = _Shown()
    kept, revised = candidate("kept"), candidate("revised")
    first = shown((kept, revised))

    second = shown((kept, msgspec.structs.replace(revised, title="Revised")))

    assert second[0] is first[0]
    assert second[1] is not first[1]
    assert [item.title for item in second] == ["Idea kept", "Revised"]


def test_a_candidate_no_longer_shown_is_not_kept() -> None:
    shown = _Shown()
    kept = candidate("kept")
    first = shown((kept,))

    assert shown(()) == []
    assert shown((kept,))[0] is not first[0]
    assert shown((msgspec.structs.replace(kept),))[0].title == "Idea kept"
