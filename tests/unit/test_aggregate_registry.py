"""Each aggregate is declared once, and every layer finds what it needs about it there."""

from __future__ import annotations

import pytest

from innovation.domain import AGGREGATES, EVENT_TYPES, Event
from innovation.projections.history import describe
from innovation.services.handlers import HANDLERS
from tests.unit.domain.test_event_round_trip import EXAMPLES


def test_aggregates_have_their_own_names_and_stream_prefixes():
    assert len({aggregate.name for aggregate in AGGREGATES}) == len(AGGREGATES)
    prefixes = [aggregate.stream_prefix for aggregate in AGGREGATES]
    assert not [a for a in prefixes for b in prefixes if a != b and b.startswith(a)]


def test_every_event_belongs_to_one_aggregate_and_is_stored_under_its_name():
    owners = {event: aggregate for aggregate in AGGREGATES for event in aggregate.events}

    assert set(owners) == set(EVENT_TYPES)
    assert len(EVENT_TYPES) == sum(len(aggregate.events) for aggregate in AGGREGATES)
    for event, aggregate in owners.items():
        assert event.__struct_config__.tag.startswith(f"{aggregate.name}."), event


def test_a_stream_id_is_read_back_only_by_its_own_aggregate():
    for aggregate in AGGREGATES:
        stream_id = aggregate.stream_id("42")
        assert [a.name for a in AGGREGATES if a.entity_id(stream_id) == "42"] == [aggregate.name]


@pytest.mark.parametrize("event", EXAMPLES, ids=lambda event: type(event).__name__)
def test_every_event_reads_as_a_sentence_in_the_history(event: Event):
    assert describe(event) != type(event).__name__


def test_every_command_a_caller_sends_has_a_handler():
    sent = {"SubmitIdea", "ReviseIdea", "ScoreIdea", "AdvanceIdea", "RejectIdea", "MergeIdea"}
    sent |= {"OverrideValidation", "RequestEthicsReview", "RecordEthicsReview"}
    sent |= {"StartExperiment", "RecordMeasurement", "CorrectMeasurement", "ConcludeExperiment"}
    sent |= {"ReopenIdea", "AmendExperiment", "AddMetric"}
    sent |= {"PublishRelease", "MarkReleased", "QueueDigest", "RecordSent", "RecordFailure"}

    assert {command.__name__ for command in HANDLERS} == sent
