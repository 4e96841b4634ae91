"""``nextRelease`` makes the GraphQL item of a candidate again only when the preview gives a
new domain item for it: a kept preview gives the very item again for an idea no write reached."""

from __future__ import annotations

import msgspec

from innovation.api.releases import _Shown
from innovation.domain.releases import ReleaseItem
from tests.unit.domain.release_history import Log, assembled, day


def candidates(*names: str) -> tuple[ReleaseItem, ...]:
    """The items of ideas validated in 2026-H1, as assembly makes them."""
    log = Log()
    for name in names:
        log.submit(name, day(1, 10))
        log.override(name, day(2, 1))
    return assembled(log).bundle.items


def test_a_candidate_given_again_is_shown_by_the_item_made_for_it_and_a_new_one_afresh() -> None:
    shown = _Shown()
    kept, revised = candidates("kept", "revised")
    first = shown((kept, revised))

    second = shown((kept, msgspec.structs.replace(revised, title="Revised")))

    assert second[0] is first[0]
    assert second[1] is not first[1]
    assert [item.title for item in second] == ["Idea kept", "Revised"]


def test_a_candidate_no_longer_shown_is_not_kept() -> None:
    shown = _Shown()
    [kept] = candidates("kept")
    first = shown((kept,))

    assert shown(()) == []
    assert shown((kept,))[0] is not first[0]
    assert shown((msgspec.structs.replace(kept),))[0].title == "Idea kept"
