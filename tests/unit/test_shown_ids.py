"""Refusals name ideas and experiments by the ids clients hold, never by what is stored."""

from __future__ import annotations

from innovation.api.ids import global_id, shown_ids
from innovation.services.errors import ConflictError
from innovation.store.errors import ConcurrencyError

IDEA = "0194a8b2-7f3e-7c10-9d2a-1b2c3d4e5f60"
EXPERIMENT = "0194a8b2-7f3e-7c10-9d2a-1b2c3d4e5f61"


def test_a_stored_id_is_shown_as_the_global_id():
    message = f"idea {IDEA!r} already runs experiment {EXPERIMENT!r}; conclude it first"

    assert shown_ids(message) == (
        f"idea {global_id('Idea', IDEA)} already runs experiment "
        f"{global_id('Experiment', EXPERIMENT)}; conclude it first"
    )


def test_a_stream_that_moved_is_shown_as_its_idea_or_experiment():
    lost = ConcurrencyError(f"experiment-{EXPERIMENT}", 4, 5)
    refusal = ConflictError(f"changed by someone else meanwhile: {lost}")

    assert shown_ids(refusal.message) == (
        f"changed by someone else meanwhile: experiment {global_id('Experiment', EXPERIMENT)}"
        " is at version 5, not at the expected 4"
    )


def test_other_streams_and_bare_uuids_are_left_as_they_are():
    message = f"stream 'release-2026-H1' is at version 2; token {IDEA} expired; idea {IDEA}"

    assert shown_ids(message) == message
