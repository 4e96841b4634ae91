"""Every event survives the log: encoded to JSON under its stored name and decoded back equal."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime
from typing import Union, get_args

import msgspec
import pytest

from innovation.domain import (
    EVENT_TYPES,
    Decision,
    DuplicateAbsorbed,
    EthicsReviewRecorded,
    EthicsReviewRequested,
    Event,
    ExperimentAttached,
    IdeaAdvanced,
    IdeaMerged,
    IdeaRejected,
    IdeaReleased,
    IdeaReopened,
    IdeaReturnedToScreening,
    IdeaRevised,
    IdeaScored,
    IdeaValidated,
    Outcome,
    Stage,
    ValidationRoute,
    Verdict,
    experiments,
    ideas,
)
from innovation.domain.deliveries import DeliveryFailed, DigestQueued, DigestSent
from innovation.domain.releases import ReleasePublished
from innovation.store import Mapper, Metadata, NewEvent
from tests.unit.domain.examples import (
    EXPERIMENT,
    IDEA,
    OTHER_IDEA,
    measured,
    metric,
    on_target,
    provenance,
    score,
    started,
    submitted,
)
from tests.unit.domain.release_history import Log, assembled

EXAMPLES: list[Event] = [
    submitted(),
    submitted(provenance=provenance(url=None), uses_ai=True),
    IdeaRevised(idea_id=IDEA, title="A new title", material=True),
    IdeaRevised(idea_id=IDEA, provenance=provenance(), themes=("cybersecurity",), material=False),
    IdeaScored(idea_id=IDEA, score=score(), rice=score().rice),
    IdeaAdvanced(idea_id=IDEA, from_stage=Stage.SCOUTED, to_stage=Stage.SCREENING, reason="Go"),
    IdeaRejected(idea_id=IDEA, reason="Too costly."),
    IdeaRejected(idea_id=IDEA, reason="stopped after experiment", experiment_id=EXPERIMENT),
    IdeaMerged(idea_id=IDEA, into_idea_id=OTHER_IDEA),
    DuplicateAbsorbed(idea_id=OTHER_IDEA, duplicate_id=IDEA),
    ExperimentAttached(idea_id=IDEA, experiment_id=EXPERIMENT),
    IdeaValidated(idea_id=IDEA, experiment_id=EXPERIMENT, via=ValidationRoute.EXPERIMENT),
    IdeaValidated(
        idea_id=IDEA,
        experiment_id=None,
        via=ValidationRoute.OVERRIDE,
        reason="Validated by the board on pilot figures.",
    ),
    IdeaReturnedToScreening(idea_id=IDEA, experiment_id=EXPERIMENT, reason="Too few calls."),
    IdeaReleased(idea_id=IDEA, release_id="2026-H1"),
    EthicsReviewRequested(idea_id=IDEA),
    EthicsReviewRecorded(
        idea_id=IDEA, verdict=Verdict.APPROVED, reviewers=("Ines", "Karl"), note="Fair."
    ),
    started(),
    measured("network alarms per day", 300.5),
    IdeaReopened(idea_id=IDEA, reason="The partner cut its price by half."),
    experiments.ExperimentAmended(
        experiment_id=EXPERIMENT,
        hypothesis="Advisers answer faster when the assistant suggests the procedure.",
        pilot_site="Brussels contact centre",
        starts_on=date(2026, 3, 1),
        ends_on=date(2026, 7, 31),
        reason="The Luxembourg centre closes for works.",
    ),
    experiments.MetricAdded(experiment_id=EXPERIMENT, metric=metric(name="handling time")),
    experiments.MeasurementCorrected(
        experiment_id=EXPERIMENT,
        measurement=2,
        metric="network alarms per day",
        value=310.0,
        measured_at=datetime(2026, 4, 16, 9, 30, tzinfo=UTC),
        reason="The probe double-counted one router.",
    ),
    experiments.decide(
        experiments.ConcludeExperiment(
            experiment_id=EXPERIMENT, outcome=Outcome.VALIDATED, decision=Decision.SCALE
        ),
        experiments.fold(on_target()),
    )[0],
    ReleasePublished(bundle=assembled(Log()).bundle),
    DigestQueued(delivery_id="41-ab", period="2026-H1", recipient="ceo@example.org"),
    DigestSent(delivery_id="41-ab", attempt=2),
    DeliveryFailed(
        delivery_id="41-ab",
        attempt=1,
        error="451 try later",
        retry_at=datetime(2026, 7, 1, tzinfo=UTC),
    ),
]

ANY_EVENT = Union[EVENT_TYPES]  # noqa: UP007  (a union of a tuple of classes)
DOTTED = re.compile(r"(idea|experiment|release|delivery)\.[a-z_]+")


def test_every_event_type_has_an_example() -> None:
    assert {type(event) for event in EXAMPLES} == set(EVENT_TYPES)


def test_stored_names_are_distinct() -> None:
    tags = [cls.__struct_config__.tag for cls in EVENT_TYPES]
    assert len(set(tags)) == len(tags)


@pytest.mark.parametrize("cls", EVENT_TYPES, ids=lambda cls: cls.__name__)
def test_an_event_class_is_frozen_and_tagged_with_a_dotted_stored_name(cls: type[Event]) -> None:
    config = cls.__struct_config__
    assert config.frozen
    assert config.tag_field == "type"
    assert isinstance(config.tag, str)
    assert DOTTED.fullmatch(config.tag)
    assert cls.schema_version == 1


@pytest.mark.parametrize("event", EXAMPLES, ids=lambda event: type(event).__name__)
def test_an_event_decodes_back_equal_by_its_stored_name(event: Event) -> None:
    data = msgspec.json.encode(event)

    assert msgspec.json.decode(data)["type"] == type(event).__struct_config__.tag
    assert msgspec.json.decode(data, type=ANY_EVENT) == event


@pytest.mark.parametrize("event", EXAMPLES, ids=lambda event: type(event).__name__)
def test_the_stores_mapper_stores_and_restores_every_event(event: Event) -> None:
    mapper = Mapper(EVENT_TYPES)
    stored = mapper.to_stored(
        NewEvent(
            event=event,
            metadata=Metadata(
                actor="lead-1",
                occurred_at=datetime(2026, 2, 3, tzinfo=UTC),
                correlation_id=uuid.UUID(int=1),
            ),
            event_id=uuid.UUID(int=2),
        )
    )

    assert stored.schema_version == 1
    assert mapper.decode(stored.type, stored.schema_version, stored.data) == event


def test_states_snapshot_to_json_and_back() -> None:
    idea = ideas.fold(event for event in EXAMPLES if type(event) in get_args(ideas.IdeaEvent))
    experiment = experiments.fold(on_target())

    assert msgspec.json.decode(msgspec.json.encode(idea), type=ideas.Idea) == idea
    assert (
        msgspec.json.decode(msgspec.json.encode(experiment), type=experiments.Experiment)
        == experiment
    )
