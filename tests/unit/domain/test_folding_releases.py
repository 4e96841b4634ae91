"""A published release folds into a release that exists and holds its bundle, whether folded
from scratch or from a snapshot."""

from __future__ import annotations

from innovation.domain import releases
from tests.unit.domain.release_history import Log, assembled

BUNDLE = assembled(Log()).bundle
PUBLISHED = releases.ReleasePublished(bundle=BUNDLE)


def test_a_publication_sets_every_field_it_owns() -> None:
    assert releases.fold([PUBLISHED]) == releases.Release(exists=True, bundle=BUNDLE, version=1)


def test_a_release_folded_from_a_snapshot_counts_on_from_its_version() -> None:
    snapshot = releases.fold([PUBLISHED])

    assert releases.fold([PUBLISHED], snapshot).version == 2


def test_an_event_of_another_stream_leaves_the_release_as_it_is() -> None:
    before = releases.fold([PUBLISHED])

    assert releases.evolve(before, object()) is before
