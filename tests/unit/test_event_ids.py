"""Event ids: time-ordered when new, reproducible when derived from a command."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from innovation.store import ids
from innovation.store.ids import derived_id, new_event_id

MILLISECONDS = st.integers(min_value=0, max_value=2**48 - 1)


@given(earlier=MILLISECONDS, later=MILLISECONDS)
def test_new_ids_sort_by_the_millisecond_they_were_made(earlier: int, later: int):
    made = {}
    for when in (earlier, later):
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(ids.time, "time_ns", lambda when=when: when * 1_000_000 + 999)
            made[when] = new_event_id()

    first, second = made[earlier], made[later]
    assert first.version == second.version == 7
    assert first.variant == second.variant == uuid.RFC_4122
    assert first.int >> 80 == earlier
    assert second.int >> 80 == later
    if earlier < later:
        assert first < second


def test_new_ids_made_in_the_same_millisecond_differ():
    assert len({new_event_id() for _ in range(1000)}) == 1000


def test_an_id_derived_from_a_time_ordered_command_keeps_its_time_and_is_reproducible():
    command = new_event_id()

    first = derived_id(command, "idea-1#0")

    assert first == derived_id(command, "idea-1#0")
    assert first != derived_id(command, "idea-1#1") != derived_id(command, "idea-2#0")
    assert first.int >> 80 == command.int >> 80
    assert first.version == 8
    assert first.variant == uuid.RFC_4122
    assert first.int & (2**62 - 1) == uuid.uuid5(command, "idea-1#0").int & (2**62 - 1)


def test_an_id_derived_from_any_other_command_id_is_its_uuid5():
    command = uuid.uuid5(uuid.NAMESPACE_URL, "client-mutation-7")

    assert derived_id(command, "idea-1#0") == uuid.uuid5(command, "idea-1#0")
